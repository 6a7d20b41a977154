"""DCC reads: the outbound queue and the agent's figures."""

from datetime import datetime

from sqlalchemy import and_, func, select

from app.extensions import db
from app.followups import rules
from app.followups.models import FollowUp, FollowUpResult, Plan, PlanKind
from app.leads.models import Lead

QUEUE_PAGE = 50  # the next calls to make; the list refills as outcomes are saved


def outbound_queue(agent_id: int, limit: int = QUEUE_PAGE) -> list:
    """Return leads held by the DCC agent, earliest plan first (index on dcc_agent_id, next_plan_due)."""
    return db.session.execute(
        select(Lead.id, Lead.name, Lead.phone, Lead.next_plan_due, Lead.owner_id, Lead.version)
        .where(Lead.dcc_agent_id == agent_id, Lead.merged_into_id.is_(None))
        .order_by(Lead.next_plan_due.is_(None), Lead.next_plan_due, Lead.id)
        .limit(limit)
    ).all()


def figures(agent_id: int, start_utc: datetime, end_utc: datetime) -> dict:
    """Return the agent's calls, connects, appointments and shows for a period (two grouped queries)."""
    calls = db.session.execute(
        select(func.count(), func.count().filter(FollowUp.result == FollowUpResult.REACHED)).where(
            FollowUp.user_id == agent_id, FollowUp.occurred_at >= start_utc, FollowUp.occurred_at < end_utc
        )
    ).one()
    booked = db.session.execute(
        select(func.count(Plan.id), func.count(Lead.arrived_at).filter(Lead.arrived_at >= Plan.created_at))
        .join(Lead, Lead.id == Plan.lead_id)
        .where(
            and_(
                Plan.created_by_id == agent_id,
                Plan.kind == PlanKind.FIRST_CONTACT,
                Plan.created_at >= start_utc,
                Plan.created_at < end_utc,
            )
        )
    ).one()
    return rules.dcc_figures(calls[0], calls[1], booked[0], booked[1])
