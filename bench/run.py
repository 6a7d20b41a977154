"""Benchmark LeadLoop pages at a given data size on SQLite or PostgreSQL.

    python bench/run.py --db sqlite:////tmp/bench-1m.db --leads 1000000 --stores 20 --reuse
    python bench/run.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m --leads 1000000 --reuse

Seeds the database (unless --reuse finds data), serves the app with gunicorn (2 workers) on a free
local port with LEADLOOP_BENCH=1, logs in as the demo user of each role a scenario needs, and
requests every scenario from bench/scenarios/*.py. Server time and SQL statements come from the
X-Server-Time-ms and X-SQL-Queries response headers. Prints a markdown table and writes
bench/results/<db>-<leads>.json.
"""

import argparse
import importlib.util
import json
import math
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TODAY = re.compile(r"\{today([+-]\d+)?\}")  # form dates relative to the run: {today+1}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file in /tmp)")
    parser.add_argument("--leads", type=int, default=20000)
    parser.add_argument("--stores", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--requests", type=int, default=40, help="measured requests per scenario")
    parser.add_argument(
        "--warmup", type=int, default=10, help="unmeasured requests first (warms every worker)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default=None, help="run only scenarios whose file or name contains this")
    parser.add_argument(
        "--skip", default=None, help="leave out the scenario files named here (comma-separated)"
    )
    parser.add_argument(
        "--max-ratio",
        type=float,
        default=10.0,
        help="a page passes when its client p95 is at most this many times the floor's (default 10)",
    )
    parser.add_argument(
        "--floor-requests", type=int, default=20, help="floor requests measured just before each scenario"
    )
    return parser.parse_args(argv)


def db_kind(url: str) -> str:
    return "postgresql" if url.startswith("postgres") else "sqlite"


def flask_env(url: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FLASK_APP": "wsgi.py",
        "RATELIMIT_ENABLED": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret-key-not-for-production"),
    }
    return env


def recreate_database(url: str) -> None:
    """Start from an empty database: delete the SQLite file or drop and create the PostgreSQL one."""
    if db_kind(url) == "sqlite":
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def lead_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM leads")).scalar() or 0
    except Exception:  # noqa: BLE001 - no schema yet
        return 0
    finally:
        engine.dispose()


def prepare(args) -> dict:
    """Seed the database unless --reuse finds it filled; return what was done and how long it took."""
    url = args.db
    existing = lead_count(url) if args.reuse else 0
    if existing:
        print(f"reusing {url} with {existing} leads")
        return {"seeded": False, "leads_in_db": existing}
    recreate_database(url)
    env = flask_env(url)
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    started = time.monotonic()
    subprocess.run(
        [
            str(BIN / "flask"),
            "seed-demo",
            "--leads",
            str(args.leads),
            "--stores",
            str(args.stores),
            "--seed",
            str(args.seed),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    seconds = round(time.monotonic() - started, 1)
    print(f"seeded {args.leads} leads in {seconds} s")
    return {"seeded": True, "seed_seconds": seconds, "leads_in_db": lead_count(url)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str, workers: int):
    """Start gunicorn with the timing headers on; return (process, base URL)."""
    port = free_port()
    env = {**flask_env(url), "LEADLOOP_BENCH": "1"}
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    return process, wait_until_up(process, f"http://127.0.0.1:{port}", "/healthz", "gunicorn")


def wait_until_up(process, base: str, probe: str, what: str, seconds: float = 60) -> str:
    """Wait until `base + probe` answers 200; return `base` (stop the process and exit if it never does)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(base + probe, timeout=2).status_code == 200:
                return base
        except requests.RequestException:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"{what} did not start")


def serve_floor():
    """Start the floor (bench/floor_app.py: Flask + Jinja, a 50-card board, no database) the way
    LeadLoop is served (gunicorn, 2 sync workers); return (process, base URL)."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
        + ["--chdir", str(ROOT / "bench"), "floor_app:app"],
        cwd=ROOT,
    )
    return process, wait_until_up(process, f"http://127.0.0.1:{port}", "/hello", "the floor")


def floor_p95(session: requests.Session, base: str, n: int) -> float:
    """Client round trip p95 of the floor's board, measured now (2 unmeasured requests first)."""
    times = []
    for i in range(n + 2):
        started = time.perf_counter()
        session.get(f"{base}/board").raise_for_status()
        if i >= 2:
            times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 95)


def load_scenarios(only: str | None, skip: str | None = None) -> list[dict]:
    scenarios = []
    left_out = set((skip or "").split(","))
    for path in sorted((ROOT / "bench" / "scenarios").glob("*.py")):
        if path.stem in left_out:
            continue
        spec = importlib.util.spec_from_file_location(f"bench_scenarios_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for scenario in getattr(module, "SCENARIOS", []):
            item = {"file": path.stem, "method": "GET", **scenario}
            if only and only not in path.stem and only not in item["name"]:
                continue
            scenarios.append(item)
    return scenarios


class Resolver:
    """Fill {lead_id} {event_id} {store_id} {store_code} {token} with objects in the user's scope."""

    def __init__(self, url: str):
        os.environ.update(flask_env(url))
        from app import create_app

        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
        self.cache: dict[tuple, str | None] = {}

    def demo_user(self, role: str):
        from sqlalchemy import select

        from app.accounts.models import Role, User
        from app.extensions import db

        with self.app.app_context():
            return db.session.execute(
                select(User.username)
                .where(
                    User.role == Role(role), User.active.is_(True), User.email.like("%@demo.leadloop.local")
                )
                .order_by(User.id)
                .limit(1)
            ).scalar()

    def fill(self, path: str, role: str, extra: dict | None = None) -> str | None:
        missing = False

        def replace(match):
            nonlocal missing
            name = match.group(1)
            value = (extra or {}).get(name) if extra and name in extra else self.value(name, role)
            if value is None:
                missing = True
                return match.group(0)
            return str(value)

        filled = PLACEHOLDER.sub(replace, path)
        return None if missing else filled

    def lead_version(self, role: str):
        """Return the current version of the scenario lead (read before each move, not timed)."""
        from app.extensions import db
        from app.leads.models import Lead

        lead_id = self.value("open_lead_id", role) or self.value("lead_id", role)
        with self.app.app_context():
            return db.session.get(Lead, int(lead_id)).version if lead_id else None

    def value(self, name: str, role: str):
        key = (name, role)
        if key not in self.cache:
            with self.app.app_context():
                self.cache[key] = self._lookup(name, role)
        return self.cache[key]

    def _lookup(self, name: str, role: str):
        from sqlalchemy import select

        from app.accounts.models import Store, User
        from app.extensions import db
        from app.leads.models import Lead
        from app.web.permissions import scoped_leads

        username = self.demo_user(role) if role != "anonymous" else None
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        store_id = (
            user.store_id
            if user and user.store_id
            else db.session.scalar(select(Store.id).order_by(Store.id))
        )
        if name == "store_code":
            return db.session.scalar(select(Store.code).where(Store.id == store_id))
        if name == "store_id":
            return store_id
        if name in ("lead_id", "open_lead_id"):
            if user is None:
                return None
            stmt = scoped_leads(user).with_only_columns(Lead.id).order_by(Lead.id.desc()).limit(1)
            if name == "open_lead_id":  # a lead in an open stage (a card that may be dragged)
                from app.admin.reference import open_stage_ids

                stmt = stmt.where(Lead.stage_id.in_(open_stage_ids()))
            return db.session.scalar(stmt)
        from app.invitations.models import Event, Invitation

        if name == "event_id":
            return db.session.scalar(
                select(Event.id).where(Event.store_id == store_id).order_by(Event.id.desc()).limit(1)
            )
        if name == "token":
            return db.session.scalar(
                select(Invitation.token)
                .where(Invitation.store_id == store_id)
                .order_by(Invitation.id.desc())
                .limit(1)
            )
        return None


def login(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/login",
        data={"username": username, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    if response.status_code != 303:
        raise SystemExit(f"cannot log in as {username}: HTTP {response.status_code}")
    if response.headers.get("Location", "").endswith("/login/mfa"):
        _second_factor(session, base, username)
    home = session.get(f"{base}/").text
    found = re.search(r'"X-CSRFToken": "([^"]+)"', home)
    session.headers["X-CSRFToken"] = found.group(1) if found else token
    return session


def _second_factor(session: requests.Session, base: str, username: str) -> None:
    """Demo users who export confirm with a TOTP code (the demo key); a code is single-use, so a
    second login of the same user within 30 seconds waits for the next code."""
    import pyotp

    from app.demo.seed import DEMO_TOTP_SECRET

    for _attempt in range(3):
        page = session.get(f"{base}/login/mfa").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
        response = session.post(
            f"{base}/login/mfa", data={"code": code, "csrf_token": token}, allow_redirects=False
        )
        if response.status_code == 303:
            return
        time.sleep(30 - time.time() % 30 + 0.5)
    raise SystemExit(f"cannot confirm the second factor of {username}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))  # nearest rank
    return ordered[index]


def measure(
    session: requests.Session, base: str, scenario: dict, path: str, n: int, warmup: int, data_for=None
) -> dict:
    """Request the page warmup + n times; `data_for(i)` builds the form data of request i."""
    method = scenario.get("method", "GET").upper()
    headers = scenario.get("headers", {})
    server, client, queries, statuses = [], [], [], set()
    for i in range(warmup + n):
        data = data_for(i) if data_for else scenario.get("data")
        started = time.perf_counter()
        response = session.request(method, base + path, data=data, headers=headers, allow_redirects=False)
        elapsed = (time.perf_counter() - started) * 1000
        if i < warmup:
            continue
        statuses.add(response.status_code)
        server.append(float(response.headers.get("X-Server-Time-ms", "nan")))
        client.append(elapsed)
        queries.append(int(response.headers.get("X-SQL-Queries", "-1")))
    p95 = percentile(server, 95)
    return {
        "status": sorted(statuses),
        "p50_ms": round(statistics.median(server), 1),
        "p95_ms": round(p95, 1),
        "client_p95_ms": round(percentile(client, 95), 1),
        "queries": max(queries),
        "queries_min": min(queries),
        "server_target_met": p95 <= scenario["target_p95_ms"],
        "status_ok": all(s in scenario.get("expect_status", range(200, 400)) for s in statuses),
    }


def extract_prepared(session: requests.Session, base: str, resolver, scenario: dict, role: str) -> dict:
    """Run a scenario's "prepare" step: GET a page and pull a value out of it with a regex."""
    step = scenario.get("prepare")
    if not step:
        return {}
    path = resolver.fill(step["path"], role)
    if path is None:
        return {}
    found = re.search(step["extract"], session.get(base + path, headers=step.get("headers", {})).text)
    return {step["as"]: found.group(1)} if found else {}


def data_builder(resolver, scenario: dict, role: str, extra: dict):
    """Return data_for(i): placeholders filled per request ({lead_version} read fresh each time),
    list values cycled (so a move alternates between two stages instead of repeating a no-op)."""
    template = scenario.get("data")
    if not template:
        return None

    def data_for(i: int) -> dict:
        out = {}
        for key, value in template.items():
            if isinstance(value, list):
                value = value[i % len(value)]
            if isinstance(value, str):
                value = TODAY.sub(
                    lambda m: (date.today() + timedelta(days=int(m.group(1) or 0))).isoformat(), value
                )
                if "{lead_version}" in value:
                    value = value.replace("{lead_version}", str(resolver.lead_version(role)))
                value = resolver.fill(value, role, extra) or value
            out[key] = value
        return out

    return data_for


def run(args) -> dict:
    from app.demo.seed import DEMO_PASSWORD

    args.db = args.db or f"sqlite:////tmp/bench-{args.leads}.db"
    load_before = os.getloadavg()
    preparation = prepare(args)
    resolver = Resolver(args.db)
    scenarios = load_scenarios(args.only, args.skip)
    process, base = serve(args.db, args.workers)
    floor_process, floor_base = serve_floor()
    floor_session = requests.Session()
    sessions: dict[str, requests.Session] = {}
    results = []
    try:
        for scenario in scenarios:
            role = scenario["role"]
            if role not in sessions:
                if role == "anonymous":
                    sessions[role] = requests.Session()
                else:
                    username = resolver.demo_user(role)
                    if username is None:
                        print(f"skip {scenario['name']}: no demo user for role {role}")
                        continue
                    sessions[role] = login(base, username, DEMO_PASSWORD)
            extra = extract_prepared(sessions[role], base, resolver, scenario, role)
            path = resolver.fill(scenario["path"], role, extra)
            if path is None:
                results.append({**scenario, "skipped": "no object in scope for a placeholder"})
                continue
            # The floor is measured just before each page, so both see the same machine load.
            floor = floor_p95(floor_session, floor_base, args.floor_requests)
            outcome = measure(
                sessions[role],
                base,
                scenario,
                path,
                args.requests,
                args.warmup,
                data_builder(resolver, scenario, role, extra),
            )
            ratio = outcome["client_p95_ms"] / floor
            outcome.update(
                floor_p95_ms=round(floor, 2),
                floor_ratio=round(ratio, 1),
                ok=outcome["status_ok"] and ratio <= args.max_ratio,
            )
            results.append({**scenario, "url": path, **outcome})
            print(
                f"  {scenario['file']}: {scenario['name']} ({role}) client p95 {outcome['client_p95_ms']} ms "
                f"= {outcome['floor_ratio']}x the floor, server p95 {outcome['p95_ms']} ms, "
                f"{outcome['queries']} queries",
                flush=True,
            )
    finally:
        for server in (process, floor_process):
            server.terminate()
            server.wait(timeout=30)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": db_kind(args.db),
        "leads": args.leads,
        "stores": args.stores,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            # The machine may be shared: the load shows how much else was running.
            "load_average_start": [round(x, 1) for x in load_before],
            "load_average_end": [round(x, 1) for x in os.getloadavg()],
        },
        "gunicorn_workers": args.workers,
        "max_ratio": args.max_ratio,
        "requests_per_scenario": args.requests,
        **preparation,
        "results": results,
    }
    return report


def markdown(report: dict) -> str:
    lines = [
        f"{report['database']}, {report['leads']:,} leads, {report['date']}, "
        f"{report['machine']['cpus']} CPUs (load average {report['machine']['load_average_end'][0]}), "
        f"gunicorn {report['gunicorn_workers']} workers, {report['requests_per_scenario']} requests each; "
        f"a page passes at ≤ {report['max_ratio']:g}× the floor's client p95 measured just before it",
        "",
        "| scenario | role | path | status | server p50 ms | server p95 ms | server target | SQL queries "
        "| client p95 ms | floor p95 ms | × floor | ok |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        if r.get("skipped"):
            lines.append(
                f"| {r['name']} | {r['role']} | `{r['path']}` | skipped: {r['skipped']} |" + " |" * 8
            )
            continue
        queries = (
            str(r["queries"]) if r["queries"] == r["queries_min"] else f"{r['queries_min']}–{r['queries']}"
        )
        lines.append(
            f"| {r['name']} | {r['role']} | `{r['url']}` | {','.join(map(str, r['status']))} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['target_p95_ms']} | {queries} | "
            f"{r['client_p95_ms']} | {r['floor_p95_ms']} | {r['floor_ratio']} | {'yes' if r['ok'] else '**no**'} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = run(args)
    table = markdown(report)
    print()
    print(table)
    parts = [report["database"], str(report["leads"])]
    parts += [args.only] if args.only else []
    parts += ["without", *args.skip.split(",")] if args.skip else []
    out = ROOT / "bench" / "results" / f"{'-'.join(parts)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**report, "markdown": table}, ensure_ascii=False, indent=2, default=str))
    print(f"\nwritten {out.relative_to(ROOT)}")
    return 0 if all(r.get("ok", True) for r in report["results"]) else 1


if __name__ == "__main__":
    sys.exit(main())
