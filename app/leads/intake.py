"""Leads from outside (API, public booking form): create the customer or record the new touch."""

from dataclasses import dataclass

from app.admin.reference import grade_by_code, vehicle_models
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.intake_rules import CleanLead
from app.leads.models import ConsentRecord, Lead
from app.leads.services import LeadInput, create_lead, record_touch

CONSENT_TEXT_VERSION = "v1"


@dataclass
class IntakeResult:
    lead: Lead
    created: bool


def model_choices() -> list[tuple[int, str, str]]:
    """Return (id, series, name) of the active vehicle models, for matching names."""
    return [(m.id, m.series, m.name) for m in vehicle_models() if m.active]


def intake_lead(clean: CleanLead, *, channel_id: int, store_id: int, consent_source: str,
                api_key_id: int | None = None, consent_text_version: str = CONSENT_TEXT_VERSION,
                payload: dict | None = None, actor=None) -> IntakeResult:
    """Create the lead, or record a touch on the customer who already has this phone."""
    now = utcnow()
    data = LeadInput(name=clean.name, phone=clean.phone, gender=clean.gender, source_channel_id=channel_id,
                     model_id=clean.model_id, grade_id=grade_by_code(clean.grade_code).id,
                     expected_purchase_date=clean.expected_purchase_date, email=clean.email,
                     region=clean.region, source_detail=clean.source_detail, notes=clean.notes,
                     marketing_consent=clean.marketing_consent, consent_source=consent_source)
    try:
        lead = create_lead(data, store_id=store_id, actor=actor, api_key_id=api_key_id,
                           consent_source=consent_source, now=now)
    except DomainError as exc:
        if exc.code != "duplicate":
            raise
        lead = db.session.get(Lead, exc.details["lead_id"])
        record_touch(lead, source_channel_id=channel_id, source_detail=clean.source_detail, store_id=store_id,
                     actor=actor, api_key_id=api_key_id, payload=payload, now=now)
        if clean.marketing_consent and not lead.marketing_consent and lead.anonymised_at is None:
            lead.marketing_consent, lead.consent_source, lead.consent_at = True, consent_source, now
            db.session.add(ConsentRecord(lead_id=lead.id, channel="all", granted=True, source=consent_source,
                                         text_version=consent_text_version, created_at=now))
        return IntakeResult(lead, created=False)
    if clean.marketing_consent:
        for obj in db.session.new:
            if isinstance(obj, ConsentRecord) and obj.lead_id == lead.id:
                obj.text_version = consent_text_version
    return IntakeResult(lead, created=True)
