"""Privacy (PIPL): anonymising a customer on request."""

from datetime import datetime

from app.audit.services import record
from app.core.timeutil import utcnow
from app.leads.models import Lead

ANONYMOUS_NAME = "已匿名"


def anonymise_lead(lead: Lead, *, actor, now: datetime | None = None) -> None:
    """Remove the customer's personal data; keep statistics and consent evidence."""
    now = now or utcnow()
    lead.name = ANONYMOUS_NAME
    for attr in (
        "phone",
        "phone_last4",
        "email",
        "birthday",
        "notes",
        "region",
        "preferences",
        "source_detail",
    ):
        setattr(lead, attr, None)
    lead.anonymised_at = now
    lead.updated_at = now
    record("lead.anonymise", actor, "lead", lead.id)
