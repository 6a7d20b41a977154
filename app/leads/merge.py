"""Merging duplicate customers into one, keeping every history row."""

from datetime import datetime

from sqlalchemy import select, update

from app.audit.services import record
from app.core.errors import DomainError
from app.core.phones import last4
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.models import DefeatRequest, FollowUp, ManagerComment, Plan, ProposalItem
from app.followups.plans import sync_next_plan_due
from app.invitations.models import Invitation, SurveyResponse
from app.leads.models import (
    ConsentRecord,
    Lead,
    LeadOrder,
    LeadTouch,
    OwnerChange,
    StageChange,
    TransferRequest,
)
from app.leads.rules import merge_blockers, pick_merge_values, second_phone
from app.messaging.models import Message
from app.showroom.models import ShowroomVisit

# Everything recorded on a lead that follows the customer to the survivor.
MOVED = (
    FollowUp,
    ManagerComment,
    Plan,
    ShowroomVisit,
    LeadTouch,
    OwnerChange,
    StageChange,
    LeadOrder,
    DefeatRequest,
    ConsentRecord,
    TransferRequest,
    ProposalItem,
    SurveyResponse,
    Message,
)

# Fields the user picks a surviving value for ("owner" carries the store with it).
MERGE_FIELDS = [
    "name",
    "gender",
    "phone",
    "email",
    "birthday",
    "age",
    "region",
    "model_id",
    "budget_min",
    "budget_max",
    "preferences",
    "decision_role",
    "expected_purchase_date",
    "grade_id",
    "notes",
    "owner",
]


def lead_values(lead: Lead) -> dict:
    """Return the mergeable values of a lead (owner as the (owner, store) pair)."""
    values = {name: getattr(lead, name) for name in MERGE_FIELDS if name != "owner"}
    values["owner"] = (lead.owner_id, lead.store_id)
    return values


def merge_check(leads: list[Lead]) -> list[tuple[int, str]]:
    """Return why some of these leads cannot be merged (fleet customer, has orders)."""
    ids = [lead.id for lead in leads]
    with_orders = set(
        db.session.execute(select(LeadOrder.lead_id).where(LeadOrder.lead_id.in_(ids))).scalars()
    )
    return merge_blockers(
        [{"id": lead.id, "is_fleet": lead.is_fleet, "has_orders": lead.id in with_orders} for lead in leads]
    )


def merge_leads(
    leads: list[Lead], survivor_id: int, choices: dict[str, int], *, actor, now: datetime | None = None
) -> Lead:
    """Merge the leads into the survivor with the chosen values; move every history row to it."""
    if len(leads) < 2:
        raise DomainError("too_few", "choose at least two customers")
    by_id = {lead.id: lead for lead in leads}
    if survivor_id not in by_id:
        raise DomainError("bad_survivor", "the surviving customer is not among those chosen")
    blockers = merge_check(leads)
    if blockers:
        raise DomainError(
            "blocked", "fleet customers and customers with orders cannot be merged", blockers=blockers
        )
    now = now or utcnow()
    survivor = by_id[survivor_id]
    others = [lead for lead in leads if lead.id != survivor_id]
    other_ids = [lead.id for lead in others]
    try:
        values = pick_merge_values(
            {i: lead_values(lead) for i, lead in by_id.items()},
            {k: v for k, v in choices.items() if v in by_id},
            MERGE_FIELDS,
        )
    except ValueError as exc:
        raise DomainError("missing_choice", f"choose a value for {exc}") from exc
    numbers = [n for lead in (survivor, *others) for n in (lead.phone, lead.secondary_phone) if n]
    # The phone is unique: free it on the merged leads before the survivor takes it.
    for lead in others:
        lead.phone = None
        lead.phone_last4 = None
        lead.secondary_phone = None
        lead.merged_into_id = survivor.id
        lead.updated_at = now
    db.session.flush()
    owner_id, store_id = values.pop("owner")
    for name, value in values.items():
        setattr(survivor, name, value)
    survivor.phone_last4 = last4(survivor.phone)
    survivor.secondary_phone = second_phone(survivor.phone, numbers)
    if owner_id != survivor.owner_id:
        db.session.add(
            OwnerChange(
                lead_id=survivor.id,
                from_user_id=survivor.owner_id,
                to_user_id=owner_id,
                from_store_id=survivor.store_id,
                to_store_id=store_id,
                kind="merge",
                reason=f"merge of {other_ids}",
                changed_by_id=actor.id,
                created_at=now,
            )
        )
        survivor.owner_id = owner_id
    survivor.store_id = store_id
    survivor.marketing_consent = any(lead.marketing_consent for lead in leads)
    survivor.updated_at = now
    moved = {}
    for model in MOVED:
        result = db.session.execute(
            update(model)
            .where(model.lead_id.in_(other_ids))
            .values(lead_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
        moved[model.__tablename__] = result.rowcount
    # One invitation per lead and event: an event the survivor is already invited to keeps the old row.
    moved["invitations"] = 0
    for other_id in other_ids:
        taken = select(Invitation.event_id).where(Invitation.lead_id == survivor.id).scalar_subquery()
        result = db.session.execute(
            update(Invitation)
            .where(Invitation.lead_id == other_id, Invitation.event_id.not_in(taken))
            .values(lead_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
        moved["invitations"] += result.rowcount
    for model in (Plan,):
        db.session.execute(
            update(model)
            .where(model.lead_id == survivor.id, model.store_id != store_id)
            .values(store_id=store_id)
            .execution_options(synchronize_session=False)
        )
    sync_next_plan_due(survivor)
    db.session.flush()
    record(
        "lead.merge",
        actor,
        "lead",
        survivor.id,
        {"merged": other_ids, "choices": {k: v for k, v in choices.items()}, "moved": moved},
    )
    return survivor
