"""How a consultant's workload reads where an assignment is decided: "12 open leads / 40 · 3 overdue plans".

`workload_text` is a template global (the `workload` macro of templates/followups/_workload.html
and the consultant choices of the reclaim and proposal pages print it); `workload_texts` reads it
once per consultant for a page that lists the same consultants in every row, and `ReassignOptions`
writes those consultants' `<option>`s once per page.
"""

from flask_babel import gettext as _
from markupsafe import Markup


def workload_text(w: dict | None, capacity: int | None = None) -> str:
    """Open leads (of the capacity, when one is set) and overdue plans; empty without figures."""
    if not w:
        return ""
    of_capacity = f" / {capacity}" if capacity else ""
    return (
        _("%(n)s open leads", n=w["open_leads"])
        + of_capacity
        + " · "
        + _("%(n)s overdue plans", n=w["overdue"])
    )


def workload_texts(load: dict[int, dict], capacity: dict[int, int | None]) -> dict[int, str]:
    """`workload_text` of every consultant in `load`, by user id."""
    return {uid: workload_text(w, capacity.get(uid)) for uid, w in load.items()}


class ReassignOptions:
    """The "new owner" choices of a page that offers, in every row, the consultants of the row's
    store with their workload words (the reclaim list: 100 rows × a store's 60 consultants).

    Each consultant's `<option>` is written once per page; a row then joins its store's options,
    leaving out the current owner and pre-selecting (and naming) a colleague who followed it up.
    """

    def __init__(self, store_choices: dict[int, list[tuple[int, str]]], texts: dict[int, str]):
        self._followed = _("followed it up")
        self._choices = {
            store_id: [(uid, name, texts.get(uid, "")) for uid, name in choices]
            for store_id, choices in store_choices.items()
        }
        self._plain = {
            uid: Markup('<option value="{}">{} · {}</option>').format(uid, name, text)
            for choices in self._choices.values()
            for uid, name, text in choices
        }

    def for_row(self, store_id: int, owner_id: int | None, follower_id: int | None) -> Markup:
        """The `<option>`s of one row: the store's consultants but the owner, the follower selected."""
        return Markup("").join(
            Markup('<option value="{}" selected>{} ({}) · {}</option>').format(
                uid, name, self._followed, text
            )
            if uid == follower_id
            else self._plain[uid]
            for uid, name, text in self._choices.get(store_id, [])
            if uid != owner_id
        )
