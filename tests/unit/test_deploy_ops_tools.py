"""deploy/gunicorn.conf.py hooks and the figures of bench/cluster.py."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

# prometheus_client picks its value class once, when first imported, from PROMETHEUS_MULTIPROC_DIR:
# import it before the test below sets that variable, so later tests get plain in-process metrics.
import prometheus_client  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def _load(path: str, name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_conf_empties_the_metrics_dir_and_marks_dead_workers(tmp_path, monkeypatch):
    conf = _load("deploy/gunicorn.conf.py", "gunicorn_conf")
    assert conf.timeout == 120 and "x-request-id" in conf.access_log_format
    (tmp_path / "counter_123.db").write_bytes(b"x")
    (tmp_path / "gauge_livesum_456.db").write_bytes(b"x")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf.on_starting(None)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "gauge_livesum_456.db").write_bytes(b"")
    (tmp_path / "counter_456.db").write_bytes(b"")
    conf.child_exit(None, SimpleNamespace(pid=456))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_456.db"]


def test_cluster_metric_sum_and_results_table():
    cluster = _load("bench/cluster.py", "cluster_script")
    text = (
        "# TYPE leadloop_checkins_total counter\n"
        "leadloop_checkins_total 120.0\n"
        'leadloop_http_requests_total{status="200"} 5.0\n'
        "leadloop_checkins_created 1.7e+09\n"
    )
    assert cluster.metric_sum(text, "leadloop_checkins_total") == 120.0
    results = cluster.Results()
    results.check("a", True, "fine")
    results.figure("rate", "21/s")
    assert results.ok and "| a | pass | fine |" in results.table() and "| rate | 21/s |" in results.table()
    results.check("b", False)
    assert not results.ok and "| b | FAIL |" in results.table()


def test_new_request_ids_never_look_like_a_phone_number():
    import re

    from app.web.logging_setup import new_request_id

    ids = [new_request_id() for _ in range(20000)]
    assert all(len(i) == 32 and not re.search(r"\d{7,}", i) for i in ids)
