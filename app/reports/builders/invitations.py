"""Invitations and events: how invited customers answered and came, per event, campaign,
consultant or store.

Per group: invited, accepted, responded, arrived, came without accepting, walk-ins and orders
within 30 days, with the success, feedback and attendance rates of `invitations.rules`.
Data: `queries_visits.invitations_by` (invitations of the period's events), with event and
campaign names from `queries_visits.event_names` / `campaign_names`.
"""

from flask_babel import lazy_gettext as _l

from app.invitations.rules import invitation_rates
from app.reports import queries_visits as qv
from app.reports.builders.shared import bars, dim_label
from app.reports.tables import Col, Names, Table, sum_rows

INVITATION_BYS = ("event", "campaign", "consultant", "store")
INVITATION_COUNTS = ("invited", "accepted", "responded", "arrived", "came_unanswered", "walk_ins", "orders")
FIGURE_COLS = [
    Col("invited", _l("Invited")),
    Col("accepted", _l("Accepted")),
    Col("responded", _l("Responded")),
    Col("arrived", _l("Arrived")),
    Col("came_unanswered", _l("Came without accepting")),
    Col("walk_ins", _l("Walk-ins")),
    Col("orders", _l("Orders within 30 days")),
    Col("success_rate", _l("Success rate"), "pct"),
    Col("feedback_rate", _l("Feedback rate"), "pct"),
    Col("attendance_rate", _l("Attendance rate"), "pct"),
]
RATES_NOTE = _l(
    "Success = accepted / invited; feedback = responded / invited; attendance = accepted "
    "guests who came / accepted. Guests who came without accepting and walk-ins are "
    "counted on their own, not in the rates."
)


def build_invitations(f) -> Table:
    """A row per event (default), campaign, consultant or store, most invited first."""
    by = f.by if f.by in INVITATION_BYS else "event"
    rows = qv.invitations_by(f, by)
    label = _labeller(by, rows)
    out = [invitation_row(label(r["key"]), r) for r in sorted(rows, key=lambda r: -(r["invited"] or 0))]
    totals = invitation_row("", sum_rows(rows, list(INVITATION_COUNTS)))
    chart = bars(
        out[:10],
        {
            _l("Success rate"): "success_rate",
            _l("Feedback rate"): "feedback_rate",
            _l("Attendance rate"): "attendance_rate",
        },
        _l("Invitation results"),
        percent=True,
    )
    return Table(
        [Col("label", dim_label(by), "text"), *FIGURE_COLS],
        out,
        totals,
        charts=[(_l("Invitation results"), chart)],
        notes=[RATES_NOTE],
    )


def _labeller(by: str, rows: list[dict]):
    """The name of a group key: the event's or campaign's name, else the consultant's or store's."""
    names = Names()
    if by == "event":
        events = qv.event_names(r["key"] for r in rows)
        return lambda k: f"{events[k][0]}" if k in events else names.unknown
    if by == "campaign":
        camps = qv.campaign_names(r["key"] for r in rows)
        return lambda k: camps.get(k, str(_l("No campaign")))
    names.load_users(r["key"] for r in rows)
    return lambda k: names.of(by, k)


def invitation_row(label, r: dict) -> dict:
    """A row of invitation counts (0 where none) with its success, feedback and attendance rates."""
    row = {"label": label, **{k: r.get(k) or 0 for k in INVITATION_COUNTS}}
    row.update(invitation_rates(row))
    return row
