"""Customer satisfaction: survey results per consultant, store or event.

Surveys sent and answered, response rate, average score (1–5), share satisfied (4–5) and unhappy
answers (1–2); the totals' average is weighted by answers. Data: `queries_visits.satisfaction_by`
(surveys sent in the period), event names from `queries_visits.event_names`.
"""

from flask_babel import lazy_gettext as _l

from app.reports import queries_visits as qv
from app.reports.builders.shared import bars, dim_label
from app.reports.rules import rate
from app.reports.tables import Col, Names, Table, sum_rows

SATISFACTION_BYS = ("store", "consultant", "event")
FIGURE_COLS = [
    Col("sent", _l("Surveys sent")),
    Col("answered", _l("Answered")),
    Col("response_rate", _l("Response rate"), "pct"),
    Col("avg_score", _l("Average score (1–5)"), "num"),
    Col("satisfied_rate", _l("Satisfied (4–5)"), "pct"),
    Col("unhappy", _l("Unhappy (1–2)")),
]


def build_satisfaction(f) -> Table:
    """A row per consultant (default), store or event, most answers first."""
    by = f.by if f.by in SATISFACTION_BYS else "consultant"
    rows = qv.satisfaction_by(f, by)
    label = _labeller(by, rows)
    out = [_score_row(label(r["key"]), r) for r in sorted(rows, key=lambda r: -(r["answered"] or 0))]
    chart = bars(out[:12], {_l("Average score (1–5)"): "avg_score"}, _l("Customer satisfaction"))
    return Table(
        [Col("label", dim_label(by), "text"), *FIGURE_COLS],
        out,
        _totals(rows),
        charts=[(_l("Customer satisfaction"), chart)],
    )


def _labeller(by: str, rows: list[dict]):
    """The name of a group key; surveys of no event are the showroom visit's."""
    if by == "event":
        events = qv.event_names(r["key"] for r in rows)
        return lambda k: events[k][0] if k in events else str(_l("Showroom visit"))
    names = Names()
    names.load_users(r["key"] for r in rows)
    return lambda k: names.of(by, k)


def _score_row(label, r: dict) -> dict:
    return {
        "label": label,
        "sent": r["sent"],
        "answered": r["answered"],
        "response_rate": rate(r["answered"], r["sent"]),
        "avg_score": r["avg_score"],
        "satisfied_rate": rate(r["satisfied"], r["answered"]),
        "unhappy": r["unhappy"],
    }


def _totals(rows: list[dict]) -> dict:
    """Summed counts, their rates and the average score weighted by each row's answers."""
    totals = sum_rows(rows, ["sent", "answered", "satisfied", "unhappy"])
    weighted = sum((r["avg_score"] or 0) * (r["answered"] or 0) for r in rows)
    totals.update(
        response_rate=rate(totals["answered"], totals["sent"]),
        avg_score=rate(weighted, totals["answered"]),
        satisfied_rate=rate(totals["satisfied"], totals["answered"]),
    )
    return totals
