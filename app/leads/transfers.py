"""Asking for an existing customer to be handed over instead of entering a duplicate."""

from datetime import datetime

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Role, User
from app.audit.services import record
from app.core.errors import DomainError
from app.core.phones import mask_phone
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.models import Lead, TransferRequest
from app.messaging.notify import notify


def request_transfer(lead: Lead, *, actor, reason: str, now: datetime | None = None) -> TransferRequest:
    """Record a transfer request and tell the store's managers; refuse a repeat or one's own lead."""
    if lead.owner_id == actor.id:
        raise DomainError("own_lead", "the customer is already yours")
    pending = db.session.execute(
        select(TransferRequest.id).where(TransferRequest.lead_id == lead.id,
                                         TransferRequest.requested_by_id == actor.id,
                                         TransferRequest.status == "pending")
    ).first()
    if pending:
        raise DomainError("already_requested", "a transfer request is already waiting")
    now = now or utcnow()
    req = TransferRequest(lead_id=lead.id, requested_by_id=actor.id, from_owner_id=lead.owner_id,
                          store_id=lead.store_id, reason=reason.strip(), status="pending", created_at=now)
    db.session.add(req)
    db.session.flush()
    managers = db.session.execute(
        select(User).where(User.role == Role.MANAGER, User.store_id == lead.store_id, User.active)
    ).scalars().all()
    link = url_for("leads.lead_detail", lead_id=lead.id)
    for manager in managers:
        with force_locale(manager.locale or "zh_CN"):
            notify(manager, "transfer_request", _("Transfer request for customer %(phone)s",
                                                  phone=mask_phone(lead.phone)),
                   _("%(who)s asks to take over this customer: %(reason)s", who=actor.display_name,
                     reason=req.reason), link)
    record("lead.transfer_request", actor, "lead", lead.id, {"request": req.id, "from": lead.owner_id})
    return req
