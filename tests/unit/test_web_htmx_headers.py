"""app/web/htmx.py is the only module that names an htmx header (HX-Request, HX-Redirect, ...)."""

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
HX_HEADER = re.compile(r"""["']HX-[A-Za-z-]+["']""")


def test_only_the_htmx_module_names_htmx_headers():
    offenders = [
        f"{path.relative_to(APP)}: {match.group(0)}"
        for path in sorted(APP.rglob("*.py"))
        if path != APP / "web" / "htmx.py"
        for match in HX_HEADER.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_htmx_flask_is_not_a_dependency():
    pyproject = (APP.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert "htmx-flask" not in pyproject
    assert not any("htmx_flask" in path.read_text(encoding="utf-8") for path in APP.rglob("*.py"))
