"""Reads for the admin pages and the audit log viewer."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from app.accounts.models import Role, Store, User
from app.admin.reference import open_stage_ids
from app.audit.models import AuditLog
from app.extensions import db
from app.followups.models import Plan, PlanStatus
from app.leads.models import Lead

USERS_PER_PAGE = 50
AUDIT_PER_PAGE = 50


def users_page(
    q: str = "", role: str = "", store_id: int | None = None, status: str = "active", page: int = 1
):
    """Return one page of users matching the filters, with their store loaded."""
    stmt = select(User).order_by(User.username)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    if store_id:
        stmt = stmt.where(User.store_id == store_id)
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    return db.paginate(stmt, page=page, per_page=USERS_PER_PAGE, error_out=False)


def store_choices(include_blank: bool = True, only_active: bool = True) -> list[tuple[int, str]]:
    """Return (id, "code name") pairs for store pickers."""
    stmt = select(Store.id, Store.code, Store.name).order_by(Store.code)
    if only_active:
        stmt = stmt.where(Store.active.is_(True))
    choices = [(sid, f"{code} {name}") for sid, code, name in db.session.execute(stmt)]
    return ([(0, "—")] if include_blank else []) + choices


def successor_choices(user: User) -> list[tuple[int, str]]:
    """Active users who can take over: same store first, then the rest, never the user."""
    rows = db.session.execute(
        select(User.id, User.username, User.display_name, User.store_id)
        .where(User.active.is_(True), User.id != user.id, User.role != Role.ADMIN)
        .order_by((User.store_id == user.store_id).desc(), User.username)
    ).all()
    return [(uid, f"{display} ({username})") for uid, username, display, _ in rows]


def open_work(user: User) -> dict:
    """Count the open leads and open plans a user holds (one query)."""
    leads = (
        select(func.count(Lead.id))
        .where(Lead.owner_id == user.id, Lead.stage_id.in_(open_stage_ids()))
        .scalar_subquery()
    )
    plans = (
        select(func.count(Plan.id))
        .where(Plan.assignee_id == user.id, Plan.status == PlanStatus.OPEN)
        .scalar_subquery()
    )
    row = db.session.execute(select(leads.label("leads"), plans.label("plans"))).one()
    return {"leads": row.leads, "plans": row.plans}


def stores_with_counts() -> list:
    """Every store with its number of active users (one grouped query)."""
    users = (
        select(User.store_id, func.count(User.id).label("n"))
        .where(User.active.is_(True))
        .group_by(User.store_id)
        .subquery()
    )
    return db.session.execute(
        select(Store, func.coalesce(users.c.n, 0))
        .outerjoin(users, users.c.store_id == Store.id)
        .order_by(Store.code)
    ).all()


def audit_page(
    action: str = "",
    username: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    before_id: int | None = None,
) -> tuple[list[AuditLog], int | None]:
    """Return up to AUDIT_PER_PAGE audit rows, newest first, and the id to continue from."""
    stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(AUDIT_PER_PAGE + 1)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action.strip(), autoescape=True))
    if username:
        stmt = stmt.where(AuditLog.username == username.strip())
    if date_from:
        stmt = stmt.where(AuditLog.created_at >= _utc_midnight(date_from))
    if date_to:
        stmt = stmt.where(AuditLog.created_at < _utc_midnight(date_to + timedelta(days=1)))
    if before_id:
        stmt = stmt.where(AuditLog.id < before_id)
    rows = list(db.session.execute(stmt).scalars())
    next_id = rows[AUDIT_PER_PAGE - 1].id if len(rows) > AUDIT_PER_PAGE else None
    return rows[:AUDIT_PER_PAGE], next_id


# Suggestions for the action filter (a prefix such as "user." matches every user change).
AUDIT_ACTIONS = (
    "auth.",
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "user.",
    "user.create",
    "user.update",
    "user.deactivate",
    "user.reactivate",
    "user.password_reset",
    "user.password_change",
    "user.sessions_revoked",
    "store.",
    "reference.",
    "settings.update",
    "lead.",
    "export.",
    "outbox.retry",
)


def _utc_midnight(day: date) -> datetime:
    from app.core.timeutil import local_to_utc

    return local_to_utc(datetime.combine(day, time.min))
