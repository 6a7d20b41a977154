"""Two app servers behind nginx on one PostgreSQL and one Redis (bench/cluster.py).

Deselected in the normal run (marker `cluster`); the PostgreSQL pass of CI runs it with
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/leadloop_ci \
        .venv/bin/pytest -m cluster tests/cluster
It uses its own database, named after the test database with `_cluster` appended (or
CLUSTER_DATABASE), on the same PostgreSQL server.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.cluster


def _server_and_database() -> tuple[str, str]:
    url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/leadloop")
    server, _, name = url.replace("postgresql+psycopg://", "postgresql://").rpartition("/")
    return server, os.environ.get("CLUSTER_DATABASE", f"{name.split('?')[0]}_cluster")


def test_two_servers_behind_nginx_answer_as_one():
    server, database = _server_and_database()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench/cluster.py"), "--pg", server, "--database", database],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "cluster: all checks passed" in done.stdout
