"""The benchmark harness: timing headers only in bench mode, valid scenario files."""

import importlib.util
import re
from pathlib import Path

import pytest

from tests.helpers_platform import other_app

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_FILES = sorted((ROOT / "bench" / "scenarios").glob("*.py"))
ROLES = {"anonymous", "consultant", "manager", "director", "dcc", "clerk", "marketing", "admin"}


def test_timing_headers_only_in_bench_mode(client, _tmpdir, login_as):
    assert "X-Server-Time-ms" not in client.get("/login").headers
    with other_app(_tmpdir, BENCH=True) as application:
        response = application.test_client().get("/healthz")
        assert float(response.headers["X-Server-Time-ms"]) >= 0
        assert response.headers["X-SQL-Queries"] == "1"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenario_files_are_well_formed(path):
    spec = importlib.util.spec_from_file_location(f"scenario_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.SCENARIOS
    for scenario in module.SCENARIOS:
        assert {"name", "role", "method", "path", "target_p95_ms"} <= set(scenario), scenario
        assert scenario["role"] in ROLES
        assert scenario["path"].startswith("/")
        prepared = {scenario["prepare"]["as"]} if "prepare" in scenario else set()
        allowed = {"lead_id", "event_id", "store_id", "store_code", "token"} | prepared
        assert set(re.findall(r"\{(\w+)\}", scenario["path"])) <= allowed


def test_percentile_and_markdown():
    import sys

    sys.path.insert(0, str(ROOT))
    from bench.run import markdown, percentile

    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([5.0], 95) == 5.0
    report = {
        "database": "sqlite",
        "leads": 10,
        "date": "d",
        "machine": {"cpus": 2, "load_average_end": [1.0]},
        "gunicorn_workers": 2,
        "max_ratio": 10.0,
        "requests_per_scenario": 3,
        "results": [
            {
                "name": "x",
                "role": "manager",
                "path": "/",
                "url": "/",
                "status": [200],
                "p50_ms": 1,
                "p95_ms": 2,
                "target_p95_ms": 50,
                "queries": 2,
                "queries_min": 2,
                "client_p95_ms": 31.0,
                "floor_p95_ms": 4.1,
                "floor_ratio": 7.6,
                "ok": True,
            }
        ],
    }
    table = markdown(report)
    assert "| x | manager | `/` | 200 | 1 | 2 | 50 | 2 | 31.0 | 4.1 | 7.6 | yes |" in table
    assert "≤ 10× the floor" in table
