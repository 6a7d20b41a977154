"""How a consultant's workload reads where an assignment is decided: "12 open leads / 40 · 3 overdue plans".

`workload_text` is a template global (the `workload` macro of templates/followups/_workload.html
and the consultant choices of the reclaim and proposal pages print it); `workload_texts` reads it
once per consultant for a page that lists the same consultants in every row, and `ReassignOptions`
writes a lead's choice of new owner (the reclaim list loads one row's when the manager opens it).
"""

from flask_babel import gettext as _
from markupsafe import Markup


def _words() -> tuple[str, str]:
    """The two phrases in the user's language, their `%(n)s` still to fill: read once per page."""
    return _("%(n)s open leads"), _("%(n)s overdue plans")


def _text(words: tuple[str, str], w: dict, capacity: int | None) -> str:
    of_capacity = f" / {capacity}" if capacity else ""
    return words[0] % {"n": w["open_leads"]} + of_capacity + " · " + words[1] % {"n": w["overdue"]}


def workload_text(w: dict | None, capacity: int | None = None) -> str:
    """Open leads (of the capacity, when one is set) and overdue plans; empty without figures."""
    return _text(_words(), w, capacity) if w else ""


def workload_texts(load: dict[int, dict], capacity: dict[int, int | None]) -> dict[int, str]:
    """`workload_text` of every consultant in `load`, by user id (the phrases translated once)."""
    words = _words()
    return {uid: _text(words, w, capacity.get(uid)) if w else "" for uid, w in load.items()}


_SPAN = Markup('<span class="workload%s" data-open-leads="%d" data-overdue="%d">%s</span>')


def workload_span(w: dict | None, capacity: int | None = None, text: str | None = None) -> Markup:
    """A consultant's workload as pages show it (the `workload` macro of _workload.html): figures in
    data attributes, late when plans are overdue; empty without figures."""
    if not w:
        return Markup("")
    late = " workload-late" if w["overdue"] else ""
    words = workload_text(w, capacity) if text is None else text
    return _SPAN % (late, w["open_leads"], w["overdue"], words)


def workload_spans(load: dict[int, dict], capacity: dict[int, int | None]) -> dict[int, Markup]:
    """`workload_span` of every consultant in `load`, by user id: for a page that shows the same
    people in many rows or a long list (the phrases translated once, not twice per person)."""
    texts = workload_texts(load, capacity)
    return {uid: workload_span(w, capacity.get(uid), texts[uid]) for uid, w in load.items()}


class ReassignOptions:
    """The "new owner" choices of a lead: the consultants of the lead's store with their workload
    words (`followups.reclaim_choice`, loaded for one row of the reclaim list when it is opened).

    Each consultant's `<option>` is written once; a row then joins its store's options, leaving out
    the current owner and pre-selecting (and naming) a colleague who followed it up.
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
