"""DCC operations: a new customer from a call, a call noted on someone else's customer, outbound
call outcomes and the appointment hand-off to a consultant."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Role, User
from app.admin.defaults import get_setting
from app.admin.reference import by_id, grades
from app.core.errors import DomainError
from app.core.timeutil import today_for, utcnow
from app.extensions import db
from app.followups import rules
from app.followups.models import FollowUp, FollowUpResult, Plan, PlanKind, PlanStatus
from app.followups.plans import close_plan, open_plan, sync_next_plan_due
from app.followups.services import FollowUpInput, cadence_table, log_followup, store_timezone
from app.followups.texts import gettext as _
from app.leads.models import Lead
from app.leads.services import LeadInput, change_owner, create_lead, record_touch
from app.messaging.notify import notify

INBOUND_CHANNELS = ("hotline_400", "showroom_call")
# outcome code -> follow-up result
OUTCOMES = {
    "connected": FollowUpResult.REACHED,
    "no_answer": FollowUpResult.NOT_REACHED,
    "busy": FollowUpResult.BUSY,
    "powered_off": FollowUpResult.POWERED_OFF,
    "refused": FollowUpResult.REFUSED,
    "wrong_number": FollowUpResult.WRONG_NUMBER,
}


def create_inbound_lead(data: LeadInput, agent: User, now: datetime | None = None) -> Lead:
    """Create the caller as a new customer held by this DCC agent, with a call-back plan."""
    now = now or utcnow()
    lead = create_lead(data, store_id=agent.store_id, actor=agent, now=now)
    lead.dcc_agent_id = agent.id
    grade = by_id(grades()).get(lead.grade_id)
    due = rules.default_plan_date(grade.code if grade else "C", cadence_table(), today_for(lead, now))
    open_plan(lead, due, _("Call back"), kind=PlanKind.DCC_CALL, assignee_id=agent.id, actor=agent, now=now)
    db.session.flush()
    return lead


def note_call_for_owner(
    lead: Lead, channel_id: int, note: str, agent: User, now: datetime | None = None
) -> None:
    """Record that a known customer called in and tell the consultant who owns them."""
    record_touch(
        lead,
        source_channel_id=channel_id,
        source_detail=(note or "")[:255] or None,
        store_id=agent.store_id,
        actor=agent,
        now=now,
    )
    owner = db.session.get(User, lead.owner_id) if lead.owner_id else None
    if owner is not None:
        notify(
            owner,
            "inbound_call",
            "leads.lead_detail",
            {"lead_id": lead.id},
            _l("Your customer %(name)s called the hotline", name=lead.name),
            body=note or "",
        )


def log_call_outcome(
    lead: Lead, outcome: str, note: str, agent: User, now: datetime | None = None
) -> FollowUp:
    """Log an outbound call: connected calls follow the grade cadence, others are retried tomorrow."""
    if outcome not in OUTCOMES:
        raise DomainError("bad_outcome", "choose the outcome", field="outcome")
    now = now or utcnow()
    today = today_for(lead, now)
    grade = by_id(grades()).get(lead.grade_id)
    result = OUTCOMES[outcome]
    if result == FollowUpResult.REACHED:
        due = rules.default_plan_date(grade.code if grade else "C", cadence_table(), today)
    else:
        due = rules.default_plan_date("H", {"H": 1}, today)
    content = (note or "").strip() or (_("Call connected") if result == FollowUpResult.REACHED else "")
    followup = log_followup(
        lead,
        FollowUpInput(
            method="phone", result=result.value, content=content, next_due=due, next_content=_("Call again")
        ),
        agent,
        now,
    )
    for plan in db.session.execute(
        select(Plan).where(
            Plan.lead_id == lead.id,
            Plan.status == PlanStatus.OPEN,
            Plan.kind == PlanKind.FOLLOW_UP,
            Plan.created_at == now,
        )
    ).scalars():
        plan.kind = PlanKind.DCC_CALL  # the agent's own retry stays in the DCC queue
    return followup


def book_appointment(
    lead: Lead, consultant: User, day: date, note: str, agent: User, now: datetime | None = None
) -> None:
    """Hand the customer to a consultant for an appointment, with a response deadline and a notice."""
    if (
        consultant is None
        or consultant.role != Role.CONSULTANT
        or not consultant.active
        or consultant.store_id != lead.store_id
    ):
        raise DomainError("bad_consultant", "choose a consultant of the store", field="consultant")
    now = now or utcnow()
    today = today_for(lead, now)
    if day < today:
        raise DomainError("plan_in_past", "the appointment is in the past", field="day")
    text = _("Appointment booked for %(day)s", day=day.isoformat()) + (
        f": {note.strip()}" if note.strip() else ""
    )
    log_followup(
        lead,
        FollowUpInput(method="phone", result="reached", content=text, next_due=day, next_content=text[:500]),
        agent,
        now,
    )
    for plan in db.session.execute(
        select(Plan).where(
            Plan.lead_id == lead.id, Plan.status == PlanStatus.OPEN, Plan.kind == PlanKind.DCC_CALL
        )
    ).scalars():
        close_plan(plan, now=now)
    change_owner(lead, consultant, actor=agent, kind="dcc", reason=text[:500], now=now)
    for plan in db.session.execute(
        select(Plan).where(Plan.lead_id == lead.id, Plan.status == PlanStatus.OPEN)
    ).scalars():
        plan.assignee_id = consultant.id
    deadline = rules.first_contact_deadline(now, int(get_setting("first_contact_hours") or 24))
    lead.first_contact_due_at = deadline
    open_plan(
        lead,
        rules.local_date(deadline, store_timezone(lead.store_id)),
        _("Confirm the DCC appointment"),
        kind=PlanKind.FIRST_CONTACT,
        assignee_id=consultant.id,
        actor=agent,
        now=now,
    )
    sync_next_plan_due(lead)
    notify(
        consultant,
        "appointment",
        "leads.lead_detail",
        {"lead_id": lead.id},
        _l("Appointment booked: %(name)s on %(day)s", name=lead.name, day=day.isoformat()),
        body=text,
    )
