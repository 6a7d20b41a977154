"""The first page after login: the consultant's workbench (工作台) or the manager's day."""

from datetime import date, timedelta

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from app.accounts.models import Role
from app.core.params import parse_positive_int
from app.core.timeutil import today_for, utcnow, zone_for
from app.dashboard import queries
from app.dashboard.discipline import store_totals
from app.followups import penalties, rules
from app.followups import queries as fq
from app.web.access import requires
from app.web.permissions import store_scope_ids
from app.web.render import is_htmx, render

bp = Blueprint("dashboard", __name__)

MANAGER_ROLES = {Role.MANAGER, Role.DIRECTOR}


def month_to_date_progress(user, today):
    from app.reports.targets import month_to_date_progress as progress

    return progress(user, today)


def lead_list_url(**args) -> str:
    """Return the filtered lead list URL (the lead list reads these filter arguments)."""
    return url_for("leads.list_leads", **args)


def _period(today: date) -> tuple[date, date]:
    def parse(name, default):
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return default

    start = parse("from", today.replace(day=1))
    end = parse("to", today)
    if end < start or (end - start).days > 366:
        start, end = today.replace(day=1), today
    return start, end


def _board_stores(user) -> tuple[list[int] | None, int | None]:
    """The stores the board covers, and the store asked for (?store=) when the user may see it."""
    scope = store_scope_ids(user)
    store = parse_positive_int(request.args.get("store"))
    if store is not None and (scope is None or store in scope):
        return [store], store
    return scope, None


def discipline_board(user, today: date, now, tz: str) -> dict:
    """Return the discipline rows per consultant for the chosen period, with penalties; over more
    than one store (a director's group), one row per store instead, a store's consultants shown
    when it is opened (?store=).

    The penalty is the one the discipline report, its export and the monthly PDF show: the same
    violation count (`violation_days`) priced by the same rule (`app.followups.penalties`).
    """
    start, end = _period(today)
    scope, store = _board_stores(user)
    rows = fq.discipline(
        scope,
        start,
        end,
        today,
        now,
        rules.local_midnight_utc(start, tz),
        rules.local_midnight_utc(end + timedelta(days=1), tz),
        tz=tz,
    )
    board = fq.penalty_board(scope, start, end, today, tz)
    for row in rows:
        figure = board["consultants"].get(row["id"])
        row["violations"] = figure["violations"] if figure else 0
        row["penalty"] = figure["amount"] if figure else 0
    policy = penalties.explain_policy(board["rules"], gettext)
    if scope is None or len(scope) > 1:
        names = queries.store_names()
        return {
            "stores": store_totals(rows, board["managers"].values(), names),
            "rows": [],
            "start": start,
            "end": end,
            "store": None,
            "managers": [],
            "policy": policy,
        }
    for row in rows:
        figure = board["consultants"].get(row["id"])
        row["penalty_text"] = penalties.explain(
            figure["penalty"] if figure else penalties.Penalty(), board["rules"], gettext
        )
    managers = [
        {**m, "text": penalties.explain_manager(m["amount"], m["team_total"], board["rules"], gettext)}
        for m in board["managers"].values()
        if user.role != Role.MANAGER or m["id"] == user.id
    ]
    return {
        "stores": [],
        "rows": rows,
        "start": start,
        "end": end,
        # a director who opened one store can go back to the group's stores
        "store": store if store_scope_ids(user) != [store] else None,
        "store_name": queries.store_names().get(store) if store else None,
        "managers": managers,
        "policy": policy,
    }


@bp.get("/discipline")
@requires("team.manage")
def discipline():
    """Show the discipline board per consultant for a period (loaded into the manager's dashboard)."""
    if not is_htmx():
        return redirect(url_for("dashboard.index", **request.args))
    now = utcnow()
    tz = zone_for(current_user)
    today = today_for(current_user, now)
    return render(
        "dashboard/manager.html",
        block="board",
        board=discipline_board(current_user, today, now, tz),
        today=today,
        lead_list_url=lead_list_url,
        period=_period(today),
    )


@bp.get("/")
@requires("account.self")
def index():
    """Show the user's dashboard (admins go to the settings)."""
    if current_user.role == Role.ADMIN:
        return redirect(url_for("admin.index"))
    now = utcnow()
    today = today_for(current_user, now)
    numbers = queries.summary(current_user, today, now)
    # The same figures the reports show against the same targets (one implementation).
    progress = month_to_date_progress(current_user, today)
    ctx = {"numbers": numbers, "today": today, "progress": progress, "lead_list_url": lead_list_url}
    if current_user.role in MANAGER_ROLES:
        ctx.update(
            review_count=fq.review_count(current_user),
            review_cap=fq.REVIEW_COUNT_CAP,
            approvals=fq.approval_counts(current_user),
            period=_period(today),
        )
        return render("dashboard/manager.html", **ctx)
    if current_user.role in {Role.CLERK, Role.MARKETING}:
        # Reception and marketing work the store's screens, not a personal follow-up list.
        return render("dashboard/store_staff.html", **ctx)
    ctx.update(
        # the list holds the leads the first-contact count counted: none counted, nothing to read
        first_contacts=queries.awaiting_first_contact(current_user) if numbers.get("first_contact") else [],
        plans=queries.week_plans(current_user, today),
        comments=queries.unread_comments(current_user) if numbers.get("unread_comments") else [],
        events=queries.upcoming_events(current_user, now),
    )
    return render("dashboard/index.html", **ctx)
