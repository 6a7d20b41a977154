"""The headline figures: new leads, visits, first visits, retention, test drives, invitations,
orders and conversion of a period, and the same figures a period earlier and a year earlier.

Used by the trends report, the monthly PDF and target progress. Data: `queries_visits.kpis` (one
SELECT of the period's figures, or the sum of the daily aggregates).
"""

from flask_babel import lazy_gettext as _l

from app.reports import queries_visits as qv
from app.reports.rules import change, previous_period, rate, same_period_last_year
from app.showroom.rules import retention_rate

KPI_COLS = [
    ("new_leads", _l("New leads"), "int"),
    ("visits", _l("Showroom visits"), "int"),
    ("first_visits", _l("First visits"), "int"),
    ("retention", _l("Retention rate"), "pct"),
    ("test_drives", _l("Test drives"), "int"),
    ("invitations", _l("Invitations"), "int"),
    ("orders", _l("Orders"), "int"),
    ("conversion", _l("Conversion"), "pct"),
]


def kpi_values(f) -> dict:
    """Headline figures of a filter's period, with the derived rates."""
    k = qv.kpis(f)
    k["retention"] = retention_rate(k["retained"], k["first_visits"])
    k["conversion"] = rate(k["orders"], k["new_leads"])
    return k


def kpi_comparison(f) -> list[dict]:
    """Each headline figure now, in the previous period and in the same period last year."""
    now = kpi_values(f)
    before = kpi_values(f.with_period(previous_period(f.period)))
    last_year = kpi_values(f.with_period(same_period_last_year(f.period)))
    return [
        {
            "key": key,
            "label": label,
            "kind": kind,
            "current": now.get(key),
            "previous": before.get(key),
            "last_year": last_year.get(key),
            "vs_previous": change(now.get(key), before.get(key)),
            "vs_last_year": change(now.get(key), last_year.get(key)),
        }
        for key, label, kind in KPI_COLS
    ]
