"""Consultant visit activity: contacts per consultant and day, by contact method.

Per day and consultant: contacts by phone, SMS, WeChat, e-mail, home visit and in the showroom,
all follow-ups, the effective ones and the customers contacted; a pie of the methods.
Data: `queries.followup_activity(by_day=True)` (follow-ups of the period).
"""

from flask_babel import lazy_gettext as _l

from app.reports import charts, queries
from app.reports.tables import Col, Names, Table, sum_rows

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


def build_activity(f) -> Table:
    """A row per day and consultant, in day then name order, with the pie of contact methods."""
    names = Names()
    rows = queries.followup_activity(f, by_day=True)
    names.load_users(r["key"] for r in rows)
    out = [
        {
            "day": r["bucket"],
            "label": names.user(r["key"]),
            "followups": r["followups"],
            "effective": r["effective"],
            "leads": r["leads"],
            **{f"m_{m}": r[f"m_{m}"] for m in METHODS},
        }
        for r in sorted(rows, key=lambda r: (r["bucket"], names.user(r["key"])))
    ]
    totals = sum_rows(out, [f"m_{m}" for m in METHODS] + ["followups", "effective", "leads"])
    chart = charts.pie_chart(
        [str(METHOD_LABELS[m]) for m in METHODS],
        [totals[f"m_{m}"] for m in METHODS],
        str(_l("Contacts by method")),
    )
    return Table(list(COLS), out, totals, charts=[(_l("Contacts by method"), chart)])
