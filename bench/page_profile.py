"""Where a page's time goes, in-process: the board, lists, the lead page and the manager and DCC queues.

Logs in as the demo user of a role through Flask's test client (the seeded demo data: `flask
seed-demo`), requests each page a number of times and prints per page: wall time (mean, p95),
statements, the time spent waiting on the database, the size of the HTML, and the functions with
the most inclusive time (template rendering, url_for, gettext, queries).

The posts (`move`: drag a card, `followup`: log a follow-up from the lead page) and the login
leave the database as it was: every transaction the application commits is rolled back in the
database instead (the application sees an ordinary commit), so a shared database can be profiled.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/leadloop_bench \
        python bench/page_profile.py --role consultant --page board --n 50
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {
    "board": "/board",
    "leads": "/leads",
    "lead": "/leads/{lead_id}",
    "move": "/board/move",
    "followup": "/leads/{lead_id}/followups",
    "reclaim": "/reclaim",
    "reassign": "/reclaim/{lead_id}/reassign",  # one row's choice of new owner, as htmx loads it
    "dcc": "/dcc/queue",
    "pool": "/pool",
    "approvals": "/approvals",
    "review": "/review",
}


def _nearest_rank(ordered: list[float], pct: int) -> float:
    return ordered[max(0, -(-len(ordered) * pct // 100) - 1)]


def _login(app, client, role: str) -> dict:
    """Log in as the role's first demo user (with the demo TOTP code when the role needs one)."""
    import pyotp
    from sqlalchemy import select

    from app.accounts.models import Role, User
    from app.demo.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET
    from app.extensions import db

    with app.app_context():
        username = db.session.execute(
            select(User.username)
            .where(User.role == Role(role), User.active.is_(True), User.email.like("%@demo.leadloop.local"))
            .order_by(User.id)
            .limit(1)
        ).scalar()
    token_re = r'name="csrf_token" type="hidden" value="([^"]+)"'
    token = re.search(token_re, client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.status_code
    if response.headers.get("Location", "").endswith("/login/mfa"):
        for _attempt in range(3):  # a code is single-use: a second login within 30 s waits for the next
            token = re.search(token_re, client.get("/login/mfa").get_data(as_text=True)).group(1)
            code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
            if client.post("/login/mfa", data={"code": code, "csrf_token": token}).status_code == 303:
                break
            time.sleep(30 - time.time() % 30 + 0.5)
        else:
            raise SystemExit(f"cannot confirm the second factor of {username}")
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    return {"X-CSRFToken": csrf}


def _lead_id(app, role: str, open_stage: bool = False) -> int:
    from sqlalchemy import select

    from app.accounts.models import Role, User
    from app.admin.reference import open_stage_ids
    from app.extensions import db
    from app.leads.models import Lead
    from app.web.permissions import scoped_leads

    with app.app_context():
        user = db.session.execute(
            select(User)
            .where(User.role == Role(role), User.active.is_(True), User.email.like("%@demo.leadloop.local"))
            .order_by(User.id)
            .limit(1)
        ).scalar_one()
        stmt = scoped_leads(user).with_only_columns(Lead.id).order_by(Lead.id.desc()).limit(1)
        if open_stage:
            stmt = stmt.where(Lead.stage_id.in_(open_stage_ids()))
        return db.session.scalar(stmt)


WRITES = {"move", "followup"}


def _roll_back_commits(app, engine) -> None:
    """Roll back in the database what the application commits (it sees a commit:
    its session events run as usual), and queue no delivery of messages that were never kept."""
    engine.dialect.do_commit = engine.dialect.do_rollback
    app.config["OUTBOX_DELIVER_ON_COMMIT"] = False


def _print_statements(engine, request_once) -> None:
    """Print each statement of one request with its time (ms) and its first line."""
    from sqlalchemy import event

    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t1"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        ms = (time.perf_counter() - conn.info.pop("t1", time.perf_counter())) * 1000
        seen.append((ms, " ".join(statement.split())[:160]))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        request_once()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    for ms, text in seen:
        print(f"{ms:7.2f} ms  {text}")
    print(f"{len(seen)} statements, {sum(ms for ms, _ in seen):.1f} ms\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="consultant")
    parser.add_argument("--page", default="board", choices=sorted(PAGES))
    parser.add_argument(
        "--path", help="any other page to GET instead of --page, e.g. /reports/daily?period=month"
    )
    parser.add_argument("--htmx", action="store_true", help="GET --path as HTMX does (a fragment)")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--plain", action="store_true", help="no cProfile: wall time, SQL and size only")
    parser.add_argument("--statements", action="store_true", help="print the statements of one request")
    parser.add_argument(
        "--lead", type=int, help="the lead of the lead page and the posts (default: the latest)"
    )
    parser.add_argument(
        "--reached",
        action="store_true",
        help="followup: the customer was reached (the lead moves on to contacted) instead of not reached",
    )
    parser.add_argument(
        "--without-aggregates",
        action="store_true",
        help="posts: skip the report aggregates' maintenance (app/reports/aggregates.py), to measure its share",
    )
    args = parser.parse_args()
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    from app import create_app
    from app.extensions import db
    from bench.sql_timing import time_statements

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        engine = db.engine
    sql = time_statements(engine)
    _roll_back_commits(app, engine)  # the login's and the posts' writes too

    client = app.test_client()
    headers = _login(app, client, args.role)
    lead_id = args.lead or _lead_id(app, args.role, open_stage=args.page in WRITES)
    path = args.path or PAGES[args.page].format(lead_id=lead_id)
    if args.path:
        args.page = "path"
    if args.without_aggregates:
        from app.reports import aggregates

        aggregates._has_tables = lambda _session: False
    from datetime import date, timedelta

    tomorrow = (date.today() + timedelta(days=1)).isoformat()

    def request_once():
        if args.page == "move":
            version = request_once.version  # the writes are rolled back: it stays the same
            stages = ["invited", "contacted", "negotiation"]  # two stages the card is not in
            stage = [s for s in stages if s != request_once.stage][request_once.i % 2]
            request_once.i += 1
            r = client.post(
                path,
                data={"lead_id": lead_id, "stage": stage, "version": version},
                headers={**headers, "HX-Request": "true"},
            )
        elif args.page == "followup":
            version = request_once.version  # the writes are rolled back: it stays the same
            r = client.post(
                path,
                data={
                    "method": "phone",
                    "result": "reached" if args.reached else "not_reached",
                    "content": "bench",
                    "next_due": tomorrow,
                    "next_content": "call again",
                    "version": version,
                },
                headers={
                    **headers,
                    "HX-Request": "true",
                    "HX-Current-URL": f"http://localhost/leads/{lead_id}",
                },
            )
        elif args.page == "reassign" or args.htmx:
            r = client.get(path, headers={**headers, "HX-Request": "true"})
        else:
            r = client.get(path, headers=headers)
        assert r.status_code == 200, r.status_code
        return r

    request_once.i = 0
    request_once.stage = request_once.version = None
    if args.page in WRITES:
        from app.admin.reference import by_id, stages
        from app.leads.models import Lead

        with app.app_context():
            lead = db.session.get(Lead, lead_id)
            request_once.stage, request_once.version = by_id(stages())[lead.stage_id].code, lead.version
    for _ in range(10):
        request_once()
    if args.statements:
        _print_statements(engine, request_once)
    sql.update(n=0, seconds=0.0)
    profile = cProfile.Profile()
    walls, cpus, size = [], [], 0
    for _ in range(args.n):
        t0, c0 = time.perf_counter(), time.process_time()
        if not args.plain:
            profile.enable()
        r = request_once()
        if not args.plain:
            profile.disable()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
        size = len(r.get_data())
    walls.sort()
    cpus.sort()
    print(
        f"{args.page} as {args.role} ({path}): mean {sum(walls) / len(walls):.1f} ms, "
        f"median {walls[len(walls) // 2]:.1f} ms, min {walls[0]:.1f} ms, p95 {_nearest_rank(walls, 95):.1f} ms, CPU median {cpus[len(cpus) // 2]:.1f} ms, "
        f"{sql['n'] / args.n:.1f} statements, "
        f"SQL {sql['seconds'] * 1000 / args.n:.1f} ms, {size / 1024:.1f} KB ({size} bytes)"
    )
    if not args.plain:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(
            os.environ.get("PROFILE_SORT", "cumulative")
        ).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
