"""DCC reads: the outbound queue and the agent's figures."""

from datetime import date, datetime

from sqlalchemy import and_, func, select, union_all

from app.extensions import db
from app.followups import rules
from app.followups.models import FollowUp, FollowUpResult, Plan, PlanKind
from app.leads.models import Lead

QUEUE_PAGE = 50  # the next calls to make; the list refills as outcomes are saved


def outbound_queue(agent_id: int, limit: int = QUEUE_PAGE) -> list:
    """Return leads held by the DCC agent, earliest plan first, leads without a plan last.

    Two parts in one statement, each in the order of the (agent, next plan) index and cut at
    `limit`: the dated leads by date, then the undated ones. Sorting "no date last" in one ORDER BY
    made the database sort every lead the agent holds to return the first fifty.
    """
    columns = (Lead.id, Lead.name, Lead.phone, Lead.next_plan_due, Lead.owner_id, Lead.version)
    mine = (Lead.dcc_agent_id == agent_id, Lead.merged_into_id.is_(None))
    dated = (
        select(*columns)
        .where(*mine, Lead.next_plan_due.is_not(None))
        .order_by(Lead.next_plan_due, Lead.id)
        .limit(limit)
        .subquery("dated")
    )
    undated = (
        select(*columns)
        .where(*mine, Lead.next_plan_due.is_(None))
        .order_by(Lead.next_plan_due, Lead.id)  # NULL throughout: keeps the planner on the index
        .limit(limit)
        .subquery("undated")
    )
    rows = db.session.execute(union_all(select(dated), select(undated))).all()
    rows.sort(key=lambda r: (r.next_plan_due is None, r.next_plan_due or date.min, r.id))
    return rows[:limit]


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
