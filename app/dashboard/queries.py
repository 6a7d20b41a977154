"""Dashboard counters: one SELECT of scalar sub-queries, each served by an index."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.accounts.models import Role, Store, User
from app.admin.reference import open_stage_ids
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
    plan_scope = _plan_scope(user)
    week_start = now - timedelta(days=7)

    def lead_count(*where):
        return select(func.count(Lead.id)).where(scope, *where).scalar_subquery()

    def plan_count(*where):
        return select(func.count(Plan.id)).where(plan_scope, Plan.status == PlanStatus.OPEN, *where).scalar_subquery()

    columns = {
        "due_today": plan_count(Plan.due_date == today),
        "overdue": plan_count(Plan.due_date < today),
        "new_this_week": lead_count(Lead.created_at >= week_start),
    }
    if user.role == Role.CONSULTANT or user.role == Role.DCC:
        columns["open_leads"] = lead_count(Lead.stage_id.in_(open_ids))
        columns["expired"] = lead_count(Lead.stage_id.in_(open_ids), Lead.expected_purchase_date < today)
    if user.role in {Role.MANAGER, Role.MARKETING}:
        columns["unassigned"] = lead_count(Lead.owner_id.is_(None), Lead.stage_id.in_(open_ids))
    row = db.session.execute(select(*[c.label(k) for k, c in columns.items()])).one()
    return dict(row._mapping)
