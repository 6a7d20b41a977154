"""Time a large lead export: what the request used to spend writing it, and what the queued task spends.

    DATABASE_URL=... .venv/bin/python bench/export_timing.py [--stores 2]

Reads only (a director's export of the first `--stores` stores; at 1,000,000 leads a store holds
50,000): counts the rows as the task does for its progress, writes the .xlsx to memory with the
progress calls the task makes, and prints the row count, the seconds and the file size. Before the
export went to the queue, the approved export's download request spent all of it; now that request
only reads the written file from the database.
"""

import argparse
import io
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=2)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    from sqlalchemy import select

    from app import create_app
    from app.accounts.models import Role, Store, User
    from app.core.timeutil import today_for
    from app.extensions import db
    from app.leads.exports import count_rows, write_xlsx
    from app.leads.filters import LeadFilter

    app = create_app()
    with app.app_context():
        director = db.session.execute(
            select(User).where(User.role == Role.DIRECTOR, User.active).order_by(User.id).limit(1)
        ).scalar_one()
        stores = db.session.execute(select(Store.id).order_by(Store.id).limit(args.stores)).scalars().all()
        today = today_for(director)
        for store_id in stores:
            flt = LeadFilter.from_args({"store": store_id})
            started = time.monotonic()
            total = count_rows(director, flt, today)
            counted = time.monotonic() - started
            calls = []
            buf = io.BytesIO()
            started = time.monotonic()
            rows = write_xlsx(director, flt, today, buf, progress=calls.append)
            written = time.monotonic() - started
            print(
                f"store {store_id}: {rows:,} rows (counted {total:,} in {counted:.2f} s), written in "
                f"{written:.1f} s ({rows / written:,.0f} rows/s), {len(buf.getvalue()) / 1e6:.1f} MB, "
                f"{len(calls)} progress updates"
            )
            db.session.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
