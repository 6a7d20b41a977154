"""How a consultant's workload reads where an assignment is decided: "12 open leads / 40 · 3 overdue plans".

`workload_text` is a template global (the `workload` macro of templates/followups/_workload.html
and the consultant choices of the reclaim and proposal pages print it); `workload_texts` reads it
once per consultant for a page that lists the same consultants in every row.
"""

from flask_babel import gettext as _


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
