"""Customers' SMS replies: an opt-out word withdraws SMS consent; any other reply is kept.

A reply that is not an opt-out is stored as an inbound row of the outbox table (channel `sms`,
status `received`, `to_address` = the customer's number), appears on the lead's timeline and is
announced to the lead's inviter (the inviter of the latest invitation) or, without one, its owner.
"""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.models import Lead
from app.leads.panels import TimelineEntry, register_timeline
from app.messaging.models import Message, MessageStatus
from app.messaging.notify import notify
from app.messaging.optout import opt_out
from app.messaging.rules import is_opt_out


def leads_for_phone(phone: str) -> list[Lead]:
    """The leads (merged duplicates left out) with this number, the one texted most recently first."""
    leads = (
        db.session.execute(
            select(Lead).where(Lead.phone == phone, Lead.merged_into_id.is_(None)).order_by(Lead.id.desc())
        )
        .scalars()
        .all()
    )
    if len(leads) < 2:
        return list(leads)
    last = db.session.execute(
        select(Message.lead_id)
        .where(
            Message.lead_id.in_([lead.id for lead in leads]),
            Message.channel == "sms",
            Message.status != MessageStatus.RECEIVED,
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).scalar()
    return sorted(leads, key=lambda lead: lead.id != last)


def _who_to_tell(lead: Lead) -> User | None:
    from app.invitations.models import Invitation

    inviter_id = db.session.execute(
        select(Invitation.inviter_id)
        .where(Invitation.lead_id == lead.id, Invitation.inviter_id.is_not(None))
        .order_by(Invitation.id.desc())
        .limit(1)
    ).scalar()
    user = db.session.get(User, inviter_id or lead.owner_id) if (inviter_id or lead.owner_id) else None
    return user if user is not None and user.active else None


def handle_reply(phone: str, text: str, *, now: datetime | None = None) -> str:
    """Act on an inbound SMS; return what was done (opted_out, already_opted_out, recorded, unknown_number)."""
    now = now or utcnow()
    leads = leads_for_phone(phone)
    if not leads:
        return "unknown_number"
    if is_opt_out(text):
        changed = [opt_out(lead, "sms", source="sms_reply", now=now) for lead in leads]
        return "opted_out" if any(changed) else "already_opted_out"
    lead = leads[0]
    recipient = _who_to_tell(lead)
    db.session.add(
        Message(
            channel="sms",
            purpose="reply",
            to_address=phone,
            body=text[:2000],
            lead_id=lead.id,
            user_id=recipient.id if recipient else None,
            status=MessageStatus.RECEIVED,
            sent_at=now,
            next_attempt_at=None,
        )
    )
    if recipient is not None:
        notify(
            recipient,
            "sms_reply",
            "leads.lead_detail",
            {"lead_id": lead.id},
            _l("%(name)s replied by SMS", name=lead.name),
            body=text[:500],
            now=now,
        )
    db.session.flush()
    return "recorded"


@register_timeline("sms_replies")
def sms_replies(lead_ids: list[int]) -> list[TimelineEntry]:
    """The customers' SMS replies (one query)."""
    rows = db.session.execute(
        select(Message.sent_at, Message.body)
        .where(Message.lead_id.in_(lead_ids), Message.status == MessageStatus.RECEIVED)
        .order_by(Message.id.desc())
        .limit(200)
    ).all()
    return [TimelineEntry(at, "sms_reply", _("SMS reply from the customer"), body) for at, body in rows]
