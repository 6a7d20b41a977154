"""Trends: the last 13 weeks, 12 months or 8 quarters up to the period's end, and the headline
figures against the previous period and the same period last year.

Per bucket: new leads, first visits, retention rate, test drives, orders and conversion, with a
line chart. Data: `queries.new_leads_trend`, `queries_visits.visit_counts_by_bucket` and
`queries.won_trend` over the widened window; `kpis.kpi_comparison` for the comparison.
"""

from dataclasses import replace
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from app.leads.models import Lead
from app.reports import charts, queries
from app.reports import queries_visits as qv
from app.reports.builders.kpis import kpi_comparison
from app.reports.rules import Period, add_months, bucket_keys, bucket_label, quarter_start, rate
from app.reports.tables import Col, Table
from app.showroom.rules import retention_rate

BUCKETS = {"week": 13, "month": 12, "quarter": 8}
COLS = [
    Col("label", _l("Period"), "text"),
    Col("new_leads", _l("New leads")),
    Col("first_visits", _l("First visits")),
    Col("retention", _l("Retention rate"), "pct"),
    Col("test_drives", _l("Test drives")),
    Col("won", _l("Orders")),
    Col("conversion", _l("Conversion"), "pct"),
]


def build_trends(f) -> Table:
    """A row per week (default), month or quarter of the window, oldest first, and the comparison."""
    grain = f.grain if f.grain in BUCKETS else "week"
    start, end = _window_start(f.period.end, grain), f.period.end
    wide = replace(f, period=Period("custom", start, end), grain=grain)
    leads = {r["bucket"]: r["leads"] for r in _sum_by_bucket(queries.new_leads_trend(wide, Lead.store_id))}
    visits = {r["key"]: r for r in qv.visit_counts_by_bucket(wide)}
    won = {r["key"]: r["won"] for r in queries.won_trend(wide)}
    out = [
        _bucket_row(bucket_label(k, grain, start, end), leads.get(k, 0), visits.get(k, {}), won.get(k, 0))
        for k in bucket_keys(start, end, grain)
    ]
    chart = charts.line_chart(
        [r["label"] for r in out],
        {
            str(_l("New leads")): [r["new_leads"] for r in out],
            str(_l("First visits")): [r["first_visits"] for r in out],
            str(_l("Orders")): [r["won"] for r in out],
        },
        str(_l("Trends")),
    )
    table = Table(list(COLS), out, None, charts=[(_l("Trends"), chart)])
    table.comparison = kpi_comparison(f)
    return table


def _window_start(end: date, grain: str) -> date:
    """The first day of the window: the Monday, month or quarter `BUCKETS[grain] - 1` buckets back."""
    count = BUCKETS[grain]
    if grain == "week":
        return end - timedelta(days=end.weekday()) - timedelta(weeks=count - 1)
    if grain == "month":
        return add_months(end, -(count - 1))
    return add_months(quarter_start(end), -3 * (count - 1))


def _sum_by_bucket(rows) -> list[dict]:
    """New leads per bucket, summed over the stores."""
    acc: dict = {}
    for r in rows:
        acc[r["bucket"]] = acc.get(r["bucket"], 0) + r["leads"]
    return [{"bucket": k, "leads": v} for k, v in acc.items()]


def _bucket_row(label: str, new_leads: int, v: dict, won: int) -> dict:
    row = {
        "label": label,
        "new_leads": new_leads,
        "first_visits": v.get("first_visits") or 0,
        "retained": v.get("retained") or 0,
        "test_drives": v.get("test_drives") or 0,
        "won": won,
    }
    row["retention"] = retention_rate(row["retained"], row["first_visits"])
    row["conversion"] = rate(row["won"], row["new_leads"])
    return row
