"""DCC figures: the phone team's calls and what came of them, per DCC agent.

New leads, calls, connected calls and connect rate, customers reached, appointments and
appointment rate, shows and show rate. Data: `queries_visits.dcc_figures` (calls, appointments
and shows of the period per agent).
"""

from flask_babel import lazy_gettext as _l

from app.reports import queries_visits as qv
from app.reports.builders.shared import bars
from app.reports.rules import rate
from app.reports.tables import Col, Names, Table, sum_rows

DCC_COUNTS = ("new_leads", "calls", "connected", "leads_reached", "appointments", "shows")
COLS = [
    Col("label", _l("DCC agent"), "text"),
    Col("new_leads", _l("New leads")),
    Col("calls", _l("Calls")),
    Col("connected", _l("Connected")),
    Col("connect_rate", _l("Connect rate"), "pct"),
    Col("leads_reached", _l("Customers reached")),
    Col("appointments", _l("Appointments")),
    Col("appointment_rate", _l("Appointment rate"), "pct"),
    Col("shows", _l("Shows")),
    Col("show_rate", _l("Show rate"), "pct"),
]
RATES_NOTE = _l(
    "Connect rate = connected calls / calls; appointment rate = appointments / customers "
    "reached; show rate = shows / appointments."
)


def build_dcc(f) -> Table:
    """A row per DCC agent, most calls first, with the three rates of the top twelve as bars."""
    names = Names()
    rows = qv.dcc_figures(f)
    names.load_users(r["key"] for r in rows)
    out = [_dcc_row(names.user(r["key"]), r) for r in rows]
    out.sort(key=lambda r: -r["calls"])
    totals = _dcc_row("", sum_rows(out, list(DCC_COUNTS)))
    chart = bars(
        out[:12],
        {
            _l("Connect rate"): "connect_rate",
            _l("Appointment rate"): "appointment_rate",
            _l("Show rate"): "show_rate",
        },
        _l("DCC figures"),
        percent=True,
    )
    return Table(list(COLS), out, totals, charts=[(_l("DCC figures"), chart)], notes=[RATES_NOTE])


def _dcc_row(label, r: dict) -> dict:
    row = {"label": label, **{k: r.get(k) or 0 for k in DCC_COUNTS}}
    row["connect_rate"] = rate(row["connected"], row["calls"])
    row["appointment_rate"] = rate(row["appointments"], row["leads_reached"])
    row["show_rate"] = rate(row["shows"], row["appointments"])
    return row
