"""Consultant visit activity: contacts per consultant and day, by contact method.

Per day and consultant: contacts by phone, SMS, WeChat, e-mail, home visit and in the showroom,
all follow-ups, the effective ones and the customers contacted; a pie of the methods. The page
shows the rows a page at a time (a group's quarter is tens of thousands of them), the Excel export
all of them; both with the same totals over the whole period, summed in SQL.
Data: `queries.followup_activity_by_day` (the daily aggregates, or the follow-ups of the period).
"""

from flask_babel import lazy_gettext as _l

from app.reports import charts, queries
from app.reports.tables import Col, Names, Table

PAGE_SIZE = 100
METHODS = ["phone", "sms", "wechat", "email", "visit", "showroom"]
METHOD_LABELS = {
    "phone": _l("Phone"),
    "sms": _l("SMS"),
    "wechat": _l("WeChat"),
    "email": _l("Email"),
    "visit": _l("Home visit"),
    "showroom": _l("Showroom"),
}
COLS = [
    Col("day", _l("Day"), "text"),
    Col("label", _l("Consultant"), "text"),
    *[Col(f"m_{m}", METHOD_LABELS[m]) for m in METHODS],
    Col("followups", _l("Follow-ups")),
    Col("effective", _l("Effective")),
    Col("leads", _l("Customers")),
]


def build_activity(f, page: int | None = None) -> Table:
    """A row per day and consultant, in day then name order: one page of `PAGE_SIZE` rows, or all
    of them when `page` is None (the export); totals and the pie of contact methods cover them all."""
    rows, count, totals = queries.followup_activity_by_day(f, Names().unassigned, page, PAGE_SIZE)
    out = [
        {
            "day": r["bucket"],
            "label": r["label"],
            "followups": r["followups"],
            "effective": r["effective"],
            "leads": r["leads"],
            **{f"m_{m}": r[f"m_{m}"] for m in METHODS},
        }
        for r in rows
    ]
    chart = charts.pie_chart(
        [str(METHOD_LABELS[m]) for m in METHODS],
        [totals[f"m_{m}"] for m in METHODS],
        str(_l("Contacts by method")),
    )
    paging = {"total_rows": count, "page": page, "page_size": PAGE_SIZE} if page is not None else {}
    return Table(list(COLS), out, totals, charts=[(_l("Contacts by method"), chart)], **paging)
