"""Arrival registration: every registered showroom arrival of the period, a page at a time.

Per arrival: arrival and leaving time, customer, phone (in full only to the lead's owner, masked
for everyone else), consultant, store, source channel, party size, first or return visit, whether
contact details were left and whether there was a test drive. Data: `queries_visits.arrival_list`.
"""

from flask_babel import lazy_gettext as _l

from app.core.phones import mask_phone
from app.reports import queries_visits as qv
from app.reports.tables import Col, Names, Table

COLS = [
    Col("arrived_at", _l("Arrived"), "datetime"),
    Col("left_at", _l("Left"), "time"),
    Col("label", _l("Customer"), "text"),
    Col("phone", _l("Phone"), "text"),
    Col("consultant", _l("Consultant"), "text"),
    Col("store", _l("Store"), "text"),
    Col("source", _l("Source channel"), "text"),
    Col("party_size", _l("People")),
    Col("first", _l("First or return"), "text"),
    Col("left_contact", _l("Left contact"), "text"),
    Col("test_drive", _l("Test drive"), "text"),
]


def build_arrivals(f, page: int = 1) -> Table:
    """One page of the period's arrivals (`queries_visits.PAGE_SIZE` rows), with the total count."""
    names = Names()
    rows, total = qv.arrival_list(f, page)
    names.load_users(r["consultant_id"] for r in rows)
    words = {  # translated once per page, not once per cell
        "anonymous": str(_l("Anonymous")),
        "first": str(_l("First")),
        "return": str(_l("Return")),
        True: str(_l("Yes")),
        False: str(_l("No")),
    }
    out = [_arrival_row(r, names, f.user.id, words) for r in rows]
    return Table(list(COLS), out, None, total_rows=total, page=page, page_size=qv.PAGE_SIZE)


def _shown_phone(phone: str | None, owner_id, viewer_id) -> str:
    """The phone in full for the lead's owner, masked for anyone else, "" when none was taken."""
    if not phone:
        return ""
    return phone if owner_id == viewer_id else mask_phone(phone)


def _arrival_row(r: dict, names: Names, viewer_id, words: dict) -> dict:
    return {
        "arrived_at": r["arrived_at"],
        "left_at": r["left_at"],
        "label": r["lead_name"] or words["anonymous"],
        "phone": _shown_phone(r["phone"], r["lead_owner_id"], viewer_id),
        "consultant": names.user(r["consultant_id"]) if r["consultant_id"] else "",
        "store": names.store(r["store_id"]),
        "source": names.channel(r["source_channel_id"]) if r["source_channel_id"] else "",
        "party_size": r["party_size"],
        "first": words["first"] if r["is_first_visit"] else words["return"],
        "left_contact": words[bool(r["left_contact"])],
        "test_drive": words[bool(r["test_drive"])],
    }
