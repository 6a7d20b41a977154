"""Plans (跟进计划) primitives shared by every domain: open one, close one, keep the lead's
denormalised `next_plan_due` (earliest open follow-up plan) in step."""

from datetime import date, datetime

from sqlalchemy import func, select, update

from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.models import Plan, PlanKind, PlanStatus
from app.leads.models import Lead

# Plans that count as "the next plan" of a lead (birthdays and purchase-date reminders do not).
NEXT_PLAN_KINDS = (
    PlanKind.FOLLOW_UP,
    PlanKind.FIRST_CONTACT,
    PlanKind.RECONFIRM,
    PlanKind.REINVITE,
    PlanKind.POST_EVENT,
    PlanKind.DCC_CALL,
)


def open_plan(
    lead: Lead,
    due: date,
    content: str = "",
    *,
    kind: PlanKind = PlanKind.FOLLOW_UP,
    assignee_id: int | None = None,
    actor=None,
    late_reason: str | None = None,
    event_id: int | None = None,
    now: datetime | None = None,
    flush: bool = True,
) -> Plan:
    """Create an open plan for the lead and refresh its next_plan_due.

    `flush=False` leaves the plan to the caller's next flush (it gets its id then): a caller that
    changes more rows writes them in one flush, and the report aggregates are worked out once.
    """
    plan = Plan(
        lead_id=lead.id,
        assignee_id=assignee_id if assignee_id is not None else lead.owner_id,
        store_id=lead.store_id,
        kind=kind,
        due_date=due,
        content=content,
        status=PlanStatus.OPEN,
        late_reason=late_reason,
        event_id=event_id,
        created_by_id=getattr(actor, "id", None),
        created_at=now or utcnow(),
    )
    db.session.add(plan)
    if flush:
        db.session.flush()
    if kind in NEXT_PLAN_KINDS and (lead.next_plan_due is None or due < lead.next_plan_due):
        lead.next_plan_due = due
    return plan


def close_plan(plan: Plan, *, done: bool = True, now: datetime | None = None) -> None:
    plan.status = PlanStatus.DONE if done else PlanStatus.CANCELLED
    plan.done_at = now or utcnow()


def earliest_open_due(lead_id: int) -> date | None:
    return db.session.execute(
        select(func.min(Plan.due_date)).where(
            Plan.lead_id == lead_id, Plan.status == PlanStatus.OPEN, Plan.kind.in_(NEXT_PLAN_KINDS)
        )
    ).scalar()


def sync_next_plan_due(lead: Lead) -> date | None:
    """Recompute lead.next_plan_due from its open plans."""
    db.session.flush()
    lead.next_plan_due = earliest_open_due(lead.id)
    return lead.next_plan_due


def sync_next_plan_due_bulk(lead_ids: list[int]) -> None:
    """Recompute next_plan_due for many leads in one statement (no ORM version bump)."""
    if not lead_ids:
        return
    db.session.flush()
    sub = (
        select(func.min(Plan.due_date))
        .where(Plan.lead_id == Lead.id, Plan.status == PlanStatus.OPEN, Plan.kind.in_(NEXT_PLAN_KINDS))
        .scalar_subquery()
    )
    db.session.execute(
        update(Lead)
        .where(Lead.id.in_(lead_ids))
        .values(next_plan_due=sub)
        .execution_options(synchronize_session=False)
    )
