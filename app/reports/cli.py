"""`flask reports monthly`: write the monthly PDF of a store or the whole group to a file;
`flask reports rebuild-aggregates`: recompute the daily report aggregates from the raw rows."""

import time

import click
from flask import Flask


def register(app: Flask) -> None:
    app.cli.add_command(reports_cli)


@click.group("reports", help="Management reports.")
def reports_cli():
    pass


@reports_cli.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--store", "store_code", default=None, help="A store code; the whole group when left out.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True))
def monthly(month, store_code, out_path):
    """Render the monthly management report to a PDF file."""
    from app.reports.pdf import GroupViewer, monthly_report_pdf, parse_month, store_by_code

    first = parse_month(month)
    if first is None:
        raise click.BadParameter("use YYYY-MM", param_hint="--month")
    store_id = None
    if store_code:
        store = store_by_code(store_code)
        if store is None:
            raise click.ClickException(f"no store with code {store_code}")
        store_id = store.id
    started = time.monotonic()
    pdf = monthly_report_pdf(GroupViewer(), first, store_id)
    with open(out_path, "wb") as fh:
        fh.write(pdf)
    click.echo(f"wrote {out_path} ({len(pdf):,} bytes, {time.monotonic() - started:.1f}s)")


@reports_cli.command("rebuild-aggregates")
@click.option("--from", "start", default=None, help="First local day, YYYY-MM-DD (default: the first fact).")
@click.option("--to", "end", default=None, help="Last local day, YYYY-MM-DD (default: the last fact).")
@click.option("--store", "store_code", default=None, help="A store code; every store when left out.")
def rebuild_aggregates(start, end, store_code):
    """Recompute daily_stats and its rollups (daily_totals, daily_channels, daily_stores,
    monthly_totals) from leads, follow-ups, visits, invitations, defeat requests and stage
    changes, the calendar periods' period_stats and its rollups (every store, each month and
    quarter overlapping the days) from leads, stage changes and follow-ups, and today's open work
    (the store's, or every store's) from the leads (set-based INSERT … SELECT, in one
    transaction)."""
    from app.core.params import parse_date
    from app.extensions import db
    from app.reports import open_work, periods
    from app.reports.aggregates import rebuild
    from app.reports.pdf import store_by_code

    first, last = parse_date(start) if start else None, parse_date(end) if end else None
    if (start and first is None) or (end and last is None):
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--from/--to")
    store_ids = None
    if store_code:
        store = store_by_code(store_code)
        if store is None:
            raise click.ClickException(f"no store with code {store_code}")
        store_ids = [store.id]
    started = time.monotonic()
    rows = rebuild(first, last, store_ids)
    period_rows = periods.rebuild(first, last)
    open_rows = open_work.rebuild(store_ids)
    db.session.commit()
    click.echo(
        f"rebuilt {rows:,} daily rows, {period_rows:,} period rows and {open_rows:,} rows of open work"
        f" in {time.monotonic() - started:.1f}s"
    )
