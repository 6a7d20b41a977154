"""Load the intake API: N concurrent clients POST new leads; print leads per second.

Usage (starts gunicorn itself on a fresh schema in DATABASE_URL):
    DATABASE_URL=sqlite:////tmp/api.db python bench/api_load.py --requests 2000 --clients 4 --workers 2
Or against a running server:
    python bench/api_load.py --url http://127.0.0.1:5102 --key ll_xxx_yyy
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def flask(*args: str, env: dict) -> str:
    out = subprocess.run(
        [str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


def prepare(env: dict) -> str:
    """Migrate, seed reference data, create a store and a key; return the raw key."""
    flask("db", "upgrade", env=env)
    flask("seed-reference", env=env)
    stores = flask("stores", "list", env=env)
    if "BENCH" not in stores:
        flask("stores", "create", "--code", "BENCH", "--name", "压测门店", env=env)
    return (
        flask("apikeys", "create", "--source", "website", "--store", "BENCH", env=env)
        .strip()
        .splitlines()[-1]
    )


def run_load(url: str, key: str, clients: int, total: int, phone_base: int) -> tuple[float, dict]:
    per_client = total // clients
    codes: dict[int, int] = {}
    lock = threading.Lock()

    def worker(n: int):
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {key}"})
        local: dict[int, int] = {}
        for i in range(per_client):
            phone = f"1{phone_base + n * per_client + i:010d}"[:11]
            body = {
                "name": f"压测{n}-{i}",
                "phone": phone,
                "gender": "unknown",
                "grade": "B",
                "source_detail": "bench",
            }
            r = session.post(
                f"{url}/api/v1/leads", json=body, headers={"Idempotency-Key": f"b{phone}"}, timeout=30
            )
            local[r.status_code] = local.get(r.status_code, 0) + 1
        with lock:
            for code, count in local.items():
                codes[code] = codes.get(code, 0) + count

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return per_client * clients / elapsed, codes


def server_cpu_seconds(pid: int) -> float:
    """Return user+system CPU seconds of the gunicorn workers (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for child in children:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--key")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5102)
    args = parser.parse_args()
    server = None
    url, key = args.url, args.key
    if not url:
        env = {**os.environ, "FLASK_APP": "wsgi.py", "RATELIMIT_ENABLED": "0"}
        key = prepare(env)
        url = f"http://127.0.0.1:{args.port}"
        server = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{args.port}",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
    try:
        for _ in range(150):
            try:
                requests.get(f"{url}/api/v1/openapi.json", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        # Warm-up: imports, connections, reference caches.
        run_load(
            url,
            key,
            args.clients,
            args.clients * 10,
            phone_base=3_000_000_000 + int(time.time()) % 100_000_000,
        )
        cpu_before = server_cpu_seconds(server.pid) if server else 0.0
        rate, codes = run_load(
            url,
            key,
            args.clients,
            args.requests,
            phone_base=3_500_000_000 + int(time.time() * 7) % 100_000_000,
        )
        print(
            f"{rate:.0f} leads/s with {args.clients} clients ({args.requests} requests; status codes {codes})"
        )
        if server:
            cpu_ms = (server_cpu_seconds(server.pid) - cpu_before) * 1000 / args.requests
            print(
                f"server CPU {cpu_ms:.1f} ms per lead: {args.workers * 1000 / cpu_ms:.0f} leads/s when "
                f"{args.workers} cores are free for the {args.workers} workers"
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
