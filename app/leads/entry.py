"""Entering a lead by hand, and giving a lead an owner (with its first-contact plan)."""

from datetime import datetime, timedelta

from app.accounts.models import Role
from app.admin.defaults import get_setting
from app.admin.reference import channel_by_code
from app.core.errors import DomainError
from app.core.phones import InvalidPhone, normalize_phone
from app.core.timeutil import local_today, utcnow, zone_for
from app.followups.models import PlanKind
from app.followups.plans import open_plan
from app.leads.models import Lead
from app.leads.services import LeadInput, change_owner, create_lead, find_by_phone, record_touch


def start_first_contact(
    lead: Lead, *, actor=None, now: datetime | None = None, tz: str | None = None
) -> None:
    """Open the first-contact plan (due today) and set the first-contact deadline of a newly owned lead."""
    now = now or utcnow()
    open_plan(
        lead,
        local_today(now, tz or zone_for(lead)),
        kind=PlanKind.FIRST_CONTACT,
        assignee_id=lead.owner_id,
        actor=actor,
        now=now,
    )
    lead.first_contact_due_at = now + timedelta(hours=int(get_setting("first_contact_hours") or 24))


def enter_lead(
    data: LeadInput, *, actor, store_id: int, owner_id: int | None = None, now: datetime | None = None
) -> tuple[Lead, bool]:
    """Create the lead, or record a repeat purchase on the existing customer; return (lead, created).

    Raises DomainError('duplicate', lead_id=...) when the phone is known and the channel is not 续购.
    """
    now = now or utcnow()
    if data.source_channel_id == channel_by_code("repeat").id:
        try:
            existing = find_by_phone(normalize_phone(data.phone))
        except InvalidPhone as exc:
            raise DomainError("invalid_phone", "invalid phone number") from exc
        if existing is not None:
            record_touch(
                existing,
                source_channel_id=data.source_channel_id,
                source_detail=data.source_detail,
                store_id=store_id,
                actor=actor,
                now=now,
            )
            return existing, False
    lead = create_lead(data, store_id=store_id, actor=actor, owner_id=owner_id, now=now)
    if getattr(actor, "role", None) == Role.DCC:
        lead.dcc_agent_id = actor.id
    if owner_id:
        start_first_contact(lead, actor=actor, now=now)
    return lead, True


def assign_lead(
    lead: Lead, consultant, *, actor, kind: str = "assign", reason: str = "", now: datetime | None = None
) -> bool:
    """Give the lead to a consultant and start the first-contact clock; return False if already theirs."""
    now = now or utcnow()
    change = change_owner(lead, consultant, actor=actor, kind=kind, reason=reason, now=now)
    if change is None:
        return False
    if consultant is not None:
        start_first_contact(lead, actor=actor, now=now)
    return True
