"""Follow-up efficiency per consultant.

Follow-ups and the effective ones, leads followed and follow-ups per lead, hours from a lead's
assignment (or creation) to its first contact, leads not contacted yet, won leads and days from lead
to order. Data: `queries.followup_activity` (the daily aggregates, and the distinct leads followed
over the period) and `queries.response_and_cycle` (the daily aggregates' summed durations over
their counts, or one pass over the leads created or won in the period), joined on the consultant.
"""

from flask_babel import lazy_gettext as _l

from app.reports import queries
from app.reports.builders.shared import bars, merge_by_key
from app.reports.rules import rate
from app.reports.tables import Col, Names, Table, paged, sum_rows

COLS = [
    Col("label", _l("Consultant"), "text"),
    Col("followups", _l("Follow-ups")),
    Col("effective", _l("Effective")),
    Col("effective_rate", _l("Effective share"), "pct"),
    Col("leads", _l("Leads followed")),
    Col("per_lead", _l("Follow-ups per lead"), "num"),
    Col("first_contact_hours", _l("Hours to first contact"), "hours"),
    Col("never_contacted", _l("Not contacted yet")),
    Col("won", _l("Won")),
    Col("cycle_days", _l("Days from lead to order"), "days"),
]


def build_followups(f, page: int | None = None) -> Table:
    """One row per consultant, most follow-ups first, with the follow-ups chart of the top twelve:
    one page of rows, or all of them when `page` is None; the totals cover every row."""
    names = Names()
    merged = merge_by_key(queries.followup_activity(f), *queries.response_and_cycle(f))
    names.load_users(merged)
    out = [_consultant_row(names.user(key), r) for key, r in merged.items()]
    out.sort(key=lambda r: -r["followups"])
    totals = sum_rows(out, ["followups", "effective", "leads", "never_contacted", "won"])
    totals.update(
        effective_rate=rate(totals["effective"], totals["followups"]),
        per_lead=rate(totals["followups"], totals["leads"]),
    )
    chart = bars(
        out[:12],
        {_l("Follow-ups"): "followups", _l("Effective"): "effective"},
        _l("Follow-ups per consultant"),
    )
    return paged(Table(list(COLS), out, totals, charts=[(_l("Follow-ups per consultant"), chart)]), page)


def _consultant_row(label: str, r: dict) -> dict:
    fu, eff, leads = r.get("followups", 0), r.get("effective", 0), r.get("leads", 0)
    return {
        "label": label,
        "followups": fu,
        "effective": eff,
        "effective_rate": rate(eff, fu),
        "leads": leads,
        "per_lead": rate(fu, leads),
        "first_contact_hours": r.get("first_contact_hours"),
        "never_contacted": r.get("never_contacted", 0),
        "won": r.get("won", 0),
        "cycle_days": r.get("cycle_days"),
    }
