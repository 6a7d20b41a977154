"""Daily work report: each consultant's day (or any period) side by side.

Per consultant: new leads, follow-ups and the effective ones, showroom receptions, test drives,
invitations made, orders and defeat requests. Data: `queries.new_leads_total`,
`queries.followup_activity`, `queries_visits.visit_counts`, `queries_visits.invitations_made`,
`queries.won_leads` and `queries.defeats_requested`, joined on the consultant (from the daily
aggregates where the filter allows).
"""

from flask_babel import lazy_gettext as _l

from app.leads.models import Lead
from app.reports import queries
from app.reports import queries_visits as qv
from app.reports.builders.shared import bars, merge_by_key
from app.reports.tables import Col, Names, Table, paged, sum_rows

KEYS = ["new_leads", "followups", "effective", "visits", "test_drives", "invitations", "won", "defeats"]
COLS = [
    Col("label", _l("Consultant"), "text"),
    Col("new_leads", _l("New leads")),
    Col("followups", _l("Follow-ups")),
    Col("effective", _l("Effective")),
    Col("visits", _l("Showroom receptions")),
    Col("test_drives", _l("Test drives")),
    Col("invitations", _l("Invitations")),
    Col("won", _l("Orders")),
    Col("defeats", _l("Defeat requests")),
]


def build_daily(f, page: int | None = None) -> Table:
    """A row per consultant by name, with follow-ups and receptions of the first twelve as bars:
    one page of rows (a group has a thousand consultants), or all of them when `page` is None;
    the totals cover every row."""
    names = Names()
    merged = merge_by_key(
        queries.new_leads_total(f, Lead.owner_id),
        queries.followup_activity(f, leads=False),
        qv.visit_counts(f, "consultant"),
        qv.invitations_made(f),
        queries.won_leads(f, Lead.owner_id),
        queries.defeats_requested(f),
    )
    merged.pop(None, None)
    names.load_users(merged)
    out = [{"label": names.user(k), **{c: r.get(c) or 0 for c in KEYS}} for k, r in merged.items()]
    out.sort(key=lambda r: r["label"])
    chart = bars(
        out[:12],
        {_l("Follow-ups"): "followups", _l("Showroom receptions"): "visits"},
        _l("Daily work report"),
    )
    table = Table(list(COLS), out, sum_rows(out, KEYS), charts=[(_l("Daily work report"), chart)])
    return paged(table, page)
