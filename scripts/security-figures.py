#!/usr/bin/env python3
"""Run the authorization matrix and the fuzz tests, then print the figures and rewrite them in docs/security.md.

    python scripts/security-figures.py            # SQLite (or TEST_DATABASE_URL when set)
    make security-figures

The tests add their counts to the JSON file named by SECURITY_FIGURES_JSON; this script reads it and
replaces the text between the security-figures markers of docs/security.md.  Nothing is rewritten
when a test fails.
"""

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
TESTS = ["tests/web/test_web_authz_matrix.py", "tests/web/test_web_fuzz_forms.py"]
START, END = "<!-- security-figures:start -->", "<!-- security-figures:end -->"


def run_tests(summary_path: str) -> tuple[int, float]:
    env = {**os.environ, "SECURITY_FIGURES_JSON": summary_path}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *TESTS, "-q", "-p", "no:randomly"], cwd=ROOT, env=env, check=False
    )
    return result.returncode, time.monotonic() - started


def engine() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgres"):
        import sqlalchemy

        with sqlalchemy.create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1)
        ).connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
        return f"PostgreSQL {version}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def table(data: dict, seconds: float) -> str:
    matrix, fuzz, csrf = data.get("matrix", {}), data.get("fuzz", {}), data.get("csrf", {})
    roles = matrix.get("roles", 0)
    rules = matrix.get("rule_role_pairs", 0) // roles if roles else 0
    rows = [
        (
            "Routes (URL rules, public pages aside) × roles tried",
            f"{rules} × {roles} = {matrix.get('rule_role_pairs', 0)}",
        ),
        ("Matrix cases (rule × method × role × other store / other consultant)", matrix.get("cases", 0)),
        ("…of which the role must not act on the object", matrix.get("out_of_scope_cases", 0)),
        ("Matrix requests sent (GET plain + HTMX, POST)", matrix.get("requests", 0)),
        ("**Unauthorized successes**", f"**{matrix.get('unauthorized_successes', 0)}**"),
        ("POST requests without a CSRF token (all refused)", csrf.get("post_requests_without_token", 0)),
        ("Fuzz requests sent (forms and list filters, Hypothesis seed fixed)", fuzz.get("requests", 0)),
        (
            "**HTTP 5xx answers** (matrix and fuzz)",
            f"**{matrix.get('server_errors', 0) + fuzz.get('server_errors', 0)}**",
        ),
        ("Page views checked for stored XSS payloads", fuzz.get("xss_pages_checked", 0)),
        ("**Leaks found** (raw payload on a page)", f"**{fuzz.get('leaks', 0)}**"),
    ]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {engine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores shared with other jobs; both suites took {seconds:.0f} s.",
        "",
        "| figure | value |",
        "|---|---|",
        *[f"| {label} | {value} |" for label, value in rows],
    ]
    return "\n".join(lines)


def rewrite(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(doc):
        raise SystemExit(f"{DOC}: markers {START} … {END} not found")
    DOC.write_text(pattern.sub(lambda _m: f"{START}\n{text}\n{END}", doc), encoding="utf-8")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "figures.json")
        code, seconds = run_tests(summary)
        data = json.loads(Path(summary).read_text(encoding="utf-8")) if os.path.exists(summary) else {}
    text = table(data, seconds)
    print(text)
    if code != 0:
        print(f"\npytest exited with {code}: docs/security.md left unchanged", file=sys.stderr)
        return code
    rewrite(text)
    print(f"\n{DOC.relative_to(ROOT)} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
