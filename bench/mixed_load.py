"""Mixed load: concurrent consultants load boards and lists, drag cards and log follow-ups.

    python bench/mixed_load.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_200k \
        --leads 200000 --reuse --clients 16 --workers 4 --seconds 60

Serves the app with the production gunicorn settings (`deploy/gunicorn.conf.py`: gthread workers,
keep-alive) and `--workers` processes, logs in `--clients` clients as consultants of the demo's
first store (two clients per consultant, so two people race for the same cards), and for
`--seconds` each client picks at random: load the board (30 %), drag one of its consultant's cards
to the other of two open stages (30 %), log a follow-up with a next plan (20 %), load the lead list
(20 %). Drags and follow-ups send the lead's version as the browser does (read just before,
untimed), so a race answers 409 (a conflict the user sees), never a silent overwrite.

Reports throughput and p50/p95 per kind, and checks that there were no errors (no 5xx, no
unexpected status, no failed connection) and no lost update: the stage-change and follow-up rows
written during the run equal the moves and follow-ups the server answered as done, and every lead
ends in the stage of its last stage change. A write that lost a race answers 409 and is counted
apart (the user is told and keeps what they typed). Exits 1 when either check fails. Writes bench/results/mixed-<db>-<leads>.json.
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import BIN, db_kind, flask_env, free_port, login, percentile, prepare, wait_until_up  # noqa: E402

KINDS = (("board", 30), ("move", 30), ("followup", 20), ("list", 20))
STAGES = ("invited", "contacted")  # two open stages a consultant may drag between without a dialog
OK = {"board": {200}, "list": {200}, "followup": {200, 409}, "move": {200, 409}}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL (PostgreSQL for the published figures)")
    parser.add_argument("--leads", type=int, default=20000, help="leads to seed when the database is empty")
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the data if the database has leads")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--cards", type=int, default=6, help="cards each consultant drags")
    return parser.parse_args(argv)


def serve(url: str, workers: int, threads: int):
    """gunicorn with the production settings file; return (process, base URL)."""
    import subprocess

    port = free_port()
    env = {
        **flask_env(url),
        "BIND": f"127.0.0.1:{port}",
        "WORKERS": str(workers),
        "THREADS": str(threads),
        "ACCESS_LOG": "",
        "LOG_FORMAT": "text",
    }
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
    )
    return process, wait_until_up(process, f"http://127.0.0.1:{port}", "/healthz", "gunicorn")


class World:
    """The consultants, their cards, and fresh card versions read straight from the database."""

    def __init__(self, url: str, consultants: int, cards: int):
        from sqlalchemy import create_engine

        self.engine = create_engine(url, pool_size=consultants * 2 + 2)
        self.people = self._people(consultants, cards)

    def _people(self, consultants: int, cards: int) -> list[tuple[str, list[int]]]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            store = conn.execute(text("SELECT MIN(store_id) FROM users WHERE role = 'consultant'")).scalar()
            stage_ids = [
                conn.execute(text("SELECT id FROM pipeline_stages WHERE code = :c"), {"c": c}).scalar()
                for c in STAGES
            ]
            names = conn.execute(
                text(
                    "SELECT id, username FROM users WHERE role = 'consultant' AND active AND store_id = :s "
                    "AND email LIKE '%@demo.leadloop.local' ORDER BY id LIMIT :n"
                ),
                {"s": store, "n": consultants},
            ).all()
            people = []
            for user_id, username in names:
                leads = conn.execute(
                    text(
                        "SELECT id FROM leads WHERE owner_id = :u AND stage_id IN (:a, :b) "
                        "ORDER BY id DESC LIMIT :n"
                    ),
                    {"u": user_id, "a": stage_ids[0], "b": stage_ids[1], "n": cards},
                ).scalars()
                people.append((username, list(leads)))
        return [p for p in people if p[1]]

    def card(self, lead_id: int) -> tuple[int, str]:
        """The card's version and stage code, as the board last showed them."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return tuple(
                conn.execute(
                    text(
                        "SELECT l.version, s.code FROM leads l JOIN pipeline_stages s ON s.id = l.stage_id "
                        "WHERE l.id = :id"
                    ),
                    {"id": lead_id},
                ).one()
            )

    def high_water(self) -> dict:
        """The last stage-change and follow-up ids before the run."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return {
                table: conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar()  # noqa: S608
                for table in ("stage_changes", "followups")
            }

    def audit(self, since: dict, leads: list[int]) -> dict:
        """Rows written since `since` on the run's leads, and leads whose stage is not their last move's."""
        from sqlalchemy import bindparam, text

        with self.engine.connect() as conn:
            rows = {
                table: conn.execute(
                    text(
                        f"SELECT COUNT(*) FROM {table} WHERE id > :since AND lead_id IN :leads"  # noqa: S608
                    ).bindparams(bindparam("leads", expanding=True)),
                    {"since": since[table], "leads": leads},
                ).scalar()
                for table in since
            }
            mismatched = conn.execute(
                text(
                    "SELECT COUNT(*) FROM leads l WHERE l.id IN :leads AND l.stage_id <> ("
                    " SELECT c.to_stage_id FROM stage_changes c WHERE c.lead_id = l.id"
                    " ORDER BY c.id DESC LIMIT 1)"
                ).bindparams(bindparam("leads", expanding=True)),
                {"leads": leads},
            ).scalar()
        return {
            "stage_change_rows": rows["stage_changes"],
            "followup_rows": rows["followups"],
            "leads_not_in_last_moved_stage": mismatched,
        }


def client_loop(session, base, world, leads, stop_at, seed, results, lock):
    rng = random.Random(seed)
    kinds = [k for k, weight in KINDS for _ in range(weight)]
    local = defaultdict(list)
    statuses = defaultdict(lambda: defaultdict(int))
    moved = logged = conflicts = failures = 0
    while time.monotonic() < stop_at:
        kind = rng.choice(kinds)
        lead_id = rng.choice(leads)
        headers = {}
        data = None
        if kind == "board":
            method, path = "GET", "/board"
        elif kind == "list":
            method, path = "GET", "/leads"
        elif kind == "followup":
            method, path = "POST", f"/leads/{lead_id}/followups"
            headers = {"HX-Request": "true"}
            data = {
                "version": world.card(lead_id)[0],
                "method": "phone",
                "result": "not_reached",
                "content": "压测：客户未接，稍后再打",
                "next_due": (date.today() + timedelta(days=1)).isoformat(),
                "next_content": "再次致电",
            }
        else:
            version, stage = world.card(lead_id)
            method, path = "POST", "/board/move"
            headers = {"HX-Request": "true"}
            data = {"lead_id": lead_id, "stage": STAGES[1 - STAGES.index(stage)], "version": version}
        started = time.perf_counter()
        try:
            response = session.request(method, base + path, data=data, headers=headers, timeout=60)
        except requests.RequestException:
            failures += 1
            statuses[kind]["connection failed"] += 1
            continue
        local[kind].append((time.perf_counter() - started) * 1000)
        statuses[kind][response.status_code] += 1
        if response.status_code not in OK[kind]:
            failures += 1
        elif response.status_code == 409:
            conflicts += 1
        elif kind == "followup":
            logged += 1
        elif kind == "move":
            if 'data-outcome="moved"' in response.text:
                moved += 1
            else:  # a 200 that is not a move: the check below would miscount, so say so
                failures += 1
                statuses[kind]["200 without a move"] += 1
    with lock:
        for kind, times in local.items():
            results["times"][kind].extend(times)
        for kind, counts in statuses.items():
            for status, count in counts.items():
                results["status"][kind][str(status)] += count
        results["moved"] += moved
        results["logged"] += logged
        results["conflicts"] += conflicts
        results["errors"] += failures


def run(args) -> dict:
    from app.demo.seed import DEMO_PASSWORD

    load_before = os.getloadavg()
    preparation = prepare(args)
    world = World(args.db, (args.clients + 1) // 2, args.cards)
    if not world.people:
        raise SystemExit("no consultant with cards in the two stages: seed demo data first")
    process, base = serve(args.db, args.workers, args.threads)
    results = {
        "times": defaultdict(list),
        "status": defaultdict(lambda: defaultdict(int)),
        "moved": 0,
        "logged": 0,
        "conflicts": 0,
        "errors": 0,
    }
    lock = threading.Lock()
    try:
        sessions = {}
        for username, _leads in world.people:
            # Two clients per consultant: the same person on a phone and a laptop, racing.
            sessions[username] = [login(base, username, DEMO_PASSWORD) for _ in range(2)]
        clients = []
        for n in range(args.clients):
            username, leads = world.people[(n // 2) % len(world.people)]
            clients.append((sessions[username][n % 2], leads))
        since = world.high_water()
        stop_at = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=client_loop, args=(session, base, world, leads, stop_at, n, results, lock)
            )
            for n, (session, leads) in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
    audit = world.audit(since, sorted({lead for _, leads in world.people for lead in leads}))
    kinds = {}
    for kind, _weight in KINDS:
        times = results["times"].get(kind, [])
        kinds[kind] = {
            "requests": len(times),
            "per_second": round(len(times) / elapsed, 1),
            "p50_ms": round(percentile(times, 50), 1) if times else None,
            "p95_ms": round(percentile(times, 95), 1) if times else None,
            "status": dict(results["status"].get(kind, {})),
        }
    total = sum(k["requests"] for k in kinds.values())
    lost = abs(audit["stage_change_rows"] - results["moved"]) + abs(
        audit["followup_rows"] - results["logged"]
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": db_kind(args.db),
        "leads_in_db": preparation["leads_in_db"],
        "clients": args.clients,
        "consultants": len(world.people),
        "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
        "seconds": round(elapsed, 1),
        "throughput_per_second": round(total / elapsed, 1),
        "kinds": kinds,
        "moves_done": results["moved"],
        "followups_logged": results["logged"],
        "conflicts": results["conflicts"],
        "errors": results["errors"],
        **audit,
        "lost_or_phantom_updates": lost,
        "load_average_start": [round(x, 1) for x in load_before],
        "load_average_end": [round(x, 1) for x in os.getloadavg()],
        "ok": results["errors"] == 0 and lost == 0 and audit["leads_not_in_last_moved_stage"] == 0,
    }


def markdown(report: dict) -> str:
    lines = [
        f"{report['database']}, {report['leads_in_db']:,} leads, {report['date']}, {report['clients']} clients "
        f"({report['consultants']} consultants), gunicorn {report['gunicorn']['workers']} workers × "
        f"{report['gunicorn']['threads']} threads, {report['seconds']} s, load average "
        f"{report['load_average_start'][0]} → {report['load_average_end'][0]}",
        "",
        "| kind | requests | per second | p50 ms | p95 ms | answers |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind, row in report["kinds"].items():
        answers = ", ".join(f"{status}: {count}" for status, count in sorted(row["status"].items()))
        lines.append(
            f"| {kind} | {row['requests']} | {row['per_second']} | {row['p50_ms']} | {row['p95_ms']} | {answers} |"
        )
    lines += [
        "",
        f"Throughput {report['throughput_per_second']} requests/s; errors {report['errors']}; moves done "
        f"{report['moves_done']} (stage-change rows {report['stage_change_rows']}), follow-ups logged "
        f"{report['followups_logged']} (follow-up rows {report['followup_rows']}), lost or phantom writes "
        f"{report['lost_or_phantom_updates']}; races answered 409 {report['conflicts']}; leads not in "
        f"their last move's stage {report['leads_not_in_last_moved_stage']}.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = run(args)
    table = markdown(report)
    print(table)
    out = ROOT / "bench" / "results" / f"mixed-{report['database']}-{report['leads_in_db']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**report, "markdown": table}, ensure_ascii=False, indent=2))
    print(f"\nwritten {out.relative_to(ROOT)}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
