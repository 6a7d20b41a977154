"""Pure rules for leads arriving from outside (API, public form): validate and normalise a payload.

No Flask, no database: reference data is passed in, so the rules are tested on their own.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from app.core.phones import InvalidPhone, normalize_phone

GENDER_WORDS = {
    "male": "male", "m": "male", "男": "male", "先生": "male",
    "female": "female", "f": "female", "女": "female", "女士": "female",
    "unknown": "unknown", "": "unknown", "未知": "unknown",
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_GRADE = "C"
MAX_TEXT = {"name": 100, "email": 255, "region": 100, "source_detail": 255, "notes": 2000, "preferences": 2000}


@dataclass
class FieldError:
    field: str
    code: str
    detail: str


@dataclass
class CleanLead:
    """A validated external lead, ready to become a LeadInput."""

    name: str
    phone: str  # E.164
    gender: str = "unknown"
    grade_code: str = DEFAULT_GRADE
    model_id: int | None = None
    expected_purchase_date: date | None = None
    email: str | None = None
    region: str | None = None
    source_detail: str | None = None
    notes: str | None = None
    marketing_consent: bool = False
    extra: dict = field(default_factory=dict)


def text(value) -> str:
    """Return the value as NFKC-normalised, trimmed text (full-width letters become ASCII)."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_gender(value) -> str | None:
    """Return male/female/unknown for the usual Chinese and English spellings, else None."""
    return GENDER_WORDS.get(text(value).lower())


def match_model(value, models) -> int | None:
    """Return the id of the vehicle model named (or numbered) `value`; models: (id, series, name)."""
    wanted = text(value).lower().replace(" ", "")
    if not wanted:
        return None
    for model_id, series, name in models:
        if wanted in {str(model_id), name.lower().replace(" ", ""), f"{series}{name}".lower().replace(" ", "")}:
            return model_id
    for model_id, series, _name in models:
        if wanted == series.lower().replace(" ", ""):
            return model_id
    return None


def validate_external_lead(payload, *, grade_codes, models) -> tuple[CleanLead | None, list[FieldError]]:
    """Validate an API/form payload; return the clean lead or the list of field errors."""
    errors: list[FieldError] = []
    if not isinstance(payload, dict):
        return None, [FieldError("", "not_an_object", "The request body must be a JSON object.")]
    name = text(payload.get("name"))
    if not name:
        errors.append(FieldError("name", "required", "Name is required."))
    raw_phone = payload.get("phone")
    phone = ""
    if not text(raw_phone):
        errors.append(FieldError("phone", "required", "Phone is required."))
    else:
        try:
            phone = normalize_phone(str(raw_phone))
        except InvalidPhone:
            errors.append(FieldError("phone", "invalid", "Not a valid phone number."))
    gender = parse_gender(payload.get("gender"))
    if gender is None:
        errors.append(FieldError("gender", "invalid", "Use male, female or unknown."))
    grade = text(payload.get("grade")).upper() or DEFAULT_GRADE
    if grade not in grade_codes:
        errors.append(FieldError("grade", "unknown", f"Unknown grade; use one of {', '.join(sorted(grade_codes))}."))
    model_id = None
    if text(payload.get("model")):
        model_id = match_model(payload.get("model"), models)
        if model_id is None:
            errors.append(FieldError("model", "unknown", "Unknown vehicle model."))
    expected = None
    if text(payload.get("expected_purchase_date")):
        try:
            expected = date.fromisoformat(text(payload.get("expected_purchase_date")))
        except ValueError:
            errors.append(FieldError("expected_purchase_date", "invalid", "Use an ISO date (YYYY-MM-DD)."))
    email = text(payload.get("email")) or None
    if email and not EMAIL_RE.match(email):
        errors.append(FieldError("email", "invalid", "Not a valid email address."))
    consent = payload.get("marketing_consent", False)
    if not isinstance(consent, bool):
        errors.append(FieldError("marketing_consent", "invalid", "Must be true or false."))
    values = {key: text(payload.get(key)) or None for key in ("region", "source_detail", "notes")}
    for key, limit in MAX_TEXT.items():
        value = name if key == "name" else (email if key == "email" else values.get(key))
        if value and len(value) > limit:
            errors.append(FieldError(key, "too_long", f"At most {limit} characters."))
    if errors:
        return None, errors
    extra = payload.get("extra") if isinstance(payload.get("extra"), dict) else {}
    return CleanLead(name=name, phone=phone, gender=gender, grade_code=grade, model_id=model_id,
                     expected_purchase_date=expected, email=email, marketing_consent=bool(consent),
                     extra=extra, **values), []
