"""Asking for an existing customer to be handed over instead of entering a duplicate."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import record
from app.core.errors import DomainError
from app.core.phones import mask_phone
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.models import Lead, TransferRequest
from app.messaging.notify import notify_many, store_managers


def request_transfer(lead: Lead, *, actor, reason: str, now: datetime | None = None) -> TransferRequest:
    """Record a transfer request and tell the store's managers; refuse a repeat or one's own lead."""
    if lead.owner_id == actor.id:
        raise DomainError("own_lead", "the customer is already yours")
    pending = db.session.execute(
        select(TransferRequest.id).where(
            TransferRequest.lead_id == lead.id,
            TransferRequest.requested_by_id == actor.id,
            TransferRequest.status == "pending",
        )
    ).first()
    if pending:
        raise DomainError("already_requested", "a transfer request is already waiting")
    now = now or utcnow()
    req = TransferRequest(
        lead_id=lead.id,
        requested_by_id=actor.id,
        from_owner_id=lead.owner_id,
        store_id=lead.store_id,
        reason=reason.strip(),
        status="pending",
        created_at=now,
    )
    db.session.add(req)
    db.session.flush()
    notify_many(
        store_managers(lead.store_id),
        "approval",
        "followups.approvals",
        None,
        _l("Transfer request for customer %(phone)s", phone=mask_phone(lead.phone)),
        body=_l(
            "%(who)s asks to take over this customer: %(reason)s", who=actor.display_name, reason=req.reason
        ),
        store_id=lead.store_id,
        now=now,
    )
    record("lead.transfer_request", actor, "lead", lead.id, {"request": req.id, "from": lead.owner_id})
    return req
