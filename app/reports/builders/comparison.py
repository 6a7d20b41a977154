"""Store and consultant comparison: the period's main figures side by side, against the targets.

Per store (the whole group) or per consultant (one store, a consultant, or when asked for): new
leads, first visits, test drives, invitations, orders, conversion and progress against the month's
order target. Data: `queries.new_leads_total`, `queries.won_leads`, `queries_visits.visit_counts`,
`queries_visits.invitations_made`, and `targets.targets_by` for the targets.
"""

from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.leads.models import Lead
from app.reports import queries
from app.reports import queries_visits as qv
from app.reports.builders.shared import bars, dim_label, merge_by_key
from app.reports.rules import rate
from app.reports.tables import Col, Names, Table, sum_rows
from app.reports.targets import targets_by

COUNTS = ("new_leads", "first_visits", "test_drives", "invitations", "won")
FIGURE_COLS = [
    Col("new_leads", _l("New leads")),
    Col("first_visits", _l("First visits")),
    Col("test_drives", _l("Test drives")),
    Col("invitations", _l("Invitations")),
    Col("won", _l("Orders")),
    Col("conversion", _l("Conversion"), "pct"),
    Col("target", _l("Order target")),
    Col("progress", _l("Target reached"), "pct"),
]


def build_comparison(f) -> Table:
    """A row per store or consultant, most orders first, with new leads and orders of the top 15."""
    names = Names()
    by = _grouping(f)
    merged = _figures(f, by)
    if by == "consultant":
        names.load_users(merged)
    targets = targets_by(f, by)
    out = [_compared_row(key, names.of(by, key), r, targets.get(key, {})) for key, r in merged.items()]
    out.sort(key=lambda r: -r["won"])
    totals = sum_rows(out, list(COUNTS))
    totals["conversion"] = rate(totals["won"], totals["new_leads"])
    chart = bars(out[:15], {_l("New leads"): "new_leads", _l("Orders"): "won"}, _l("Comparison"))
    return Table(
        [Col("label", dim_label(by), "text"), *FIGURE_COLS], out, totals, charts=[(_l("Comparison"), chart)]
    )


def _grouping(f) -> str:
    """Stores for the whole group unless consultants are asked for; consultants see consultants."""
    if f.user.role == Role.CONSULTANT:
        return "consultant"
    return "store" if (f.store_ids is None and f.by != "consultant") else "consultant"


def _figures(f, by: str) -> dict:
    """Every figure of the comparison per store or consultant id (no unassigned row)."""
    per_store = by == "store"
    merged = merge_by_key(
        queries.new_leads_total(f, Lead.store_id if per_store else Lead.owner_id),
        queries.won_leads(f, Lead.store_id if per_store else Lead.owner_id),
        qv.visit_counts(f, by),
        qv.invitations_made(f, qv.Invitation.store_id if per_store else qv.Invitation.inviter_id),
    )
    merged.pop(None, None)
    return merged


def _compared_row(key, label: str, r: dict, target: dict) -> dict:
    row = {"key": key, "label": label, **{k: r.get(k) or 0 for k in COUNTS}}
    row["conversion"] = rate(row["won"], row["new_leads"])
    row["target"] = target.get("orders")
    row["progress"] = rate(row["won"], row["target"])
    return row
