"""Two LeadLoop app servers behind nginx, on one PostgreSQL and one Redis: prove that any server
answers any request.

Builds its own database (created, or its schema emptied), migrates it, seeds a small demo group, starts
two gunicorn instances (2 workers each, prometheus multiprocess mode), nginx in front of them
(round robin, generated config in a temp dir, not a daemon) and, when the app has a `flask worker`
command, one queue worker. Then checks:

  1. a login made on one server is valid on the other;
  2. 4 door tablets checking in 200 guests through nginx record exactly 200 check-ins, and the
     check-in counters of both servers' /metrics add up to 200;
  3. failed logins for one account, sent alternately to both servers, are throttled as one count;
  4. killing one app server (SIGKILL) in the middle of a check-in run loses no acknowledged
     check-in (every 2xx is in the database; tablets retry with the same client id, as the door does);
  5. (with a worker) an import uploaded through one server and committed through the other lands
     once; killing the worker in the middle of the import and starting it again finishes it once.

Prints a table of figures and exits 1 when a check fails.

    python bench/cluster.py                      # PostgreSQL on 127.0.0.1:5432, Redis on :6379/14
    python bench/cluster.py --pg postgresql://postgres@127.0.0.1:5432 --database ll_ops_cluster \
        --redis redis://127.0.0.1:6379/14 --guests 200 --json bench/results/cluster.json

Needs: nginx (scripts/system-deps.sh cluster installs it), PostgreSQL, redis-server (started on a
free port when the given Redis does not answer). Every address is on the loopback interface.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PASSWORD = "cluster-door-2026"  # noqa: S105 - throwaway login of a throwaway database
LOGIN_LIMIT = 10
RETRYABLE = {502, 503, 504}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f}s")


class Results:
    def __init__(self):
        self.checks: list[tuple[str, bool, str]] = []
        self.figures: list[tuple[str, str]] = []
        self.notes: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(ok), detail))
        log(f"{'PASS' if ok else 'FAIL'}  {name}  {detail}")
        return ok

    def figure(self, name: str, value) -> None:
        self.figures.append((name, str(value)))

    def note(self, text: str) -> None:
        self.notes.append(text)
        log(f"NOTE  {text}")

    @property
    def ok(self) -> bool:
        return all(ok for _n, ok, _d in self.checks)

    def table(self) -> str:
        lines = ["| check | result | detail |", "|---|---|---|"]
        lines += [f"| {n} | {'pass' if ok else 'FAIL'} | {d} |" for n, ok, d in self.checks]
        lines += ["", "| figure | value |", "|---|---|"]
        lines += [f"| {n} | {v} |" for n, v in self.figures]
        lines += [f"\nNote: {n}" for n in self.notes]
        return "\n".join(lines)


# --- processes -------------------------------------------------------------------------------


class Proc:
    """A child started in its own process group, so that it and its children can be killed."""

    def __init__(self, name: str, args: list[str], env: dict, logfile: Path):
        self.name, self.args, self.env, self.logfile = name, args, env, logfile
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Proc":
        out = open(self.logfile, "ab")  # noqa: SIM115 - closed with the process
        self.popen = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        return self

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.popen and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def gunicorn(port: int, env: dict, tmp: Path, name: str) -> Proc:
    metrics_dir = tmp / f"metrics-{name}"
    metrics_dir.mkdir(exist_ok=True)
    server_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    args = [
        str(BIN / "gunicorn"),
        "-c",
        str(ROOT / "deploy/gunicorn.conf.py"),
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(tmp / f"access-{name}.log"),
        "wsgi:app",
    ]
    return Proc(name, args, server_env, tmp / f"{name}.log").start()


NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
events {{ worker_connections 512; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    upstream leadloop {{
        server 127.0.0.1:{port_a} max_fails=1 fail_timeout=10s;
        server 127.0.0.1:{port_b} max_fails=1 fail_timeout=10s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 20m;
        location / {{
            proxy_pass http://leadloop;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
            proxy_next_upstream error timeout;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def nginx(port: int, port_a: int, port_b: int, tmp: Path) -> Proc:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, port_a=port_a, port_b=port_b))
    tmp.chmod(0o755)
    args = [binary, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log"), "-g", "daemon off;"]
    return Proc("nginx", args, dict(os.environ), tmp / "nginx.out").start()


def ensure_redis(url: str, tmp: Path) -> tuple[str, Proc | None]:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
        redis.Redis.from_url(url).flushdb()
        return url, None
    except redis.RedisError:
        pass
    port = free_port()
    proc = Proc(
        "redis",
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        dict(os.environ),
        tmp / "redis.log",
    ).start()
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return url, proc
        except redis.RedisError:
            time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


# --- database ----------------------------------------------------------------------------------


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def recreate_database(server: str, name: str) -> None:
    """An empty database `name`: created when missing, its schema emptied when it exists (dropping a
    database waits for a checkpoint, which can take minutes on a busy server)."""
    import psycopg

    try:
        empty_database(server, name)
        return
    except psycopg.OperationalError:  # no such database (yet)
        pass
    with psycopg.connect(f"{libpq(server)}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def empty_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{libpq(server)}/{name}", autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def scalar(db_url: str, sql: str, params=()):
    import psycopg

    with psycopg.connect(libpq(db_url)) as conn:
        return conn.execute(sql, params).fetchone()[0]


def flask(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def prepare(env: dict, guests: int, kill_guests: int) -> dict:
    """Users with a known password, two events (the 4-tablet run, the kill run) and their invitations."""
    os.environ.update(env)
    from datetime import timedelta

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
        users = {}
        for role in (Role.CLERK, Role.MANAGER):
            username = f"{store.code.lower()}-cluster-{role.value}"
            db.session.add(
                User(
                    username=username,
                    display_name=f"cluster {role.value}",
                    role=role,
                    store_id=store.id,
                    password_hash=hash_password(PASSWORD),
                )
            )
            users[role.value] = username
        now = utcnow()
        lead_ids = (
            db.session.execute(
                select(Lead.id).where(Lead.store_id == store.id).order_by(Lead.id).limit(guests + kill_guests)
            )
            .scalars()
            .all()
        )
        if len(lead_ids) < guests + kill_guests:
            raise SystemExit(
                f"the seed has {len(lead_ids)} leads in its largest store; "
                f"{guests + kill_guests} are needed (raise --leads)"
            )
        events = []
        for label, ids in (("4 tablets", lead_ids[:guests]), ("server killed", lead_ids[guests:])):
            event = Event(
                store_id=store.id,
                theme=f"cluster {label}",
                type=EventType.LAUNCH,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=6),
                place="展厅",
            )
            db.session.add(event)
            db.session.flush()
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
                for lid in ids
            ]
            db.session.execute(Invitation.__table__.insert(), rows)
            events.append({"id": event.id, "tokens": [r["token"] for r in rows]})
        db.session.commit()
        db.engine.dispose()
        return {"users": users, "events": events, "store_id": store.id}


# --- HTTP clients --------------------------------------------------------------------------------


def csrf_from(html: str) -> str:
    found = re.search(r'"X-CSRFToken": "([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    )
    return found.group(1)


def login(base: str, username: str, session: requests.Session | None = None) -> requests.Session:
    session = session or requests.Session()
    token = csrf_from(session.get(f"{base}/login", timeout=30).text)
    response = session.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 303:
        raise RuntimeError(f"login as {username} at {base}: {response.status_code}")
    return session


def door_headers(session: requests.Session, base: str) -> dict:
    return {"X-CSRFToken": csrf_from(session.get(f"{base}/", timeout=30).text), "HX-Request": "true"}


def checkin(session, base, headers, event_id, code, client_id):
    return session.post(
        f"{base}/checkin/{event_id}", data={"code": code, "client_id": client_id}, headers=headers, timeout=30
    )


def metric_sum(text: str, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.M))


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(len(ordered) * p) - 1)], 1)


# --- the checks ----------------------------------------------------------------------------------


def check_login_across(res: Results, a: str, b: str, clerk: str, event_id: int) -> None:
    session = login(a, clerk)
    other = session.get(f"{b}/checkin/{event_id}", allow_redirects=False, timeout=30)
    res.check(
        "login on server A is valid on server B",
        other.status_code == 200,
        f"GET /checkin/{event_id} on B with A's cookie: {other.status_code}",
    )
    headers = door_headers(session, a)  # a CSRF token issued by A...
    search = session.get(f"{b}/checkin/{event_id}/search", params={"q": "0000"}, headers=headers, timeout=30)
    res.check(
        "a page from A drives requests on B", search.status_code == 200, f"search on B: {search.status_code}"
    )


def tablets(base: str, clerk: str, event_id: int, codes: list[str], clients: int = 4, on_progress=None):
    """`clients` tablets check the codes in; a failed attempt is sent again with the same client id."""
    acked: list[str] = []
    latencies: list[float] = []
    failures: Counter = Counter()
    upstreams: Counter = Counter()
    statuses: Counter = Counter()
    lock = threading.Lock()
    share = [codes[k::clients] for k in range(clients)]

    def tablet(k: int):
        session = login(base, clerk)
        headers = door_headers(session, base)
        for code in share[k]:
            client_id = uuid.uuid4().hex
            for _attempt in range(40):
                t0 = time.perf_counter()
                try:
                    response = checkin(session, base, headers, event_id, code, client_id)
                except requests.RequestException as exc:
                    with lock:
                        failures[type(exc).__name__] += 1
                    time.sleep(0.25)
                    continue
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    statuses[response.status_code] += 1
                    upstreams[response.headers.get("X-Upstream", "?")] += 1
                if response.status_code in RETRYABLE:
                    with lock:
                        failures[f"HTTP {response.status_code}"] += 1
                    time.sleep(0.25)
                    continue
                if 200 <= response.status_code < 300:
                    with lock:
                        acked.append(code)
                        latencies.append(elapsed)
                    if on_progress:
                        on_progress(len(acked))
                break

    threads = [threading.Thread(target=tablet, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "acked": acked,
        "latencies": latencies,
        "failures": failures,
        "upstreams": upstreams,
        "statuses": statuses,
        "seconds": time.perf_counter() - t0,
    }


def check_concurrent(res, lb, a, b, db_url, clerk, event):
    run = tablets(lb, clerk, event["id"], event["tokens"])
    recorded = scalar(db_url, "SELECT count(*) FROM checkins WHERE event_id = %s", (event["id"],))
    n = len(event["tokens"])
    res.check(
        f"4 tablets, {n} guests through both servers: exactly {n} check-ins",
        recorded == n and len(run["acked"]) == n,
        f"acknowledged {len(run['acked'])}, in the database {recorded}, statuses {dict(run['statuses'])}",
    )
    spread = {k: v for k, v in run["upstreams"].items()}
    res.check(
        "nginx spread the check-ins over both servers", len([k for k in spread if k != "?"]) >= 2, str(spread)
    )
    res.figure(
        f"check-ins, 4 tablets × {n // 4} guests",
        f"{n} in {run['seconds']:.1f} s ({n / run['seconds']:.0f}/s)",
    )
    res.figure(
        "check-in through nginx p50 / p95", f"{pct(run['latencies'], 0.5)} / {pct(run['latencies'], 0.95)} ms"
    )
    res.figure("check-ins per upstream", ", ".join(f"{k}: {v}" for k, v in sorted(spread.items())))
    counted = 0.0
    for base in (a, b):
        text = requests.get(f"{base}/metrics", timeout=30).text
        counted += metric_sum(text, "leadloop_checkins_total")
    res.check(
        "both servers' /metrics count the check-ins (multiprocess mode)",
        counted == n,
        f"leadloop_checkins_total A+B = {counted:.0f}",
    )


def check_throttle(res, a, b):
    session = requests.Session()
    allowed = refused = 0
    first_refusal = None
    headers = {"X-Forwarded-For": "192.0.2.77"}  # one client address, as nginx would pass it on
    for i in range(2 * LOGIN_LIMIT + 4):
        base = (a, b)[i % 2]
        token = csrf_from(session.get(f"{base}/login", headers=headers, timeout=30).text)
        response = session.post(
            f"{base}/login",
            data={"username": "cluster-nobody", "password": "wrong-password", "csrf_token": token},
            headers=headers,
            timeout=30,
        )
        if response.status_code == 429:
            refused += 1
            first_refusal = first_refusal or i + 1
        else:
            allowed += 1
    res.figure(
        "failed logins answered before the throttle (both servers, one account)",
        f"{allowed} of {2 * LOGIN_LIMIT + 4} (limit {LOGIN_LIMIT}; first refusal at attempt {first_refusal})",
    )
    res.check(
        "the login throttle counts failures across both servers",
        allowed <= LOGIN_LIMIT and refused > 0,
        f"{allowed} failures answered, {refused} refused",
    )


def check_kill(res, lb, db_url, clerk, event, server_a: Proc):
    n = len(event["tokens"])
    killed = threading.Event()
    kill_at = n // 3

    def on_progress(count):
        if count >= kill_at and not killed.is_set():
            killed.set()
            threading.Thread(target=server_a.kill, daemon=True).start()

    run = tablets(lb, clerk, event["id"], event["tokens"], on_progress=on_progress)
    import psycopg

    with psycopg.connect(libpq(db_url)) as conn:
        in_db = {
            t
            for (t,) in conn.execute(
                "SELECT i.token FROM checkins c JOIN invitations i ON i.id = c.invitation_id WHERE c.event_id = %s",
                (event["id"],),
            )
        }
    lost = set(run["acked"]) - in_db
    res.check(
        "server A killed mid-run: every acknowledged check-in is in the database",
        killed.is_set() and not lost and len(in_db) == len(set(run["acked"])) == n,
        f"killed after {kill_at}, acknowledged {len(set(run['acked']))}, in the database {len(in_db)}, "
        f"lost {len(lost)}",
    )
    res.figure("kill run: failed attempts sent again", dict(run["failures"]) or "none")
    res.figure(
        "kill run: answers per upstream", ", ".join(f"{k}: {v}" for k, v in sorted(run["upstreams"].items()))
    )


def has_worker(env) -> bool:
    out = flask(env, "--help", timeout=120).stdout
    return bool(re.search(r"^\s+worker\s", out, re.M))


def import_csv(rows: int) -> bytes:
    from bench.import_load import make_csv

    return make_csv(rows, seed=int(time.time()))


def wait_status(db_url, job_id, wanted: set[str], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    status = ""
    while time.monotonic() < deadline:
        status = scalar(db_url, "SELECT status FROM import_jobs WHERE id = %s", (job_id,))
        if status in wanted:
            return status
        time.sleep(0.05)
    return status


def worker_lines_with(worker_log: Path, request_id: str) -> list[dict]:
    """The worker's JSON log lines written under `request_id`."""
    found = []
    for line in worker_log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if record.get("request_id") == request_id:
                    found.append(record)
    return found


def check_import(res, a, b, db_url, manager, worker_factory, rows: int, worker_log: Path):
    """Upload on A, map and commit on B; kill the worker while it commits, start it again."""
    worker = worker_factory()
    session = login(a, manager)
    before = scalar(db_url, "SELECT count(*) FROM leads")
    token = csrf_from(session.get(f"{a}/leads/import", timeout=30).text)
    upload = session.post(
        f"{a}/leads/import",
        data={"csrf_token": token},
        files={"file": ("cluster.csv", import_csv(rows), "text/csv")},
        allow_redirects=False,
        timeout=120,
    )
    if upload.status_code != 303:
        res.check("import uploaded through A", False, f"upload answered {upload.status_code}")
        return worker
    job_id = int(upload.headers["Location"].rstrip("/").split("/")[-2])
    page = session.get(f"{b}/leads/import/{job_id}/mapping", timeout=30).text
    chosen = dict(re.findall(r'<select name="(col\d+)".*?<option value="([a-z_]*)" selected', page, re.S))
    mapped = session.post(
        f"{b}/leads/import/{job_id}/mapping",
        data={**chosen, "csrf_token": csrf_from(page)},
        allow_redirects=False,
        timeout=60,
    )
    status = wait_status(db_url, job_id, {"validated", "failed"}, 300)
    if not res.check(
        "import uploaded on A, checked by the worker (mapping sent to B)",
        status == "validated",
        f"job {job_id}: {status}",
    ):
        return worker
    page = session.get(f"{b}/leads/import/{job_id}", timeout=30).text
    committed = session.post(
        f"{b}/leads/import/{job_id}/commit",
        data={"default": "skip", "csrf_token": csrf_from(page)},
        allow_redirects=False,
        timeout=60,
    )
    t0 = time.perf_counter()
    status = wait_status(db_url, job_id, {"committing", "done", "failed"}, 60)
    # Kill it once it is saving rows (its progress is written as it goes), not before it began.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and status == "committing":
        if scalar(db_url, "SELECT processed_rows FROM import_jobs WHERE id = %s", (job_id,)):
            break
        time.sleep(0.05)
        status = scalar(db_url, "SELECT status FROM import_jobs WHERE id = %s", (job_id,))
    killed_during = status == "committing"
    worker.kill()
    killed_at = time.perf_counter()
    worker = worker_factory()
    status = wait_status(db_url, job_id, {"done", "failed"}, 600)
    res.figure(
        f"import of {rows} rows: commit request to done (worker killed and started again)",
        f"{time.perf_counter() - t0:.1f} s (killed after {killed_at - t0:.1f} s)",
    )
    created = scalar(db_url, "SELECT count(*) FROM leads") - before
    ok_rows = scalar(db_url, "SELECT ok_rows FROM import_jobs WHERE id = %s", (job_id,))
    res.check(
        "import committed through B lands once (worker killed mid-commit and started again)",
        killed_during and status == "done" and created == rows == ok_rows,
        f"job {job_id}: {status}, rows {rows}, leads created {created}, ok_rows {ok_rows}, "
        f"worker killed while committing: {killed_during}",
    )
    for label, response in (
        ("mapping (checked by the worker)", mapped),
        ("commit (saved by the worker)", committed),
    ):
        rid = response.headers.get("X-Request-ID", "")
        lines = worker_lines_with(worker_log, rid) if rid else []
        res.check(
            f"the {label} request's id is in the worker's log lines",
            bool(lines),
            f"{rid}: {len(lines)} JSON lines, e.g. {lines[0]['message'][:80] if lines else '-'}",
        )
    return worker


# --- main ----------------------------------------------------------------------------------------


def main() -> int:  # noqa: C901 - one scenario, step by step
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("CLUSTER_PG", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument("--database", default=os.environ.get("CLUSTER_DATABASE", "ll_ops_cluster"))
    parser.add_argument("--redis", default=os.environ.get("CLUSTER_REDIS", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--ports", default="18081,18082", help="the two app servers' ports")
    parser.add_argument("--leads", type=int, default=600, help="seed size (one store gets them all)")
    parser.add_argument("--guests", type=int, default=200)
    parser.add_argument("--kill-guests", type=int, default=300)
    parser.add_argument("--import-rows", type=int, default=3000)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the data and the temp dir (else emptied)")
    args = parser.parse_args()

    res = Results()
    tmp = Path(tempfile.mkdtemp(prefix="leadloop-cluster-"))
    procs: list[Proc] = []
    redis_proc = None
    port_a, port_b = (int(p) for p in args.ports.split(","))
    db_url = f"postgresql+psycopg://{args.pg.split('://', 1)[1]}/{args.database}"
    try:
        redis_url, redis_proc = ensure_redis(args.redis, tmp)
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": uuid.uuid4().hex,
            "LEADLOOP_INSTANCE": str(tmp / "instance"),
            "TRUSTED_PROXIES": "1",
            "LOG_FORMAT": "json",
            "FLASK_APP": "wsgi.py",
            "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per 5 minutes",
            "PUBLIC_RATE_LIMIT": "100000 per minute",
            "MAIL_BACKEND": "file",
            "SMS_BACKEND": "file",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        t0 = time.perf_counter()
        recreate_database(args.pg, args.database)
        for step in (("db", "upgrade"), ("seed-demo", "--leads", str(args.leads), "--stores", "1")):
            done = flask(env, *step)
            if done.returncode != 0:
                raise RuntimeError(
                    f"flask {' '.join(step)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                )
        info = prepare(env, args.guests, args.kill_guests)
        res.figure(
            "database set-up (migrate, seed, events)", f"{time.perf_counter() - t0:.1f} s, {args.leads} leads"
        )

        servers = [gunicorn(port_a, env, tmp, "a"), gunicorn(port_b, env, tmp, "b")]
        procs += servers
        a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
        for base in (a, b):
            wait_http(f"{base}/healthz", 120)
        lb_port = free_port()
        procs.append(nginx(lb_port, port_a, port_b, tmp))
        lb = f"http://127.0.0.1:{lb_port}"
        wait_http(f"{lb}/healthz", 30)
        for name, base in (("A", a), ("B", b), ("nginx", lb)):
            ready = requests.get(f"{base}/readyz", timeout=30)
            res.check(
                f"/readyz on {name}", ready.status_code == 200, json.dumps(ready.json(), ensure_ascii=False)
            )
        rid = requests.get(f"{lb}/healthz", timeout=30).headers.get("X-Request-ID", "")
        res.check(
            "nginx's $request_id comes back as X-Request-ID", bool(re.fullmatch(r"[0-9a-f]{32}", rid)), rid
        )

        clerk, manager = info["users"]["clerk"], info["users"]["manager"]
        events = info["events"]
        check_login_across(res, a, b, clerk, events[0]["id"])
        check_concurrent(res, lb, a, b, db_url, clerk, events[0])
        check_throttle(res, a, b)
        check_kill(res, lb, db_url, clerk, events[1], servers[0])
        servers[0] = gunicorn(port_a, env, tmp, "a")
        procs.append(servers[0])
        wait_http(f"{a}/healthz", 120)

        if has_worker(env):
            workers: list[Proc] = []

            def start_worker() -> Proc:
                worker = Proc("worker", [str(BIN / "flask"), "worker"], env, tmp / "worker.log").start()
                workers.append(worker)
                procs.append(worker)
                return worker

            check_import(res, a, b, db_url, manager, start_worker, args.import_rows, tmp / "worker.log")
        else:
            res.note(
                "this app has no `flask worker` command: the import and worker-restart checks were not run"
            )
        for name in ("a", "b", "worker"):
            path = tmp / f"{name}.log"
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()
                json_lines = sum(1 for line in lines if line.startswith("{"))
                res.figure(f"log lines of {name}: JSON / all", f"{json_lines} / {len(lines)}")
    except Exception as exc:  # noqa: BLE001 - report the failure as a failed check
        res.check("cluster scenario ran to the end", False, f"{type(exc).__name__}: {exc}")
    finally:
        for proc in reversed(procs):
            proc.stop()
        if redis_proc:
            redis_proc.stop()
        if not args.keep:
            try:
                empty_database(args.pg, args.database)
            except Exception as exc:  # noqa: BLE001
                log(f"could not empty {args.database}: {exc}")
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept {tmp} and database {args.database}")

    print(res.table())
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"ok": res.ok, "checks": res.checks, "figures": res.figures, "notes": res.notes},
                ensure_ascii=False,
                indent=2,
            )
        )
    print(f"cluster: {'all checks passed' if res.ok else 'FAILED'}")
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
