"""Queue SMS and email in the outbox; deliver with retries. Nothing is lost while a provider is down.

Customer SMS are sent only inside the store's sending window (app.messaging.rules.next_send_time):
a message queued outside it gets `next_attempt_at` at the window's next opening, and delivery
never sends an SMS to a customer outside the window (retries included).

Every SMS carries exactly one 【signature】: the store's, else the brand's (app.messaging.branding).

Service messages (purpose "service": an event the customer accepted is cancelled or moved) need
no marketing consent but are never sent on a channel the customer opted out of.

Marketing messages are never queued for customers without consent or who opted out (the row is
stored as `suppressed` with the reason, so the UI can say why).
"""

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from app.core.timeutil import utcnow
from app.extensions import db
from app.messaging.backends import DeliveryError, Outgoing, send
from app.messaging.branding import sms_signature_for
from app.messaging.models import Message, MessageStatus
from app.messaging.rules import sign_sms
from app.messaging.window import customer_send_time

MAX_ATTEMPTS = 8
OPT_OUT_TEXT = "回复TD退订"


def marketing_block_reason(lead, channel: str) -> str | None:
    """Return why a marketing message may not go to this lead, or None when it may."""
    if lead is None:
        return None
    if not lead.marketing_consent:
        return "no_consent"
    if channel == "sms" and lead.sms_opt_out_at:
        return "opted_out"
    if channel == "email" and lead.email_opt_out_at:
        return "opted_out"
    if channel == "sms" and not lead.phone:
        return "no_phone"
    if channel == "email" and not lead.email:
        return "no_email"
    return None


def service_block_reason(lead, channel: str) -> str | None:
    """Why a service message (an event cancelled or moved) may not go to this lead, or None.

    Service messages need no marketing consent, but a customer who opted out of a channel gets
    nothing on it any more.
    """
    if lead is None:
        return None
    if channel == "sms" and lead.sms_opt_out_at:
        return "opted_out"
    if channel == "email" and lead.email_opt_out_at:
        return "opted_out"
    if channel == "sms" and not lead.phone:
        return "no_phone"
    if channel == "email" and not lead.email:
        return "no_email"
    return None


def with_opt_out(body: str) -> str:
    """Marketing SMS: opt-out text last (the signature is put in front by `queue`)."""
    return body if body.rstrip().endswith(OPT_OUT_TEXT) else f"{body} {OPT_OUT_TEXT}"


def queue(channel: str, to: str, body: str, subject: str | None = None, *, purpose: str = "transactional",
          lead=None, user_id: int | None = None, invitation_id: int | None = None, html: str | None = None,
          attachment_path: str | None = None, idempotency_key: str | None = None,
          now: datetime | None = None, sender_name: str | None = None) -> Message:
    """Add a message to the outbox (suppressed when marketing is not allowed); return it."""
    if idempotency_key:
        existing = db.session.execute(
            select(Message).where(Message.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    status, error = MessageStatus.QUEUED, None
    if purpose == "service":
        reason = service_block_reason(lead, channel)
        if reason:
            status, error = MessageStatus.SUPPRESSED, reason
    if purpose == "marketing":
        reason = marketing_block_reason(lead, channel)
        if reason:
            status, error = MessageStatus.SUPPRESSED, reason
        elif channel == "sms":
            body = with_opt_out(body)
    not_before = now or utcnow()
    if channel == "sms":
        body = sign_sms(body, sms_signature_for(getattr(lead, "store_id", None)))
    if channel == "sms" and lead is not None:
        not_before = customer_send_time(not_before, lead.store_id)
    message = Message(channel=channel, purpose=purpose, to_address=to or "", subject=subject, body=body,
                      html_body=html, attachment_path=attachment_path, lead_id=getattr(lead, "id", None),
                      user_id=user_id, invitation_id=invitation_id, status=status, last_error=error,
                      next_attempt_at=not_before, idempotency_key=idempotency_key,
                      sender_name=(sender_name or "")[:100] or None)
    db.session.add(message)
    db.session.flush()
    return message


def queue_email(to: str, subject: str, body: str, **kw) -> Message:
    return queue("email", to, body, subject, **kw)


def queue_sms(to: str, body: str, **kw) -> Message:
    return queue("sms", to, body, None, **kw)


def deliver_due(now: datetime, limit: int = 500) -> dict:
    """Send queued messages whose time has come; back off exponentially on failure."""
    rows = db.session.execute(
        select(Message).where(
            Message.status == MessageStatus.QUEUED,
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        ).order_by(Message.id).limit(limit).with_for_update(skip_locked=True)
    ).scalars().all()
    sent = failed = deferred = 0
    stores = _lead_stores(rows)
    for message in rows:
        opening = _window_opening(message, now, stores)
        if opening > now:
            message.next_attempt_at = opening
            deferred += 1
            continue
        message.attempts += 1
        try:
            message.provider_message_id = send(Outgoing(
                id=message.id, channel=message.channel, to=message.to_address, subject=message.subject,
                body=message.body, html=message.html_body, attachment_path=message.attachment_path,
                idempotency_key=message.idempotency_key or f"leadloop-{message.id}",
                sender_name=message.sender_name,
            ))
            message.status = MessageStatus.SENT
            message.sent_at = now
            message.last_error = None
            sent += 1
        except DeliveryError as exc:
            message.last_error = str(exc)[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
            else:
                message.next_attempt_at = _window_opening(
                    message, now + timedelta(minutes=2 ** message.attempts), stores)
            failed += 1
        db.session.flush()
    result = {"sent": sent, "failed": failed}
    if deferred:
        result["deferred"] = deferred
    return result


def _lead_stores(rows) -> dict[int, int | None]:
    """The store of each customer an SMS in `rows` goes to (one query)."""
    from app.leads.models import Lead

    ids = {m.lead_id for m in rows if m.channel == "sms" and m.lead_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Lead.id, Lead.store_id).where(Lead.id.in_(ids))).all())


def _window_opening(message: Message, when: datetime, stores: dict[int, int | None]) -> datetime:
    """`when`, moved to the store's next sending window for an SMS to a customer."""
    if message.channel != "sms" or message.lead_id is None:
        return when
    return customer_send_time(when, stores.get(message.lead_id))
