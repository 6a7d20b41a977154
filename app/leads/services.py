"""Lead operations that change state. One customer per normalised phone number."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.admin.reference import channel_by_code, stage_by_code
from app.audit.services import record
from app.core.errors import DomainError
from app.core.phones import InvalidPhone, last4, normalize_phone
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.models import ConsentRecord, Lead, LeadTouch, OwnerChange


@dataclass
class LeadInput:
    """What a person, a file or an API client gives us for a new lead."""

    name: str
    phone: str  # as typed; normalised here
    gender: str
    source_channel_id: int
    model_id: int | None
    grade_id: int
    expected_purchase_date: date | None
    email: str | None = None
    birthday: date | None = None
    age: int | None = None
    region: str | None = None
    source_detail: str | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    preferences: str | None = None
    decision_role: str | None = None
    notes: str | None = None
    marketing_consent: bool = False
    consent_source: str | None = None
    is_fleet: bool = False
    extra: dict = field(default_factory=dict)


def phone_matches(phone_e164: str):
    """SQL condition: the customer has this number, as main or secondary phone."""
    return or_(Lead.phone == phone_e164, Lead.secondary_phone == phone_e164)


def find_by_phone(phone_e164: str) -> Lead | None:
    """Return the live lead with this normalised phone (its main number first, else a secondary one)."""
    lead = db.session.execute(select(Lead).where(Lead.phone == phone_e164)).scalar_one_or_none()
    if lead is not None:
        return lead
    return db.session.execute(
        select(Lead)
        .where(Lead.secondary_phone == phone_e164, Lead.merged_into_id.is_(None))
        .order_by(Lead.id)
        .limit(1)
    ).scalar_one_or_none()


def create_lead(
    data: LeadInput,
    *,
    store_id: int,
    actor=None,
    owner_id: int | None = None,
    stage_code: str = "new",
    api_key_id: int | None = None,
    consent_source: str = "staff",
    now: datetime | None = None,
) -> Lead:
    """Insert a new lead; raise DomainError('duplicate', lead_id=...) when the phone is known.

    Runs inside a savepoint so a concurrent insert of the same phone (unique constraint)
    turns into the same 'duplicate' error instead of a failed transaction.
    """
    now = now or utcnow()
    try:
        phone = normalize_phone(data.phone)
    except InvalidPhone as exc:
        raise DomainError("invalid_phone", "invalid phone number") from exc
    existing = find_by_phone(phone)
    if existing is not None:
        raise DomainError("duplicate", "customer already exists", lead_id=existing.id)
    lead = Lead(
        name=data.name.strip(),
        gender=data.gender,
        phone=phone,
        phone_last4=last4(phone),
        email=data.email,
        birthday=data.birthday,
        age=data.age,
        region=data.region,
        source_channel_id=data.source_channel_id,
        source_detail=data.source_detail,
        store_id=store_id,
        owner_id=owner_id,
        model_id=data.model_id,
        budget_min=data.budget_min,
        budget_max=data.budget_max,
        preferences=data.preferences,
        decision_role=data.decision_role,
        expected_purchase_date=data.expected_purchase_date,
        grade_id=data.grade_id,
        stage_id=stage_by_code(stage_code).id,
        notes=data.notes,
        marketing_consent=bool(data.marketing_consent),
        is_fleet=data.is_fleet,
        consent_source=(data.consent_source or consent_source) if data.marketing_consent else None,
        consent_at=now if data.marketing_consent else None,
        created_at=now,
        updated_at=now,
        created_by_id=getattr(actor, "id", None),
        assigned_at=now if owner_id else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(lead)
            db.session.flush()
    except IntegrityError as exc:
        other = find_by_phone(phone)
        if other is None:
            raise
        raise DomainError("duplicate", "customer already exists", lead_id=other.id) from exc
    db.session.add(
        LeadTouch(
            lead_id=lead.id,
            source_channel_id=data.source_channel_id,
            source_detail=data.source_detail,
            store_id=store_id,
            api_key_id=api_key_id,
            user_id=getattr(actor, "id", None),
            created_at=now,
        )
    )
    if data.marketing_consent:
        db.session.add(
            ConsentRecord(
                lead_id=lead.id,
                channel="all",
                granted=True,
                source=data.consent_source or consent_source,
                operator_id=getattr(actor, "id", None),
                created_at=now,
            )
        )
    if owner_id:
        db.session.add(
            OwnerChange(
                lead_id=lead.id,
                from_user_id=None,
                to_user_id=owner_id,
                to_store_id=store_id,
                kind="assign",
                reason="created",
                changed_by_id=getattr(actor, "id", None),
                created_at=now,
            )
        )
    record("lead.create", actor, "lead", lead.id, {"channel": data.source_channel_id})
    return lead


def record_touch(
    lead: Lead,
    *,
    source_channel_id: int,
    source_detail: str | None = None,
    store_id: int | None = None,
    actor=None,
    api_key_id: int | None = None,
    payload: dict | None = None,
    now: datetime | None = None,
) -> LeadTouch:
    """Record that a known customer came in again through a channel (续购 marks a repeat purchase)."""
    repeat = source_channel_id == channel_by_code("repeat").id
    touch = LeadTouch(
        lead_id=lead.id,
        source_channel_id=source_channel_id,
        source_detail=source_detail,
        store_id=store_id,
        api_key_id=api_key_id,
        user_id=getattr(actor, "id", None),
        is_repeat_purchase=repeat,
        payload=payload,
        created_at=now or utcnow(),
    )
    db.session.add(touch)
    return touch


def change_owner(
    lead: Lead, to_user, *, actor, kind: str, reason: str = "", now: datetime | None = None
) -> OwnerChange | None:
    """Give the lead to another consultant (or the pool with None), keeping the history."""
    to_id = getattr(to_user, "id", None)
    if lead.owner_id == to_id:
        return None
    now = now or utcnow()
    change = OwnerChange(
        lead_id=lead.id,
        from_user_id=lead.owner_id,
        to_user_id=to_id,
        from_store_id=lead.store_id,
        to_store_id=getattr(to_user, "store_id", None) or lead.store_id,
        kind=kind,
        reason=reason,
        changed_by_id=getattr(actor, "id", None),
        created_at=now,
    )
    db.session.add(change)
    lead.owner_id = to_id
    if to_user is not None and getattr(to_user, "store_id", None):
        lead.store_id = to_user.store_id
    lead.assigned_at = now if to_id else None
    record(
        "lead.owner_change",
        actor,
        "lead",
        lead.id,
        {"from": change.from_user_id, "to": to_id, "kind": kind, "reason": reason},
    )
    return change


def set_fleet(lead: Lead, is_fleet: bool, *, actor, now: datetime | None = None) -> bool:
    """Mark or unmark a fleet (批售) customer (managers and directors); return whether it changed.

    Fleet customers are never merged with other customers."""
    if getattr(actor, "role", None) not in {"manager", "director"}:
        raise DomainError("not_allowed", "only managers and directors mark fleet customers")
    if bool(lead.is_fleet) == bool(is_fleet):
        return False
    lead.is_fleet = bool(is_fleet)
    lead.updated_at = now or utcnow()
    record("lead.fleet", actor, "lead", lead.id, {"before": not lead.is_fleet, "after": lead.is_fleet})
    return True


def grade_date_message(grade_id: int | None, expected: date | None, today: date) -> str | None:
    """The message shown next to the expected purchase date when it disagrees with the grade, or None."""
    from flask_babel import gettext as _

    from app.admin.reference import by_id, grades
    from app.leads.rules import grade_date_conflict

    refs = by_id(grades())
    grade = refs.get(grade_id)
    if grade is None:
        return None
    conflict = grade_date_conflict(
        grade.code, expected, today, {g.code: g.purchase_within_days for g in refs.values()}
    )
    if conflict is None:
        return None
    kind, window, days = conflict
    if kind == "too_late":
        return _(
            "Grade %(grade)s means buying within %(window)s days, but this date is %(days)s days away: "
            "change the grade or the date.",
            grade=grade.code,
            window=window,
            days=days,
        )
    return _(
        "Grade %(grade)s means buying in more than %(window)s days, but this date is only %(days)s days "
        "away: change the grade or the date.",
        grade=grade.code,
        window=window,
        days=days,
    )


def may_override_grade_date(user) -> bool:
    """Managers and directors may keep a grade and a date that disagree (audited)."""
    from app.web.permissions import can

    return can(user, "lead.override_grade_date")


def record_grade_date_override(lead: Lead, actor, grade_id: int | None, expected: date | None) -> None:
    record(
        "lead.grade_date_override",
        actor,
        "lead",
        lead.id,
        {"grade_id": grade_id, "expected_purchase_date": expected.isoformat() if expected else None},
    )
