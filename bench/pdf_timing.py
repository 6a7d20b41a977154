"""Time the monthly PDF for the busiest store and for the whole group.

    DATABASE_URL=... .venv/bin/python bench/pdf_timing.py [--month 2026-10]

Targets: store PDF ≤ 2 s, group PDF ≤ 10 s (at 1,000,000 leads). Each figure is split into the
report's data and HTML (`render_monthly_html`) and WeasyPrint's layout and PDF writing, with the
CPU seconds of this process beside the wall clock (the database's own CPU is not in them).
Exits 1 when a target is missed.
"""

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STORE_TARGET_S = 2.0
GROUP_TARGET_S = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--month", help="YYYY-MM (default: last month)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    from sqlalchemy import func, select

    from app import create_app
    from app.core.timeutil import local_today
    from app.extensions import db
    from app.leads.models import Lead
    from app.reports.filters import _utc
    from app.reports.pdf import GroupViewer, parse_month, render_monthly_html
    from app.reports.rules import add_months, month_end

    app = create_app()
    with app.app_context():
        month = parse_month(args.month) if args.month else add_months(local_today(), -1)
        start, end = _utc(month, "Asia/Shanghai"), _utc(month_end(month), "Asia/Shanghai")
        busiest = db.session.execute(
            select(Lead.store_id, func.count(Lead.id))
            .where(Lead.created_at >= start, Lead.created_at < end)
            .group_by(Lead.store_id)
            .order_by(func.count(Lead.id).desc())
            .limit(1)
        ).first()
        total = db.session.execute(select(func.count(Lead.id))).scalar()
        failed = False
        # A running server has loaded WeasyPrint, the fonts and the reference data already: warm up so
        # the figures measure the report, not the process start.
        warm = time.monotonic()
        from weasyprint import HTML

        HTML(
            string='<html lang="zh-CN"><body style="font-family: WenQuanYi Micro Hei">预热</body></html>'
        ).write_pdf()
        print(f"warm-up: {time.monotonic() - warm:.2f} s")
        runs = [("store", busiest[0] if busiest else None, STORE_TARGET_S)] if busiest else []
        runs.append(("group", None, GROUP_TARGET_S))
        for label, store_id, target in runs:
            started, cpu = time.monotonic(), time.process_time()
            html = render_monthly_html(GroupViewer(), month, store_id)
            data_s, data_cpu = time.monotonic() - started, time.process_time() - cpu
            pdf = HTML(string=html, base_url=app.static_folder).write_pdf()
            seconds, cpu_s = time.monotonic() - started, time.process_time() - cpu
            extra = f"store {store_id}, {busiest[1]:,} leads in the month" if store_id else f"{total:,} leads"
            ok = seconds <= target
            failed |= not ok
            print(
                f"{label:5} PDF {month:%Y-%m}: {seconds:5.2f} s ({len(pdf):,} bytes; {extra}) "
                f"target ≤ {target:.0f} s {'OK' if ok else 'SLOW'}; data + HTML {data_s:.2f} s "
                f"(CPU {data_cpu:.2f} s), WeasyPrint {seconds - data_s:.2f} s (CPU {cpu_s - data_cpu:.2f} s)"
            )
        return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
