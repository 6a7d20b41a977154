"""Withdrawal of marketing consent: an SMS reply "TD", the RSVP page's unsubscribe link, staff."""

from datetime import datetime

from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.models import ConsentRecord, Lead


def opt_out(
    lead: Lead, channel: str, *, source: str, operator_id: int | None = None, now: datetime | None = None
) -> bool:
    """Record the customer's refusal on `channel` (sms | email); return False when already opted out."""
    now = now or utcnow()
    column = "sms_opt_out_at" if channel == "sms" else "email_opt_out_at"
    if getattr(lead, column) is not None:
        return False
    setattr(lead, column, now)
    db.session.add(
        ConsentRecord(
            lead_id=lead.id,
            channel=channel,
            granted=False,
            source=source,
            operator_id=operator_id,
            created_at=now,
        )
    )
    db.session.flush()
    return True
