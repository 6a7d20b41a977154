"""Showroom figures: traffic, visits per source channel and the retention rate.

Every row holds the same visit figures: visits, first and return visits, first visits that left
contact details and the retention rate, test drives, people and average stay; the totals row is
the whole filter's. Data: `queries_visits.visits_by` (per consultant, arrival hour, store or
channel), `queries_visits.visits_by_bucket` (per day/week/month/quarter) and
`queries_visits.visit_totals`: from the daily aggregates (the average stay as summed stays over
the visits with a departure time) except per arrival hour.
"""

from flask_babel import lazy_gettext as _l

from app.reports import charts
from app.reports import queries_visits as qv
from app.reports.builders.shared import bars, dim_label
from app.reports.rules import bucket_keys, bucket_label
from app.reports.tables import Col, Names, Table
from app.showroom.rules import retention_rate

VISIT_COLS = [
    Col("visits", _l("Visits")),
    Col("first_visits", _l("First visits")),
    Col("return_visits", _l("Return visits")),
    Col("retained", _l("Left contact (first visits)")),
    Col("retention", _l("Retention rate"), "pct"),
    Col("test_drives", _l("Test drives")),
    Col("people", _l("People")),
    Col("stay_minutes", _l("Average stay (minutes)"), "num"),
]
VISIT_KEYS = ["visits", "first_visits", "return_visits", "retained", "test_drives", "people"]
TRAFFIC_BYS = ("consultant", "hour", "store")


def visit_row(label, r: dict) -> dict:
    """A row of visit figures (0 where the query has none) with its retention rate."""
    row = {"label": label, **{k: r.get(k) or 0 for k in VISIT_KEYS}, "stay_minutes": r.get("stay_minutes")}
    row["retention"] = retention_rate(row["retained"], row["first_visits"])
    return row


def _visit_totals(f) -> dict:
    return visit_row("", qv.visit_totals(f))


def _period_rows(f) -> list[dict]:
    """A row per bucket of the period (day/week/month/quarter), empty buckets included."""
    rows = {r["key"]: r for r in qv.visits_by_bucket(f)}
    return [
        visit_row(bucket_label(k, f.grain, f.period.start, f.period.end), rows.get(k, {}))
        for k in bucket_keys(f.period.start, f.period.end, f.grain)
    ]


def build_traffic(f) -> Table:
    """Visits per period bucket, or per consultant, arrival hour or store; first and return visits stacked."""
    if f.by in TRAFFIC_BYS:
        out = _grouped_rows(f)
        first = Col("label", dim_label(f.by), "text")
    else:
        out = _period_rows(f)
        first = Col("label", _l("Period"), "text")
    chart = bars(
        out,
        {_l("First visits"): "first_visits", _l("Return visits"): "return_visits"},
        _l("Showroom traffic"),
        stacked=True,
    )
    return Table([first, *VISIT_COLS], out, _visit_totals(f), charts=[(_l("Showroom traffic"), chart)])


def _grouped_rows(f) -> list[dict]:
    """A row per consultant, arrival hour ("9:00") or store, in key order (no key last)."""
    names = Names()
    rows = qv.visits_by(f, f.by)
    if f.by == "consultant":
        names.load_users(r["key"] for r in rows)
    label = (lambda k: f"{k}:00") if f.by == "hour" else (lambda k: names.of(f.by, k))
    return [visit_row(label(r["key"]), r) for r in sorted(rows, key=lambda r: (r["key"] is None, r["key"]))]


def build_showroom_sources(f) -> Table:
    """Visits per source channel (most visits first) with the first visits that left contact."""
    names = Names()
    rows = qv.visits_by(f, "channel")
    out = [
        visit_row(names.channel(r["key"]) if r["key"] else _l("Not recorded"), r)
        for r in sorted(rows, key=lambda r: -(r["visits"] or 0))
    ]
    cols = [Col("label", _l("Source channel"), "text"), *VISIT_COLS]
    chart = charts.bar_chart(
        [str(r["label"]) for r in out],
        {
            str(_l("First visits")): [r["first_visits"] for r in out],
            str(_l("Left contact (first visits)")): [r["retained"] for r in out],
        },
        str(_l("Showroom visits by source")),
    )
    return Table(cols, out, _visit_totals(f), charts=[(_l("Showroom visits by source"), chart)])


def build_retention(f) -> Table:
    """First visits, those that left contact details and the retention rate per period bucket."""
    out = _period_rows(f)
    cols = [
        Col("label", _l("Period"), "text"),
        Col("first_visits", _l("First visits")),
        Col("retained", _l("Left contact (first visits)")),
        Col("retention", _l("Retention rate"), "pct"),
    ]
    chart = charts.line_chart(
        [r["label"] for r in out],
        {str(_l("Retention rate")): [r["retention"] for r in out]},
        str(_l("Retention rate trend")),
        percent=True,
    )
    return Table(cols, out, _visit_totals(f), charts=[(_l("Retention rate trend"), chart)])
