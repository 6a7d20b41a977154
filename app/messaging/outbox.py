"""Queue SMS and email in the outbox; deliver with retries. Nothing is lost while a provider is down.

A message committed to the outbox is queued for delivery on the task queue right after the commit
(`deliver_after_commit`), so it leaves within seconds; the periodic `outbox` job sweeps up retries
that came due. Each delivery first claims its row (queued → sending) in a committed conditional
UPDATE, so two workers never send the same message. After MAX_ATTEMPTS failures it is dead and
waits for an administrator (/admin/outbox).

Customer SMS are sent only inside the store's sending window (app.messaging.rules.next_send_time):
a message queued outside it gets `next_attempt_at` at the window's next opening, and delivery
never sends an SMS to a customer outside the window (retries included).

Every SMS carries exactly one 【signature】: the store's, else the brand's (app.messaging.branding).

Service messages (purpose "service": an event the customer accepted is cancelled or moved) need
no marketing consent but are never sent on a channel the customer opted out of.

Marketing messages are never queued for customers without consent or who opted out (the row is
stored as `suppressed` with the reason, so the UI can say why).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from app.core.timeutil import utcnow
from app.extensions import db
from app.messaging.backends import DeliveryError, Outgoing, send
from app.messaging.branding import sms_signature_for
from app.messaging.models import Message, MessageStatus
from app.messaging.rules import sign_sms
from app.messaging.window import customer_send_time

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = timedelta(minutes=10)  # a message "sending" for longer lost its worker
OPT_OUT_TEXT = "回复TD退订"


@dataclass(frozen=True)
class Reachability:
    """What decides whether a message may go to a customer: consent, opt-outs and the addresses."""

    marketing_consent: bool
    sms_opt_out_at: datetime | None
    email_opt_out_at: datetime | None
    phone: str | None
    email: str | None

    @classmethod
    def of(cls, lead) -> "Reachability | None":
        """The lead's reachability (None for no lead)."""
        if lead is None:
            return None
        return cls(lead.marketing_consent, lead.sms_opt_out_at, lead.email_opt_out_at, lead.phone, lead.email)


def marketing_block_reason(reach: Reachability | None, channel: str) -> str | None:
    """Return why a marketing message may not go to this customer, or None when it may."""
    if reach is None:
        return None
    if not reach.marketing_consent:
        return "no_consent"
    return service_block_reason(reach, channel)


def service_block_reason(reach: Reachability | None, channel: str) -> str | None:
    """Why a service message (an event cancelled or moved) may not go to this customer, or None.

    Service messages need no marketing consent, but a customer who opted out of a channel gets
    nothing on it any more.
    """
    if reach is None:
        return None
    if channel == "sms" and reach.sms_opt_out_at:
        return "opted_out"
    if channel == "email" and reach.email_opt_out_at:
        return "opted_out"
    if channel == "sms" and not reach.phone:
        return "no_phone"
    if channel == "email" and not reach.email:
        return "no_email"
    return None


def with_opt_out(body: str) -> str:
    """Marketing SMS: opt-out text last (the signature is put in front by `queue`)."""
    return body if body.rstrip().endswith(OPT_OUT_TEXT) else f"{body} {OPT_OUT_TEXT}"


def queue(
    channel: str,
    to: str,
    body: str,
    subject: str | None = None,
    *,
    purpose: str = "transactional",
    lead=None,
    user_id: int | None = None,
    invitation_id: int | None = None,
    html: str | None = None,
    attachment_path: str | None = None,
    attachment_file_id: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    sender_name: str | None = None,
) -> Message:
    """Add a message to the outbox (suppressed when marketing is not allowed); return it."""
    if idempotency_key:
        existing = db.session.execute(
            select(Message).where(Message.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    status, error = MessageStatus.QUEUED, None
    if purpose == "service":
        reason = service_block_reason(Reachability.of(lead), channel)
        if reason:
            status, error = MessageStatus.SUPPRESSED, reason
    if purpose == "marketing":
        reason = marketing_block_reason(Reachability.of(lead), channel)
        if reason:
            status, error = MessageStatus.SUPPRESSED, reason
        elif channel == "sms":
            body = with_opt_out(body)
    not_before = now or utcnow()
    if channel == "sms":
        body = sign_sms(body, sms_signature_for(getattr(lead, "store_id", None)))
    if channel == "sms" and lead is not None:
        not_before = customer_send_time(not_before, lead.store_id)
    message = Message(
        channel=channel,
        purpose=purpose,
        to_address=to or "",
        subject=subject,
        body=body,
        html_body=html,
        attachment_path=attachment_path,
        attachment_file_id=attachment_file_id,
        lead_id=getattr(lead, "id", None),
        user_id=user_id,
        invitation_id=invitation_id,
        status=status,
        last_error=error,
        next_attempt_at=not_before,
        idempotency_key=idempotency_key,
        sender_name=(sender_name or "")[:100] or None,
    )
    db.session.add(message)
    db.session.flush()
    return message


def queue_email(to: str, subject: str, body: str, **kw) -> Message:
    return queue("email", to, body, subject, **kw)


def queue_sms(to: str, body: str, **kw) -> Message:
    return queue("sms", to, body, None, **kw)


def _outgoing(message: Message) -> Outgoing:
    attachment = None
    if message.attachment_file_id:
        from app.files.models import StoredFile

        stored = db.session.get(StoredFile, message.attachment_file_id)
        if stored is not None:
            attachment = (stored.filename, stored.content)
    return Outgoing(
        id=message.id,
        channel=message.channel,
        to=message.to_address,
        subject=message.subject,
        body=message.body,
        html=message.html_body,
        attachment_path=message.attachment_path,
        attachment=attachment,
        idempotency_key=message.idempotency_key or f"leadloop-{message.id}",
        sender_name=message.sender_name,
    )


def retry_delay(attempts: int) -> timedelta:
    """Back off exponentially: 2, 4, 8 … minutes after the 1st, 2nd, 3rd … failed attempt."""
    return timedelta(minutes=2**attempts)


def claim(message_id: int, worker: str, now: datetime) -> bool:
    """Take a due queued message for this worker, atomically; False when another worker has it."""
    result = db.session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.status == MessageStatus.QUEUED,
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        )
        .values(
            status=MessageStatus.SENDING,
            claimed_by=worker[:64],
            claimed_at=now,
            attempts=Message.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # the claim is visible to every other worker before the provider is called
    return result.rowcount == 1


def deliver_one(
    message_id: int, worker: str = "sweep", now: datetime | None = None
) -> tuple[str, datetime | None]:
    """Claim and send one message; return the outcome and, after a failure, when to try again.

    Outcomes: sent, retry (queued again with a later next_attempt_at), dead (MAX_ATTEMPTS reached),
    skipped (not queued, not due, or claimed by another worker).
    """
    now = now or utcnow()
    if not claim(message_id, worker, now):
        return "skipped", None
    message = db.session.get(Message, message_id)
    opening = _window_opening(message, now)
    if opening > now:  # a customer SMS found due outside the store's sending window waits for it
        message.status, message.claimed_by = MessageStatus.QUEUED, None
        message.attempts -= 1
        message.next_attempt_at = opening
        db.session.commit()
        return "deferred", opening
    try:
        message.provider_message_id = send(_outgoing(message))
    except Exception as exc:
        if not isinstance(exc, DeliveryError):
            log.exception("message %s: unexpected error while sending", message_id)
        db.session.rollback()
        message = db.session.get(Message, message_id)
        message.last_error = str(exc)[:500] or exc.__class__.__name__
        message.claimed_by = None
        if message.attempts >= MAX_ATTEMPTS:
            message.status = MessageStatus.DEAD
            db.session.commit()
            return "dead", None
        message.status = MessageStatus.QUEUED
        message.next_attempt_at = _window_opening(message, now + retry_delay(message.attempts))
        retry_at = message.next_attempt_at
        db.session.commit()
        return "retry", retry_at
    message.status = MessageStatus.SENT
    message.sent_at = now
    message.last_error = None
    db.session.commit()
    return "sent", None


def release_stale_claims(now: datetime) -> int:
    """Queue again messages whose worker stopped while sending (the provider gets the same idempotency key)."""
    result = db.session.execute(
        update(Message)
        .where(Message.status == MessageStatus.SENDING, Message.claimed_at < now - CLAIM_TIMEOUT)
        .values(status=MessageStatus.QUEUED, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def deliver_due(now: datetime, limit: int = 500, worker: str = "sweep") -> dict:
    """Send queued messages whose time has come, each claimed on its own; back off on failure."""
    release_stale_claims(now)
    ids = (
        db.session.execute(
            select(Message.id)
            .where(
                Message.status == MessageStatus.QUEUED,
                or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
            )
            .order_by(Message.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    counts = {"sent": 0, "failed": 0}
    for message_id in ids:
        outcome, _retry_at = deliver_one(message_id, worker, now)
        if outcome == "sent":
            counts["sent"] += 1
        elif outcome in ("retry", "dead"):
            counts["failed"] += 1
        elif outcome == "deferred":
            counts["deferred"] = counts.get("deferred", 0) + 1
    return counts


def retry_dead(message: Message, user, now: datetime | None = None) -> None:
    """Queue a failed or dead message again with a fresh set of attempts (an administrator's action)."""
    from app.audit.services import record

    before = {"status": str(message.status), "attempts": message.attempts, "last_error": message.last_error}
    message.status = MessageStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = now or utcnow()
    message.claimed_by = None
    record("outbox.retry", user, "message", message.id, {"before": before})
    db.session.flush()
    deliver_when_committed(db.session(), message.id)


# --- delivery right after commit ---------------------------------------------------------------

_PENDING = "outbox_pending_ids"


def _collect(session, _flush_context) -> None:
    for obj in session.new:
        if isinstance(obj, Message) and obj.status == MessageStatus.QUEUED and obj.id is not None:
            deliver_when_committed(session, obj.id)


def deliver_when_committed(session, message_id: int) -> None:
    """Queue delivery of this message once the session's transaction commits."""
    session.info.setdefault(_PENDING, set()).add(message_id)


def _after_commit(session) -> None:
    ids = session.info.pop(_PENDING, None)
    if not ids or not has_app_context() or not current_app.config.get("OUTBOX_DELIVER_ON_COMMIT", True):
        return
    from app.tasks import enqueue_delivery

    enqueue_delivery(sorted(ids))


def _after_rollback(session) -> None:
    session.info.pop(_PENDING, None)


def deliver_after_commit(_scoped_session=None) -> None:
    """Queue each outbox message for delivery as soon as the transaction that added it commits."""
    for name, func in (
        ("after_flush", _collect),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, func):
            event.listen(Session, name, func)


def _window_opening(message: Message, when: datetime) -> datetime:
    """`when`, moved to the store's next sending window for an SMS to a customer."""
    if message.channel != "sms" or message.lead_id is None:
        return when
    from app.leads.models import Lead

    store_id = db.session.execute(select(Lead.store_id).where(Lead.id == message.lead_id)).scalar()
    return customer_send_time(when, store_id)
