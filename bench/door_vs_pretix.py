"""Door check-in, LeadLoop against pretix, interleaved in one run; exits 1 when a ratio is under the target.

For each database (PostgreSQL, SQLite) both servers run side by side on loopback, gunicorn with
2 workers each (pretix as its docs deploy it: sync workers; LeadLoop with deploy/gunicorn.conf.py:
threaded workers, keep-alive), and every phase is measured for pretix, then for LeadLoop (the
order alternates from run to run), so both see the same machine load:

  (a)  first scans, one client, sequential  -> p50 / p95
  (a') first scans, 4 clients               -> check-ins per second
  (b)  repeat scans of guests already in    -> p50 / p95
  (c)  searches                             -> p50 / p95

pretix is measured with the peer's own client code (/work/shared/peers/pretix/bench_checkin.py:
redeem by secret, duplicate scan, search by 2-character name fragment over its REST API, token
auth, check-ins deleted before each run). LeadLoop is measured as its door tablet talks to it: a
clerk's login session, `POST /checkin/<event>` with the scanned code and a fresh client id
(HTMX, CSRF header), `GET /checkin/<event>/search?q=` alternating a 2-character name prefix and
a phone tail. One LeadLoop event with 5,000 invited guests per database; run k checks in its own
1,501 of them, so 3 runs use 4,503 guests and nobody is checked in twice by a first scan.

Prerequisites: the pretix peer set up once per database, in its own folder and port, e.g.

    PEER_DIR=/tmp/peers/door-pg PGPORT=55437 bash /work/shared/peers/pretix/setup.sh
    PEER_DIR=/tmp/peers/door-sqlite DB=sqlite3 bash /work/shared/peers/pretix/setup.sh

and a seeded LeadLoop database per database (a store with ≥ 5,000 leads: `flask seed-demo --leads 20000`).

    python bench/door_vs_pretix.py \
        --pg postgresql+psycopg://postgres@127.0.0.1:5432/leadloop_bench --pretix-pg /tmp/peers/door-pg \
        --sqlite sqlite:////tmp/leadloop-bench.db --pretix-sqlite /tmp/peers/door-sqlite

Prints progress on stderr, a markdown table and one JSON line on stdout (also written to --out).
"""

import argparse
import collections
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import checkin_load  # noqa: E402

TARGET = 5.0
PEER = Path(os.environ.get("PRETIX_PEER", "/work/shared/peers/pretix"))


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def load_peer():
    spec = importlib.util.spec_from_file_location("pretix_bench_checkin", PEER / "bench_checkin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of seconds, in ms (as the peer computes it)."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, -(-p * len(ordered) // 100) - 1))
    return round(ordered[int(k)] * 1000.0, 2)


def latency(samples: list[float], **extra) -> dict:
    return {
        "n": len(samples),
        "p50_ms": pct(samples, 50),
        "p95_ms": pct(samples, 95),
        "max_ms": pct(samples, 100),
        **extra,
    }


class Pretix:
    """The peer's server and client, phase by phase (its own redeem/search requests)."""

    def __init__(self, peer_dir: str, port: int, args):
        self.bc = load_peer()
        self.args = argparse.Namespace(
            peer_dir=peer_dir,
            port=port,
            workers=args.workers,
            pgbin=args.pgbin,
            data=os.path.join(peer_dir, "bench_data.json"),
        )
        with open(self.args.data) as f:
            self.data = json.load(f)
        self.cli = self.bc.Client(
            f"http://127.0.0.1:{port}", self.data["organizer"], self.data["token"], self.data["list_id"], 30.0
        )
        import configparser

        cp = configparser.ConfigParser()
        cp.read(os.path.join(peer_dir, "pretix.cfg"))
        self.backend = cp.get("database", "backend", fallback="sqlite3")
        self.proc = self.pg_pid = None
        self.pool = ThreadPoolExecutor(args.clients)

    def start(self) -> None:
        self.pg_pid = self.bc.pg_start_if_needed(self.args, self.backend)
        self.proc = self.bc.start_server(self.args)
        self.bc.wait_ready(self.cli, self.proc)
        self.bc.warm_up(self.cli, self.data["secrets"], 4)

    def stop(self) -> None:
        self.pool.shutdown()
        self.bc.stop_server(self.proc)
        self.bc.pg_stop(self.args, self.pg_pid)

    def new_run(self, run: int, need: int):
        import random

        self.bc.reset_checkins(self.args)
        pool = random.Random(1000 + run).sample(self.data["secrets"], need)
        return pool

    def first(self, secret):
        dt, code, j = self.cli.redeem(secret)
        return dt, code == 201 and j.get("status") == "ok"

    def repeat(self, secret):
        dt, code, j = self.cli.redeem(secret)
        return dt, code == 400 and j.get("reason") == "already_redeemed"

    def search(self, i: int):
        frags = self.data["search_fragments"]
        dt, code, j = self.cli.search(frags[i % len(frags)])
        return dt, code == 200, j.get("count", 0) if code == 200 else 0


class LeadLoop:
    """LeadLoop's door as tablets use it: clerk sessions, HTMX posts with a CSRF header."""

    def __init__(self, url: str, port: int, args):
        self.url, self.port, self.workers, self.clients = url, port, args.workers, args.clients
        self.base = f"http://127.0.0.1:{port}"
        self.proc = None
        self.local = threading.local()

    def prepare(self, invitees: int) -> None:
        env = {**os.environ, "DATABASE_URL": self.url}
        out = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench/checkin_load.py"),
                "--prepare-only",
                "--invitees",
                str(invitees),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if out.returncode:
            raise SystemExit(f"LeadLoop prepare failed: {out.stderr[-2000:]}")
        self.info = json.loads(out.stdout.strip().splitlines()[-1])
        if len(self.info["tokens"]) < invitees:
            raise SystemExit(
                f"LeadLoop: only {len(self.info['tokens'])} leads in the store, {invitees} needed"
            )
        self.event = self.info["event_id"]
        names = [n for n in self.info["names"] if len(n) >= 2]
        tails = self.info["tails"]
        # alternate a 2-character name prefix (as pretix's fragments) and a phone tail
        self.queries = [q for pair in zip([n[:2] for n in names], tails, strict=False) for q in pair]

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.url}
        self.proc = checkin_load.start_server(self.port, self.workers, env=env)
        for i in range(20):  # warm both workers: scans of an unknown code and searches, from 4 sessions
            self.session.get(
                f"{self.base}/checkin/{self.event}/search",
                params={"q": self.queries[i]},
                headers=self.headers,
            )
        # the tablets of the concurrent phase: one thread (and login session) each, kept for every run
        barrier = threading.Barrier(self.clients)
        self.pool = ThreadPoolExecutor(self.clients)
        list(self.pool.map(lambda _: (self.session, barrier.wait()), range(self.clients)))
        list(self.pool.map(lambda i: self.scan(f"warm-up-{i}"), range(40)))
        list(
            self.pool.map(
                lambda i: self.session.get(
                    f"{self.base}/checkin/{self.event}/search",
                    params={"q": self.queries[i]},
                    headers=self.headers,
                ),
                range(20),
            )
        )

    def stop(self) -> None:
        if getattr(self, "pool", None) is not None:
            self.pool.shutdown()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    @property
    def session(self) -> requests.Session:
        s = getattr(self.local, "s", None)
        if s is None:
            s, csrf = checkin_load.login(self.base, self.info["username"])
            s.trust_env = False
            self.local.s, self.local.h = s, {"X-CSRFToken": csrf, "HX-Request": "true"}
        return self.local.s

    @property
    def headers(self) -> dict:
        self.session  # noqa: B018 - logs this thread's tablet in
        return self.local.h

    def new_run(self, run: int, need: int):
        tokens = self.info["tokens"]
        start = (run - 1) * need
        if start + need > len(tokens):
            raise SystemExit(f"LeadLoop: {need} fresh guests per run, {len(tokens)} invited")
        return tokens[start : start + need]

    def scan(self, code: str):
        t0 = time.perf_counter()
        try:
            r = self.session.post(
                f"{self.base}/checkin/{self.event}",
                data={"code": code, "client_id": uuid.uuid4().hex},
                headers=self.headers,
                timeout=30,
            )
        except requests.RequestException:
            return time.perf_counter() - t0, 0, ""
        return time.perf_counter() - t0, r.status_code, r.text

    def first(self, code):
        dt, status, body = self.scan(code)
        return dt, status == 200 and 'data-outcome="ok"' in body

    def repeat(self, code):
        dt, status, body = self.scan(code)
        return dt, status == 409 and 'data-outcome="already"' in body

    def search(self, i: int):
        q = self.queries[i % len(self.queries)]
        t0 = time.perf_counter()
        r = self.session.get(
            f"{self.base}/checkin/{self.event}/search", params={"q": q}, headers=self.headers, timeout=30
        )
        dt = time.perf_counter() - t0
        return dt, r.status_code == 200, r.text.count('<li class="guest">')


def phase_first_seq(system, codes):
    lat, bad = [], 0
    for code in codes:
        dt, ok = system.first(code)
        lat.append(dt)
        bad += not ok
    return latency(lat, not_ok=bad)


def phase_first_conc(system, codes, clients: int):
    lat, bad = [], collections.Counter()
    lock = threading.Lock()

    def task(code):
        dt, ok = system.first(code)
        with lock:
            lat.append(dt)
            bad["not_ok"] += not ok

    t0 = time.perf_counter()
    list(system.pool.map(task, codes))  # `clients` threads, each with its own connection / session
    wall = time.perf_counter() - t0
    ok = len(lat) - bad["not_ok"]
    return latency(
        lat,
        clients=clients,
        wall_s=round(wall, 2),
        per_s=round(len(lat) / wall, 1),
        ok_per_s=round(ok / wall, 1),
        not_ok=bad["not_ok"],
    )


def phase_repeat(system, codes):
    lat, bad = [], 0
    for code in codes:
        dt, ok = system.repeat(code)
        lat.append(dt)
        bad += not ok
    return latency(lat, not_ok=bad)


def phase_search(system, n: int):
    lat, bad, hits = [], 0, []
    for i in range(n):
        dt, ok, count = system.search(i)
        lat.append(dt)
        bad += not ok
        hits.append(count)
    return latency(lat, not_ok=bad, median_hits=statistics.median(hits))


def one_run(run: int, systems: dict, args) -> dict:
    need = args.seq + args.conc + 1
    pools = {name: s.new_run(run, need) for name, s in systems.items()}
    order = list(systems) if run % 2 else list(reversed(systems))
    out = {name: {} for name in systems}
    out["loadavg_start"] = os.getloadavg()
    phases = (
        ("first_seq", lambda s, p: phase_first_seq(s, p[: args.seq])),
        ("first_conc", lambda s, p: phase_first_conc(s, p[args.seq : args.seq + args.conc], args.clients)),
        ("repeat", lambda s, p: phase_repeat(s, p[: args.dup])),
        ("search", lambda s, p: phase_search(s, args.search)),
    )
    for phase, fn in phases:
        for name in order:
            out[name][phase] = fn(systems[name], pools[name])
            log(f"  run {run} {name:8} {phase:10} {out[name][phase]}")
    out["loadavg_end"] = os.getloadavg()
    return out


FIGURES = (  # (label, phase, key, higher is better)
    ("first scans/s, 4 clients", "first_conc", "ok_per_s", True),
    ("first scan p95 (ms)", "first_seq", "p95_ms", False),
    ("repeat scan p95 (ms)", "repeat", "p95_ms", False),
    ("search p95 (ms)", "search", "p95_ms", False),
)
INFO = (
    ("first scan p50 (ms)", "first_seq", "p50_ms"),
    ("4 clients p95 (ms)", "first_conc", "p95_ms"),
    ("repeat scan p50 (ms)", "repeat", "p50_ms"),
    ("search p50 (ms)", "search", "p50_ms"),
)


def compare(runs: list[dict]) -> dict:
    def median(system, phase, key):
        return round(statistics.median(r[system][phase][key] for r in runs), 2)

    rows, ratios = [], {}
    for label, phase, key, higher in FIGURES:
        p, ll = median("pretix", phase, key), median("leadloop", phase, key)
        ratio = round((ll / p) if higher else (p / ll), 2)
        ratios[label] = ratio
        rows.append({"figure": label, "pretix": p, "leadloop": ll, "ratio": ratio})
    for label, phase, key in INFO:
        rows.append(
            {
                "figure": label,
                "pretix": median("pretix", phase, key),
                "leadloop": median("leadloop", phase, key),
                "ratio": None,
            }
        )
    errors = {
        name: sum(
            r[name][ph]["not_ok"] for r in runs for ph in ("first_seq", "first_conc", "repeat", "search")
        )
        for name in ("pretix", "leadloop")
    }
    return {"rows": rows, "ratios": ratios, "not_ok": errors}


def bench_database(kind: str, ll_url: str, peer_dir: str, args) -> dict:
    log(f"== {kind}: pretix from {peer_dir}, LeadLoop {ll_url.split('@')[-1]}")
    pretix = Pretix(peer_dir, args.pretix_port, args)
    leadloop = LeadLoop(ll_url, args.port, args)
    t0 = time.perf_counter()
    leadloop.prepare(args.invitees)
    log(
        f"  LeadLoop event {leadloop.event}: {len(leadloop.info['tokens'])} guests, "
        f"{leadloop.info['leads']} leads ({time.perf_counter() - t0:.1f}s)"
    )
    runs = []
    try:
        pretix.start()
        leadloop.start()
        for run in range(1, args.runs + 1):
            runs.append(one_run(run, {"pretix": pretix, "leadloop": leadloop}, args))
    finally:
        leadloop.stop()
        pretix.stop()
    result = compare(runs)
    result.update(
        database=kind,
        pretix_backend=pretix.backend,
        leadloop_leads=leadloop.info["leads"],
        guests=len(leadloop.info["tokens"]),
        pretix_tickets=pretix.data.get("n"),
        runs=runs,
    )
    return result


def table(result: dict) -> str:
    lines = [
        f"{result['database']} (medians of {len(result['runs'])} runs; load average "
        f"{min(r['loadavg_start'][0] for r in result['runs']):.1f}–"
        f"{max(r['loadavg_end'][0] for r in result['runs']):.1f})",
        "",
        "| figure | pretix | LeadLoop | ratio |",
        "|---|---|---|---|",
    ]
    for row in result["rows"]:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}×"
        lines.append(f"| {row['figure']} | {row['pretix']} | {row['leadloop']} | {ratio} |")
    lines.append(
        f"| requests not answered as expected | {result['not_ok']['pretix']} | "
        f"{result['not_ok']['leadloop']} | |"
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=None, help="LeadLoop PostgreSQL URL (seeded)")
    parser.add_argument("--pretix-pg", default=None, help="pretix peer folder set up with PostgreSQL")
    parser.add_argument("--sqlite", default=None, help="LeadLoop SQLite URL (seeded)")
    parser.add_argument("--pretix-sqlite", default=None, help="pretix peer folder set up with DB=sqlite3")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seq", type=int, default=500)
    parser.add_argument("--conc", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--dup", type=int, default=50)
    parser.add_argument("--search", type=int, default=200)
    parser.add_argument("--invitees", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5106)
    parser.add_argument("--pretix-port", type=int, default=8766)
    parser.add_argument("--pgbin", default="/usr/lib/postgresql/15/bin")
    parser.add_argument("--target", type=float, default=TARGET)
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    pairs = [
        (k, u, d)
        for k, u, d in (("PostgreSQL", args.pg, args.pretix_pg), ("SQLite", args.sqlite, args.pretix_sqlite))
        if u and d
    ]
    if not pairs:
        parser.error("give --pg with --pretix-pg and/or --sqlite with --pretix-sqlite")
    results = [bench_database(kind, url, peer, args) for kind, url, peer in pairs]
    missed = [
        (r["database"], label, ratio)
        for r in results
        for label, ratio in r["ratios"].items()
        if ratio < args.target
    ]
    for r in results:
        print(table(r) + "\n")
    print(
        f"target: every ratio ≥ {args.target}×; "
        + (
            "missed: " + "; ".join(f"{db} {label} {ratio:.2f}×" for db, label, ratio in missed)
            if missed
            else "met"
        )
    )
    payload = json.dumps({"target": args.target, "missed": missed, "results": results}, ensure_ascii=False)
    print(payload)
    if args.out:
        Path(args.out).write_text(payload + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
