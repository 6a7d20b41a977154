"""Dashboard counters: one SELECT of scalar sub-queries, each served by an index."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.accounts.models import Role, Store, User
from app.admin.reference import open_stage_ids, stages
from app.extensions import db
from app.followups.models import Plan, PlanStatus
from app.leads.models import Lead
from app.web.permissions import lead_scope_clause


def _plan_scope(user: User):
    if user.role in {Role.DIRECTOR, Role.ADMIN}:
        # Every store, spelled out, so the count runs on the (store, status, due date) index
        # instead of scanning all plans.
        return Plan.store_id.in_(db.session.execute(select(Store.id)).scalars().all())
    if user.role in {Role.MANAGER, Role.MARKETING, Role.CLERK}:
        return Plan.store_id == user.store_id
    return Plan.assignee_id == user.id


def summary(user: User, today: date, now: datetime) -> dict:
    """Return the headline numbers for the user's first dashboard."""
    scope = lead_scope_clause(user)
    open_ids = open_stage_ids()
    closed_ids = [s.id for s in stages() if s.id not in set(open_ids)]
    plan_scope = _plan_scope(user)
    week_start = now - timedelta(days=7)

    # count(*), not count(id): PostgreSQL can then answer from the index alone.
    def lead_count(*where):
        return select(func.count()).select_from(Lead).where(scope, *where).scalar_subquery()

    def plan_count(*where):
        return (select(func.count()).select_from(Plan)
                .where(plan_scope, Plan.status == PlanStatus.OPEN, *where).scalar_subquery())

    is_open = Lead.stage_id.in_(open_ids)
    columns = {
        "due_today": plan_count(Plan.due_date == today),
        "overdue": plan_count(Plan.due_date < today),
    }
    if user.role == Role.DCC:
        # The agent's index holds no stage or dates: read their leads once for all three numbers.
        own = (select(func.count().filter(Lead.created_at >= week_start).label("new_this_week"),
                      func.count().filter(is_open).label("open_leads"),
                      func.count().filter(is_open, Lead.expected_purchase_date < today).label("expired"))
               .where(scope).subquery())
        columns.update({name: select(own.c[name]).scalar_subquery()
                        for name in ("new_this_week", "open_leads", "expired")})
    else:
        columns["new_this_week"] = lead_count(Lead.created_at >= week_start)
    if user.role == Role.CONSULTANT:
        columns["open_leads"] = lead_count(is_open)
        columns["expired"] = lead_count(is_open, Lead.expected_purchase_date < today)
    if user.role in {Role.MANAGER, Role.MARKETING}:
        # "Not closed" rather than "in an open stage": the (store, owner) index then does the work
        # for the few pooled leads instead of the planner walking every pooled lead of the group.
        columns["unassigned"] = lead_count(Lead.owner_id.is_(None), Lead.stage_id.not_in(closed_ids))
    row = db.session.execute(select(*[c.label(k) for k, c in columns.items()])).one()
    return dict(row._mapping)
