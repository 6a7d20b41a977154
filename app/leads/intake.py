"""Leads from outside (API, public booking form): create the customer or record the new touch."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Role, Store, User
from app.admin.reference import by_id, channels, grade_by_code, vehicle_models
from app.audit.services import record
from app.core.errors import DomainError
from app.core.phones import mask_phone
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.intake_rules import CleanLead
from app.leads.models import ConsentRecord, Lead
from app.leads.services import LeadInput, create_lead, record_touch
from app.messaging.notify import notify

CONSENT_TEXT_VERSION = "v1"


@dataclass
class IntakeResult:
    lead: Lead
    created: bool


def model_choices() -> list[tuple[int, str, str]]:
    """Return (id, series, name) of the active vehicle models, for matching names."""
    return [(m.id, m.series, m.name) for m in vehicle_models() if m.active]


def intake_lead(
    clean: CleanLead,
    *,
    channel_id: int,
    store_id: int,
    consent_source: str,
    api_key_id: int | None = None,
    consent_text_version: str = CONSENT_TEXT_VERSION,
    payload: dict | None = None,
    actor=None,
) -> IntakeResult:
    """Create the lead, or record the inquiry on the customer who already has this phone.

    A customer of another store stays with that store: see note_inquiry_for_owning_store.
    """
    now = utcnow()
    data = LeadInput(
        name=clean.name,
        phone=clean.phone,
        gender=clean.gender,
        source_channel_id=channel_id,
        model_id=clean.model_id,
        grade_id=grade_by_code(clean.grade_code).id,
        expected_purchase_date=clean.expected_purchase_date,
        email=clean.email,
        region=clean.region,
        source_detail=clean.source_detail,
        notes=clean.notes,
        marketing_consent=clean.marketing_consent,
        consent_source=consent_source,
    )
    try:
        lead = create_lead(
            data,
            store_id=store_id,
            actor=actor,
            api_key_id=api_key_id,
            consent_source=consent_source,
            now=now,
        )
    except DomainError as exc:
        if exc.code != "duplicate":
            raise
        lead = db.session.get(Lead, exc.details["lead_id"])
        if lead.store_id != store_id:
            note_inquiry_for_owning_store(
                lead,
                channel_id=channel_id,
                source_detail=clean.source_detail,
                store_id=store_id,
                api_key_id=api_key_id,
                payload=payload,
                marketing_consent=clean.marketing_consent,
                actor=actor,
                now=now,
            )
            return IntakeResult(lead, created=False)
        record_touch(
            lead,
            source_channel_id=channel_id,
            source_detail=clean.source_detail,
            store_id=store_id,
            actor=actor,
            api_key_id=api_key_id,
            payload=payload,
            now=now,
        )
        if clean.marketing_consent and not lead.marketing_consent and lead.anonymised_at is None:
            lead.marketing_consent, lead.consent_source, lead.consent_at = True, consent_source, now
            db.session.add(
                ConsentRecord(
                    lead_id=lead.id,
                    channel="all",
                    granted=True,
                    source=consent_source,
                    text_version=consent_text_version,
                    created_at=now,
                )
            )
        return IntakeResult(lead, created=False)
    if clean.marketing_consent:
        for obj in db.session.new:
            if isinstance(obj, ConsentRecord) and obj.lead_id == lead.id:
                obj.text_version = consent_text_version
    return IntakeResult(lead, created=True)


def inquiry_recipients(lead: Lead) -> list[User]:
    """Who must hear of an inquiry about this customer: the owner, or the store's managers for a pool lead."""
    owner = db.session.get(User, lead.owner_id) if lead.owner_id else None
    if owner is not None and owner.active:
        return [owner]
    return list(
        db.session.execute(
            select(User)
            .where(User.role == Role.MANAGER, User.store_id == lead.store_id, User.active)
            .order_by(User.id)
        ).scalars()
    )


def note_inquiry_for_owning_store(
    lead: Lead,
    *,
    channel_id: int,
    source_detail: str | None,
    store_id: int,
    api_key_id: int | None,
    payload: dict | None,
    marketing_consent: bool,
    actor=None,
    now: datetime | None = None,
) -> None:
    """Record that another store's channel brought in a customer this store has; tell who follows them up.

    The customer stays with their store and owner, and nothing about them changes: the inquiry is
    an inbound touch on their timeline (marked as coming from the other store; a marketing
    consent sent with it is kept in the touch, not applied), and the owner, or for a customer in
    the pool the store's managers, get a notification.
    """
    now = now or utcnow()
    record_touch(
        lead,
        source_channel_id=channel_id,
        source_detail=source_detail,
        store_id=store_id,
        actor=actor,
        api_key_id=api_key_id,
        now=now,
        payload={**(payload or {}), "other_store": True, "marketing_consent": bool(marketing_consent)},
    )
    store = db.session.get(Store, store_id)
    channel = by_id(channels()).get(channel_id)
    for user in inquiry_recipients(lead):
        locale = user.locale or "zh_CN"
        notify(
            user,
            "other_store_inquiry",
            "leads.lead_detail",
            {"lead_id": lead.id},
            _l("Customer %(phone)s made an inquiry at another store", phone=mask_phone(lead.phone)),
            body=_l(
                "%(store)s received it via %(channel)s; it is on the customer's timeline.",
                store=store.name if store else "",
                channel=channel.label(locale) if channel else "",
            ),
        )
    record(
        "lead.other_store_inquiry",
        actor,
        "lead",
        lead.id,
        {"store": store_id, "channel": channel_id, "api_key": api_key_id},
    )
