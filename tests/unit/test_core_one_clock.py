"""One clock: app/core/timeutil.py is the only module that converts zones or answers "what day is it"."""

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
TIMEUTIL = APP / "core" / "timeutil.py"
# A module-level helper whose only job is "today" (or "now") for someone: use timeutil.today_for instead.
TODAY_HELPER = re.compile(r"^def _?(\w+_)?(today|now)\(", re.M)


def _sources():
    for path in sorted(APP.rglob("*.py")):
        if path != TIMEUTIL:
            yield path, path.read_text(encoding="utf-8")


def test_no_module_but_timeutil_converts_zones():
    offenders = [
        str(p.relative_to(APP)) for p, text in _sources() if "zoneinfo" in text or "ZoneInfo" in text
    ]
    assert offenders == []


def test_no_module_keeps_its_own_today_helper():
    offenders = [
        f"{p.relative_to(APP)}: {m.group(0)}" for p, text in _sources() for m in TODAY_HELPER.finditer(text)
    ]
    assert offenders == []
