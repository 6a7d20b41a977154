"""Lead sources: new leads per source channel and the share of them that visited or bought.

One row per channel with its new leads, share of all new leads, visited and won; a pie of the new
leads by channel and a line per top-six channel over the period's day/week/month/quarter buckets.
Data: `queries.new_leads_by` and `queries.new_leads_trend` on the lead's source channel (leads
created in the period; visited and won are those leads' own arrival and win).
"""

from flask_babel import lazy_gettext as _l

from app.leads.models import Lead
from app.reports import charts, queries
from app.reports.rules import bucket_keys, bucket_label, rate
from app.reports.tables import Col, Names, Table, sum_rows

COLS = [
    Col("label", _l("Source channel"), "text"),
    Col("leads", _l("New leads")),
    Col("share", _l("Share"), "pct"),
    Col("visited", _l("Visited")),
    Col("visited_rate", _l("Share visited"), "pct"),
    Col("won", _l("Won")),
    Col("won_rate", _l("Share won"), "pct"),
]
TREND_CHANNELS = 6


def build_sources(f) -> Table:
    """New leads per source channel, with the pie of channels and their trend over the period."""
    names = Names()
    rows = sorted(queries.new_leads_by(f, Lead.source_channel_id), key=lambda r: -r["leads"])
    total = sum(r["leads"] for r in rows)
    out = [_channel_row(names.channel(r["key"]), r, total) for r in rows]
    totals = sum_rows(out, ["leads", "visited", "won"])
    totals.update(
        share=rate(totals["leads"], total),
        visited_rate=rate(totals["visited"], totals["leads"]),
        won_rate=rate(totals["won"], totals["leads"]),
    )
    pie = charts.pie_chart(
        [r["label"] for r in out], [r["leads"] for r in out], str(_l("New leads by source"))
    )
    line = _trend_chart(f, names, [r["key"] for r in rows[:TREND_CHANNELS]])
    return Table(
        list(COLS),
        out,
        totals,
        charts=[(_l("New leads by source"), pie), (_l("New leads by source and period"), line)],
    )


def _channel_row(label: str, r: dict, total: int) -> dict:
    return {
        "label": label,
        "leads": r["leads"],
        "share": rate(r["leads"], total),
        "visited": r["visited"],
        "visited_rate": rate(r["visited"], r["leads"]),
        "won": r["won"],
        "won_rate": rate(r["won"], r["leads"]),
    }


def _trend_chart(f, names: Names, top: list) -> str:
    """A line per channel in `top`: its new leads in each bucket of the period (0 where none)."""
    keys = bucket_keys(f.period.start, f.period.end, f.grain)
    series = {names.channel(c): [0] * len(keys) for c in top}
    index = {k: i for i, k in enumerate(keys)}
    for r in queries.new_leads_trend(f, Lead.source_channel_id):
        if r["key"] in top and r["bucket"] in index:
            series[names.channel(r["key"])][index[r["bucket"]]] = r["leads"]
    labels = [bucket_label(k, f.grain, f.period.start, f.period.end) for k in keys]
    return charts.line_chart(labels, series, str(_l("New leads by source and period")))
