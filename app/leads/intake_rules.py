"""Pure rules for leads arriving from outside (API, public form): validate and normalise a payload.

No Flask, no database: reference data is passed in, so the rules are tested on their own.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from app.core.phones import InvalidPhone, normalize_phone

GENDER_WORDS = {
    "male": "male",
    "m": "male",
    "男": "male",
    "先生": "male",
    "female": "female",
    "f": "female",
    "女": "female",
    "女士": "female",
    "unknown": "unknown",
    "": "unknown",
    "未知": "unknown",
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_GRADE = "C"
# Every string field of the intake API and its longest length (the OpenAPI document says the same).
MAX_LENGTH = {
    "name": 100,
    "phone": 32,
    "gender": 16,
    "model": 100,
    "grade": 8,
    "expected_purchase_date": 10,
    "email": 255,
    "region": 100,
    "source_detail": 255,
    "notes": 2000,
}
# Digits (ASCII or full-width), an optional leading plus, spaces, dashes, dots and brackets.
PHONE_PATTERN = r"^[+＋]?[0-9０-９ ()（）.\-－]{7,30}$"
PHONE_RE = re.compile(PHONE_PATTERN)
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An expected purchase date lies between a year ago and five years ahead.
PURCHASE_YEARS_BACK = 1
PURCHASE_YEARS_AHEAD = 5


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
        if wanted in {
            str(model_id),
            name.lower().replace(" ", ""),
            f"{series}{name}".lower().replace(" ", ""),
        }:
            return model_id
    for model_id, series, _name in models:
        if wanted == series.lower().replace(" ", ""):
            return model_id
    return None


def _years_later(day: date, years: int) -> date:
    """Return the same calendar day `years` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def purchase_date_window(today: date) -> tuple[date, date]:
    """Return the first and last expected purchase date a new lead may carry."""
    return _years_later(today, -PURCHASE_YEARS_BACK), _years_later(today, PURCHASE_YEARS_AHEAD)


def string_field(payload: dict, key: str, errors: list[FieldError]) -> str | None:
    """Return the field as normalised text ('' when absent or null), or None after adding its error.

    Only JSON strings are accepted (no numbers, arrays or objects); NUL characters and lone
    surrogates are refused, since neither can be stored; the length limit holds for the text as
    sent and as normalised.
    """
    value = payload.get(key)
    if value is None:
        return ""
    limit = MAX_LENGTH[key]
    if not isinstance(value, str):
        errors.append(FieldError(key, "type", "Must be a string."))
        return None
    if "\x00" in value:
        errors.append(FieldError(key, "invalid_text", "Must not contain NUL characters."))
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors.append(FieldError(key, "invalid_text", "Must be valid Unicode text."))
        return None
    clean = text(value)
    if len(value) > limit or len(clean) > limit:
        errors.append(FieldError(key, "too_long", f"At most {limit} characters."))
        return None
    return clean


def validate_external_lead(
    payload, *, grade_codes, models, today: date
) -> tuple[CleanLead | None, list[FieldError]]:
    """Validate an API/form payload; return the clean lead or the list of field errors."""
    errors: list[FieldError] = []
    if not isinstance(payload, dict):
        return None, [FieldError("", "not_an_object", "The request body must be a JSON object.")]
    values = {key: string_field(payload, key, errors) for key in MAX_LENGTH}
    name = values["name"]
    if name == "":
        errors.append(FieldError("name", "required", "Name is required."))
    phone = ""
    if values["phone"] == "":
        errors.append(FieldError("phone", "required", "Phone is required."))
    elif values["phone"] is not None:
        try:
            if not PHONE_RE.fullmatch(payload["phone"]):
                raise InvalidPhone("pattern")
            phone = normalize_phone(values["phone"])
        except InvalidPhone:
            errors.append(FieldError("phone", "invalid", "Not a valid phone number."))
    gender = None
    if values["gender"] is not None:
        gender = parse_gender(values["gender"])
        if gender is None:
            errors.append(FieldError("gender", "invalid", "Use male, female or unknown."))
    grade = (values["grade"] or "").upper() or DEFAULT_GRADE
    if values["grade"] is not None and grade not in grade_codes:
        errors.append(
            FieldError("grade", "unknown", f"Unknown grade; use one of {', '.join(sorted(grade_codes))}.")
        )
    model_id = None
    if values["model"]:
        model_id = match_model(values["model"], models)
        if model_id is None:
            errors.append(FieldError("model", "unknown", "Unknown vehicle model."))
    expected = None
    if values["expected_purchase_date"]:
        try:
            if not ISO_DATE_RE.fullmatch(values["expected_purchase_date"]):
                raise ValueError("not YYYY-MM-DD")
            expected = date.fromisoformat(values["expected_purchase_date"])
        except ValueError:
            errors.append(FieldError("expected_purchase_date", "invalid", "Use an ISO date (YYYY-MM-DD)."))
        else:
            first, last = purchase_date_window(today)
            if not first <= expected <= last:
                errors.append(
                    FieldError(
                        "expected_purchase_date",
                        "out_of_range",
                        f"Use a date from {first.isoformat()} to {last.isoformat()}.",
                    )
                )
    email = values["email"] or None
    if email and not EMAIL_RE.match(email):
        errors.append(FieldError("email", "invalid", "Not a valid email address."))
    consent = payload.get("marketing_consent", False)
    if not isinstance(consent, bool):
        errors.append(FieldError("marketing_consent", "invalid", "Must be true or false."))
    if errors:
        return None, errors
    extra = payload.get("extra") if isinstance(payload.get("extra"), dict) else {}
    return CleanLead(
        name=name,
        phone=phone,
        gender=gender,
        grade_code=grade,
        model_id=model_id,
        expected_purchase_date=expected,
        email=email,
        marketing_consent=bool(consent),
        extra=extra,
        **{key: values[key] or None for key in ("region", "source_detail", "notes")},
    ), []
