"""Editing a lead with optimistic locking: a stale save never overwrites someone else's change."""

from datetime import date, datetime

from sqlalchemy.orm.exc import StaleDataError

from app.audit.services import record
from app.core.errors import ConflictError
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.models import ConsentRecord, Lead
from app.leads.rules import merge_stale_edit

# Form field name -> Lead attribute, for every field the edit form changes.
EDITABLE = {
    "name": "name",
    "gender": "gender",
    "source_channel": "source_channel_id",
    "model": "model_id",
    "grade": "grade_id",
    "expected_purchase_date": "expected_purchase_date",
    "email": "email",
    "age": "age",
    "birthday": "birthday",
    "region": "region",
    "budget_min": "budget_min",
    "budget_max": "budget_max",
    "preferences": "preferences",
    "decision_role": "decision_role",
    "notes": "notes",
    "marketing_consent": "marketing_consent",
}


def _plain(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def form_values(lead: Lead) -> dict:
    """Return the lead's editable values keyed by form field name (JSON-safe)."""
    return {name: _plain(getattr(lead, attr)) for name, attr in EDITABLE.items()}


def form_data(lead: Lead) -> dict:
    """Return the lead's editable values keyed by form field name, as the form fields expect them."""
    return {
        name: (value.value if hasattr(value, "value") else value)
        for name, value in ((n, getattr(lead, a)) for n, a in EDITABLE.items())
    }


def update_lead(
    lead: Lead,
    values: dict,
    *,
    expected_version: int,
    actor,
    now: datetime | None = None,
    original: dict | None = None,
) -> list[str]:
    """Apply the edit form's values; raise ConflictError('stale') when the lead changed meanwhile.

    When the lead changed since `expected_version` and the form says what the user loaded
    (`original`), the fields this user changed are applied if the other edit left them alone;
    the same field changed on both sides is a conflict. A save that loses the race for the row
    after this check raises ConflictError('stale', retry=True): reloading and trying again is safe.
    """
    merged_from = None
    if lead.version != expected_version:
        merged = merge_stale_edit(original, form_values(lead), values) if original is not None else None
        if merged is None:
            raise ConflictError("stale", "the lead was changed by someone else", current_version=lead.version)
        values, merged_from = merged, expected_version
    now = now or utcnow()
    changed = []
    for name, attr in EDITABLE.items():
        if name not in values:
            continue
        new = values[name]
        if isinstance(new, str):
            new = new.strip() or None
        if attr == "name":
            new = new or lead.name
        if _plain(getattr(lead, attr)) != _plain(new):
            changed.append(name)
            if attr == "grade_id":
                from app.followups.services import change_grade

                change_grade(lead, int(new), actor, now)  # also moves the open plan to the new cadence
            else:
                setattr(lead, attr, new)
    if "marketing_consent" in changed:
        lead.consent_at = now
        lead.consent_source = "staff"
        db.session.add(
            ConsentRecord(
                lead_id=lead.id,
                channel="all",
                granted=bool(lead.marketing_consent),
                source="staff",
                operator_id=getattr(actor, "id", None),
                created_at=now,
            )
        )
    if not changed:
        return []
    lead.updated_at = now
    try:
        db.session.flush()
    except StaleDataError as exc:  # someone saved between our read and our UPDATE
        raise ConflictError("stale", "the lead was changed by someone else", retry=True) from exc
    detail = {"fields": changed}
    if merged_from is not None:
        detail["merged_from_version"] = merged_from
    record("lead.edit", actor, "lead", lead.id, detail)
    return changed
