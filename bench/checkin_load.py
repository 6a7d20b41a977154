"""Door check-in load test against gunicorn (2 workers) over loopback.

Creates an event with N invitees (default 5,000) in an already seeded database, starts gunicorn,
logs in as the store's clerk and measures, as a tablet sees it:
  check-in search p95, check-in by token p95 (sequential), repeat scan p95, RSVP page p95,
  and check-ins per second with 4 concurrent clients.

    DATABASE_URL=sqlite:////tmp/invite.db .venv/bin/python bench/checkin_load.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/leadloop_bench .venv/bin/python bench/checkin_load.py
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_PASSWORD = "bench-door-2026"  # noqa: S105 - throwaway bench login


def prepare(invitees: int) -> dict:
    """Create the event, its invitations and a clerk login; return what the clients need."""
    from sqlalchemy import func, select

    from app import create_app
    from app.accounts.models import Role, Store, User
    from app.accounts.passwords import hash_password
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.invitations.models import Event, EventType, Invitation, InvitationStatus
    from app.invitations.rules import new_token, token_expiry
    from app.leads.models import Lead

    app = create_app()
    with app.app_context():
        store_id = db.session.execute(
            select(Lead.store_id, func.count()).group_by(Lead.store_id).order_by(func.count().desc()).limit(1)
        ).first()[0]
        store = db.session.get(Store, store_id)
        username = f"{store.code}-door-bench"
        clerk = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if clerk is None:
            clerk = User(
                username=username,
                display_name="签到台",
                role=Role.CLERK,
                store_id=store.id,
                password_hash=hash_password(BENCH_PASSWORD),
            )
            db.session.add(clerk)
        now = utcnow()
        event = Event(
            store_id=store.id,
            theme=f"压测活动 {now:%H%M%S}",
            type=EventType.LAUNCH,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=6),
            place="展厅",
        )
        db.session.add(event)
        db.session.flush()
        lead_ids = (
            db.session.execute(
                select(Lead.id).where(Lead.store_id == store.id).order_by(Lead.id.desc()).limit(invitees)
            )
            .scalars()
            .all()
        )
        expires = token_expiry(event.ends_at)
        rows = [
            {
                "event_id": event.id,
                "lead_id": lid,
                "store_id": store.id,
                "token": new_token(),
                "token_expires_at": expires,
                "status": InvitationStatus.ACCEPTED.value,
                "headcount": 1,
                "invited_at": now,
                "created_at": now,
                "version": 1,
                "is_walk_in": False,
            }
            for lid in lead_ids
        ]
        db.session.execute(Invitation.__table__.insert(), rows)
        db.session.commit()
        guests = db.session.execute(
            select(Lead.phone_last4, Lead.name)
            .join(Invitation, Invitation.lead_id == Lead.id)
            .where(Invitation.event_id == event.id)
            .order_by(Invitation.id)
            .limit(200)
        ).all()
        tails = [t for t, _name in guests if t]
        leads_total = db.session.execute(select(func.count(Lead.id))).scalar()
        dialect = db.engine.dialect.name
        return {
            "event_id": event.id,
            "username": username,
            "tokens": [r["token"] for r in rows],
            "tails": tails,
            "names": [name for _tail, name in guests if name],
            "leads": leads_total,
            "dialect": dialect,
        }


def start_server(port: int, workers: int = 2, env: dict | None = None) -> subprocess.Popen:
    """gunicorn with the worker settings of deploy/gunicorn.conf.py (gthread, keep-alive), no access log."""
    env = {
        **(env or os.environ),
        "PUBLIC_RATE_LIMIT": "1000000 per minute",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "BIND": f"127.0.0.1:{port}",
        "WORKERS": str(workers),
        "ACCESS_LOG": "",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "-c",
            str(ROOT / "deploy/gunicorn.conf.py"),
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=10)
            return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.terminate()
    proc.wait(timeout=10)
    raise SystemExit("gunicorn did not start")


def login(base: str, username: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/login",
        data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 303, response.status_code
    door = session.get(f"{base}/").text
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', door).group(1)
    return session, csrf


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def timed(fn, n: int) -> list[float]:
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitees", type=int, default=5000)
    parser.add_argument("--port", type=int, default=5105)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--concurrent", type=int, default=0, help="guests checked in by the 4 clients (0: all left)"
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="create the event, print its JSON and stop"
    )
    args = parser.parse_args()
    t0 = time.perf_counter()
    info = prepare(args.invitees)
    if args.prepare_only:
        print(json.dumps(info, ensure_ascii=False))
        return
    log(
        f"prepared event {info['event_id']} with {len(info['tokens'])} invitees in {time.perf_counter() - t0:.1f}s"
    )
    base = f"http://127.0.0.1:{args.port}"
    proc = start_server(args.port)
    log("gunicorn up")
    try:
        session, csrf = login(base, info["username"])
        headers = {"X-CSRFToken": csrf, "HX-Request": "true"}
        event = info["event_id"]
        tokens = info["tokens"]
        n = min(args.samples, len(tokens) // 4)
        for i in range(20):  # warm up both workers
            session.get(f"{base}/checkin/{event}/search", params={"q": info["tails"][i % len(info["tails"])]})

        def search(i):
            r = session.get(
                f"{base}/checkin/{event}/search",
                params={"q": info["tails"][i % len(info["tails"])]},
                headers=headers,
            )
            assert r.status_code == 200

        def checkin(i):
            r = session.post(
                f"{base}/checkin/{event}",
                data={"code": tokens[i], "client_id": uuid.uuid4().hex},
                headers=headers,
            )
            assert r.status_code == 200, r.status_code

        def repeat(i):
            r = session.post(
                f"{base}/checkin/{event}",
                data={"code": tokens[i], "client_id": uuid.uuid4().hex},
                headers=headers,
            )
            assert r.status_code == 409, r.status_code

        anon = requests.Session()

        def rsvp(i):
            r = anon.get(f"{base}/r/{tokens[-1 - i]}")
            assert r.status_code == 200, r.status_code

        results = {"database": info["dialect"], "leads": info["leads"], "invitees": len(tokens)}
        for name, fn in (
            ("checkin_search", search),
            ("checkin_by_token", checkin),
            ("repeat_scan", repeat),
            ("rsvp_page", rsvp),
        ):
            results[name] = summary(timed(fn, n))
            log(f"{name}: {results[name]}")

        remaining = tokens[n : len(tokens) - n]
        if args.concurrent:
            remaining = remaining[: args.concurrent]
        per_client = len(remaining) // 4
        counts = [0] * 4
        errors = [0] * 4

        def tablet(k: int):
            s, token = login(base, info["username"])
            h = {"X-CSRFToken": token, "HX-Request": "true"}
            for code in remaining[k * per_client : (k + 1) * per_client]:
                r = s.post(
                    f"{base}/checkin/{event}", data={"code": code, "client_id": uuid.uuid4().hex}, headers=h
                )
                if r.status_code == 200:
                    counts[k] += 1
                else:
                    errors[k] += 1

        threads = [threading.Thread(target=tablet, args=(k,)) for k in range(4)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        results["concurrent_4_clients"] = {
            "checkins": sum(counts),
            "errors": sum(errors),
            "seconds": round(elapsed, 2),
            "checkins_per_s": round(sum(counts) / elapsed, 1),
        }
        print(json.dumps(results, ensure_ascii=False, indent=2))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
