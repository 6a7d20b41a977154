"""Where a door request's time goes, in-process: SQL vs session vs CSRF vs template vs logging.

Creates an event with N invitees (bench/checkin_load.py `prepare`), then sends first scans,
repeat scans and searches through Flask's test client as a clerk's tablet (HTMX, CSRF header)
under cProfile, and prints per request: wall time (mean, p50, p95) and CPU time, statements, the time spent waiting on
the database (cursor execute → result) and the inclusive time of each part of the request.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/leadloop_bench python bench/door_profile.py
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (label, predicate on (file, function name)) — inclusive cumulative time of the outermost match
PARTS = (
    (
        "session + user load (cookie, load_user, timeouts)",
        lambda f, n: n in ("enforce_timeouts",) or (f.endswith("flask/sessions.py") and n == "open_session"),
    ),
    ("CSRF check", lambda f, n: "flask_wtf/csrf.py" in f and n == "protect"),
    (
        "check-in service (SQL included)",
        lambda f, n: f.endswith("app/checkin/services.py") and n == "check_in",
    ),
    ("door counters query", lambda f, n: n == "door_counters"),
    ("search query", lambda f, n: n == "search_guests"),
    ("event load (scoped)", lambda f, n: n == "_event_or_404"),
    ("commit", lambda f, n: n in ("commit_keeping_loaded",)),
    ("template render", lambda f, n: n in ("render_template", "render_block")),
    ("logging", lambda f, n: f.endswith("logging/__init__.py") and n in ("_log", "handle")),
    ("metrics + request id + headers (after_request)", lambda f, n: n in ("process_response",)),
    ("session save (cookie)", lambda f, n: f.endswith("flask/sessions.py") and n == "save_session"),
    ("teardown (session close)", lambda f, n: n == "do_teardown_appcontext"),
)


def _nearest_rank(ordered: list[float], pct: int) -> float:
    """The nearest-rank percentile of sorted samples."""
    return ordered[max(0, -(-len(ordered) * pct // 100) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitees", type=int, default=5000)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--plain", action="store_true", help="no cProfile: wall, CPU and SQL only (no parts)")
    parser.add_argument(
        "--top", type=int, default=0, help="also print each case's N costliest functions (own time)"
    )
    args = parser.parse_args()
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    from bench.checkin_load import BENCH_PASSWORD, prepare

    info = prepare(args.invitees)
    from app import create_app
    from app.extensions import db
    from bench.sql_timing import time_statements

    app = create_app()
    with app.app_context():
        sql = time_statements(db.engine)

    client = app.test_client()
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)
    ).group(1)
    response = client.post(
        "/login", data={"username": info["username"], "password": BENCH_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.status_code
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    headers = {"X-CSRFToken": csrf, "HX-Request": "true"}
    event_id, tokens = info["event_id"], info["tokens"]
    queries = [q for pair in zip([n[:2] for n in info["names"]], info["tails"], strict=False) for q in pair]

    def scan(code, expect):
        r = client.post(
            f"/checkin/{event_id}", data={"code": code, "client_id": uuid.uuid4().hex}, headers=headers
        )
        assert r.status_code == expect, r.status_code

    def search(i):
        assert (
            client.get(
                f"/checkin/{event_id}/search", query_string={"q": queries[i % len(queries)]}, headers=headers
            ).status_code
            == 200
        )

    for i in range(20):  # warm up: compiled statement caches, templates
        scan(tokens[-1 - i], 200)
        search(i)
    results = {}
    cases = (
        ("first scan", lambda i: scan(tokens[i], 200)),
        ("repeat scan", lambda i: scan(tokens[i], 409)),
        ("search", search),
    )
    for name, fn in cases:
        sql.update(n=0, seconds=0.0)
        profile = cProfile.Profile()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        if not args.plain:
            profile.enable()
        times = []
        for i in range(args.n):
            t0 = time.perf_counter()
            fn(i)
            times.append(time.perf_counter() - t0)
        profile.disable()
        times.sort()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        stats = pstats.Stats(profile).stats if not args.plain else {}
        if args.top and not args.plain:
            print(f"== {name}", file=sys.stderr)
            pstats.Stats(profile, stream=sys.stderr).sort_stats(
                os.environ.get("PROFILE_SORT", "tottime")
            ).print_stats(args.top)
        parts = {}
        for label, match in PARTS:
            total = sum(
                ct
                for (f, _line, fname), (_cc, _nc, _tt, ct, callers) in stats.items()
                if match(f, fname) and not any(match(cf, cn) for (cf, _cl, cn) in callers)
            )
            if total:
                parts[label] = round(total * 1000 / args.n, 2)
        results[name] = {
            "wall_ms": round(wall * 1000 / args.n, 2),
            "p50_ms": round(_nearest_rank(times, 50) * 1000, 2),
            "p95_ms": round(_nearest_rank(times, 95) * 1000, 2),
            "cpu_ms": round(cpu * 1000 / args.n, 2),
            "statements": round(sql["n"] / args.n, 2),
            "sql_wait_ms": round(sql["seconds"] * 1000 / args.n, 2),
            "parts_ms (under cProfile)": parts,
        }
    print(
        json.dumps(
            {
                "database": info["dialect"],
                "leads": info["leads"],
                "invitees": len(tokens),
                "requests": args.n,
                "results": results,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
