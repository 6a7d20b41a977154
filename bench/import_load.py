"""Import N generated CSV rows end to end (upload, mapping, check, commit) and print the time.

DATABASE_URL=sqlite:////tmp/import.db python bench/import_load.py --rows 100000
"""

import argparse
import csv
import io
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADER = ["客户姓名", "手机号码", "性别", "渠道", "意向车型", "意向级别", "预计购车时间", "区域", "备注"]


def make_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    base = rng.randrange(10_000_000, 80_000_000)
    for i in range(rows):
        writer.writerow(
            [
                f"客户{i}",
                f"15{base + i:09d}"[:11],
                rng.choice(["男", "女"]),
                rng.choice(["官网", "电商", "活动", "在线广告"]),
                "凌云 400T 星领版",
                rng.choice(["H", "A", "B", "C"]),
                f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "北京",
                "",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("LEADLOOP_INSTANCE", tempfile.mkdtemp(prefix="leadloop-import-"))
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.models import Role
    from app.admin.defaults import ensure_reference_data
    from app.extensions import db
    from tests.factories import TEST_PASSWORD, Factory

    app = create_app(
        {
            "IMPORT_INLINE": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        }
    )
    with app.app_context():
        upgrade()
        ensure_reference_data()
        factory = Factory(db)
        store = factory.store(f"IMP{random.randrange(10**6)}")
        user = factory.user(Role.MANAGER, store, username=f"importer{random.randrange(10**9)}")
        db.session.commit()
        username = user.username
    data = make_csv(args.rows, seed=int(time.time()))
    client = app.test_client()
    client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    start = time.perf_counter()
    response = client.post(
        "/leads/import", data={"file": (io.BytesIO(data), "bench.csv")}, content_type="multipart/form-data"
    )
    job_id = int(response.headers["Location"].split("/")[-2])
    page = client.get(f"/leads/import/{job_id}/mapping").get_data(as_text=True)
    chosen = dict(re.findall(r'<select name="(col\d+)".*?<option value="([a-z_]*)" selected', page, re.S))
    client.post(f"/leads/import/{job_id}/mapping", data=chosen)
    checked = time.perf_counter()
    client.post(f"/leads/import/{job_id}/commit", data={"default": "skip"})
    done = time.perf_counter()
    with app.app_context():
        from app.leads.models import ImportJob

        job = db.session.get(ImportJob, job_id)
        print(
            f"{args.rows} rows: status={job.status} created={job.ok_rows} rejected={job.error_rows}; "
            f"upload+check {checked - start:.1f}s, commit {done - checked:.1f}s, total {done - start:.1f}s "
            f"({db.engine.dialect.name})"
        )


if __name__ == "__main__":
    main()
