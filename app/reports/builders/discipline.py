"""Discipline: each consultant's open work today and the month's penalty.

Per consultant: open leads, overdue follow-up plans, expired opportunities, leads without a plan,
the violations of the month the period ends in and the penalty with how it is reached; below them,
each manager's share of the team's penalties. Data: `queries.discipline_snapshot` and
`queries.overdue_plans` (today's state of the filter's leads) and the dashboard's
`followups.queries.penalty_board` (the month's violations priced by the one penalty rule).
"""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.core.names import with_role
from app.core.timeutil import local_today, utcnow
from app.followups import penalties
from app.followups import queries as fq
from app.reports import queries
from app.reports.builders.shared import bars, merge_by_key
from app.reports.rules import month_end
from app.reports.tables import Col, Names, Table, paged, sum_rows
from app.web.i18n import memo_gettext

COLS = [
    Col("label", _l("Consultant"), "text"),
    Col("open_leads", _l("Open leads")),
    Col("overdue", _l("Overdue plans")),
    Col("expired", _l("Expired opportunities")),
    Col("no_plan", _l("Leads without plan")),
    Col("violations", _l("Violations this month")),
    Col("penalty", _l("Penalty"), "money"),
    Col("rule", _l("How the penalty is reached"), "text"),
]
CHART_SERIES = {
    _l("Overdue plans"): "overdue",
    _l("Expired opportunities"): "expired",
    _l("Leads without plan"): "no_plan",
}
SUMMED = ["open_leads", "overdue", "expired", "no_plan", "violations", "penalty"]


def build_discipline(f, page: int | None = None) -> Table:
    """Discipline per consultant today and the month's penalty (the month of the period's end):
    one page of rows, or all of them when `page` is None; the totals cover every consultant.

    The penalty is the dashboard's: `penalty_board` counts the month's violations with the one
    violation query and prices them with the one rule; lead filters do not change a person's fine.
    """
    names = Names()
    say = memo_gettext()  # the rule's words, written for a thousand consultants on a group's page
    today = local_today(utcnow(), f.tz)
    merged = merge_by_key(queries.discipline_snapshot(f, today), queries.overdue_plans(f, today))
    merged.pop(None, None)
    board = _penalty_board(f, today)
    own = _own_consultant(f)
    _add_penalised(merged, board, own)
    names.load_users(merged)
    out = [_consultant_row(key, names.user(key), r, board, say) for key, r in merged.items()]
    if own is None:
        _add_manager_rows(out, board, say)
    # Ties by name, so the order does not depend on which table answered.
    out.sort(key=lambda r: (r["open_leads"] is None, -(r["penalty"] or 0), -(r["overdue"] or 0), r["label"]))
    consultants = [r for r in out if r["open_leads"] is not None]
    table = Table(
        list(COLS),
        out,
        sum_rows(consultants, SUMMED),
        charts=[(_l("Discipline"), bars(consultants[:12], CHART_SERIES, _l("Discipline"), stacked=True))],
        notes=[penalties.explain_policy(board["rules"], gettext)],
    )
    return paged(table, page)


def ranking_figures(f) -> tuple[dict, list] | None:
    """Each consultant's overdue plans, expired opportunities and penalty, as `build_discipline`'s
    consultant rows have them, and the penalty rule's note: what the monthly report's ranking
    shows. Without counting every open lead (open leads and leads without a plan are not shown
    there): at 1,000,000 leads that count read a store's 32,000 open leads from the table.

    {id: {"overdue", "expired", "penalty"}}; an id left out has 0 for all three. None when the
    report is limited to one consultant (their rows differ: use `build_discipline`).
    """
    if _own_consultant(f) is not None:
        return None
    today = local_today(utcnow(), f.tz)
    board = _penalty_board(f, today)
    overdue = {r["key"]: r["overdue"] for r in queries.overdue_plans(f, today)}
    expired = {r["key"]: r["expired"] for r in queries.expired_opportunities(f, today)}
    figures = {}
    for key in (set(overdue) | set(expired) | set(board["consultants"])) - {None}:
        figure = board["consultants"].get(key)
        # Without violations a penalty is 0, so a consultant with no open work is 0 either way.
        figures[key] = {
            "overdue": overdue.get(key, 0),
            "expired": expired.get(key, 0),
            "penalty": figure["penalty"].amount if figure else penalties.Penalty().amount,
        }
    return figures, [penalties.explain_policy(board["rules"], gettext)]


def _penalty_board(f, today) -> dict:
    """The dashboard's penalty board of the month the period ends in, for the filter's stores."""
    month_first = f.period.end.replace(day=1)
    return fq.penalty_board(
        list(f.store_ids) if f.store_ids is not None else None,
        month_first,
        month_end(month_first),
        today,
        f.tz,
    )


def _own_consultant(f) -> int | None:
    """The one consultant the report is limited to (chosen, or the consultant or DCC agent viewing)."""
    return f.consultant_id or (f.user.id if f.user.role in {Role.CONSULTANT, Role.DCC} else None)


def _add_penalised(merged: dict, board: dict, own: int | None) -> None:
    """Give a row to every consultant with violations this month, even without open work."""
    for key, figure in board["consultants"].items():
        if figure["violations"] and (own is None or key == own):
            merged.setdefault(key, {"key": key})


def _consultant_row(key, label: str, r: dict, board: dict, say) -> dict:
    figure = board["consultants"].get(key)
    penalty = figure["penalty"] if figure else penalties.Penalty()
    return {
        "key": key,
        "label": label,
        "open_leads": r.get("open_leads", 0),
        "overdue": r.get("overdue", 0),
        "expired": r.get("expired", 0),
        "no_plan": r.get("no_plan", 0),
        "violations": penalty.violations,
        "penalty": penalty.amount,
        "rule": penalties.explain(penalty, board["rules"], say),
    }


def _add_manager_rows(out: list[dict], board: dict, say) -> None:
    """Add a row per manager whose team has penalties, or every manager once a board consultant is shown."""
    for m in board["managers"].values():
        if m["team_total"] or any(r["key"] in board["consultants"] for r in out):
            out.append(
                {
                    "key": m["id"],
                    "label": with_role(m["name"], say("manager")),
                    "open_leads": None,
                    "overdue": None,
                    "expired": None,
                    "no_plan": None,
                    "violations": None,
                    "penalty": m["amount"],
                    "rule": penalties.explain_manager(m["amount"], m["team_total"], board["rules"], say),
                }
            )
