"""Turn spreadsheet cells into lead values with per-row errors. Pure: reference data is passed in."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from app.core.phones import InvalidPhone, normalize_phone
from app.leads.importing.mapping import MANDATORY
from app.leads.intake_rules import EMAIL_RE, match_model, parse_gender

EXCEL_EPOCH = date(1899, 12, 30)
DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
WAN = 10_000
MAX_CELL = 2000  # characters in any imported cell; the longest field (notes) holds 2,000

# Error codes written into the preview and the result file.
ERROR_TEXT = {
    "missing": _l("Missing mandatory field"),
    "bad_phone": _l("Not a valid mobile number"),
    "bad_gender": _l("Unknown gender"),
    "unknown_channel": _l("Unknown source channel"),
    "unknown_model": _l("Unknown vehicle model"),
    "unknown_grade": _l("Unknown intent grade"),
    "bad_date": _l("Not a date"),
    "bad_email": _l("Not a valid email address"),
    "bad_number": _l("Not a number"),
    "duplicate_in_file": _l("Same phone as an earlier row of the file"),
    "duplicate_existing": _l("Customer already exists"),
    "duplicate_other_scope": _l("Customer already exists (outside your stores)"),
    "too_long": _l("Text too long"),
    "cell_too_long": _l("Cell longer than 2,000 characters"),
}


@dataclass
class References:
    """What validation needs to know about the configured data."""

    channels: dict[str, int]  # lower-case code / Chinese / English name -> id
    grades: dict[str, int]  # code -> id, plus Chinese names
    models: list[tuple[int, str, str]]  # (id, series, name)


@dataclass
class RowResult:
    number: int
    cells: list
    values: dict = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, code)

    @property
    def ok(self) -> bool:
        return not self.errors


def cell_text(value) -> str:
    """Return a cell as clean text: floats 13800138000.0 lose '.0', a leading apostrophe and full-width go."""
    if value is None:
        return ""
    if type(value) is str:
        text = (
            value
            if value.isascii() or unicodedata.is_normalized("NFKC", value)
            else unicodedata.normalize("NFKC", value)
        )
        text = text.strip()
    elif isinstance(value, float) and value.is_integer():
        return str(int(value))
    elif isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    elif isinstance(value, date):
        return value.isoformat()
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.startswith("'"):
        text = text[1:].strip()
    if "." in text and re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


MOBILE_RE = re.compile(r"1\d{10}")


@lru_cache(maxsize=20_000)
def _mobile_block_valid(prefix7: str) -> bool:
    # Mainland mobile ranges are allocated by their first digits (never finer than seven), so
    # one phonenumbers check per block answers for every number in it.
    try:
        normalize_phone(prefix7 + "0000", mobile_only=True)
    except InvalidPhone:
        return False
    return True


def normalise_mobile(text: str) -> str:
    """Return the E.164 mobile number; plain 11-digit numbers take a cached fast path."""
    if MOBILE_RE.fullmatch(text):
        if _mobile_block_valid(text[:7]):
            return "+86" + text
        raise InvalidPhone("invalid")
    return normalize_phone(text, mobile_only=True)


def parse_date(value) -> date | None:
    """Return a date from a datetime, an Excel serial number or the usual written forms; raise ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError("serial out of range")
    text = cell_text(value)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    raise ValueError(text)


def parse_budget(text: str) -> tuple[int | None, int | None]:
    """Return (min, max) yuan from '15万', '10-15万', '120000' or '12~15w'; raise ValueError."""
    clean = text.lower().replace(" ", "").replace("元", "").replace(",", "")
    unit = WAN if ("万" in clean or clean.endswith("w")) else 1
    clean = clean.replace("万", "").rstrip("w")
    parts = [p for p in re.split(r"[-~至到]", clean) if p]
    if not parts or len(parts) > 2:
        raise ValueError(text)
    numbers = [int(float(p) * unit) for p in parts]
    return numbers[0], numbers[-1]


def channel_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


def grade_key(text: str) -> str:
    """'H级', 'h', 'A级客户' -> 'H', 'A'."""
    clean = unicodedata.normalize("NFKC", text).strip().upper()
    return clean[:1] if clean[:1].isalpha() else clean


def validate_row(
    number: int, cells: list, mapping: dict[int, str], refs: References, today: date
) -> RowResult:
    """Validate one row; values use model field names (phone as E.164)."""
    result = RowResult(number=number, cells=cells)
    raw = {key: (cells[index] if index < len(cells) else None) for index, key in mapping.items()}
    for key, value in list(raw.items()):
        if isinstance(value, str) and len(value) > MAX_CELL:
            result.errors.append((key, "cell_too_long"))
            raw[key] = None
    text = {key: cell_text(value) for key, value in raw.items()}
    for key in MANDATORY:
        if not text.get(key) and (key, "cell_too_long") not in result.errors:
            result.errors.append((key, "missing"))
    values = result.values
    if text.get("name"):
        if len(text["name"]) > 100:
            result.errors.append(("name", "too_long"))
        values["name"] = text["name"][:100]
    if text.get("phone"):
        try:
            values["phone"] = normalise_mobile(text["phone"])
        except InvalidPhone:
            result.errors.append(("phone", "bad_phone"))
    if text.get("gender"):
        gender = parse_gender(text["gender"])
        if gender is None:
            result.errors.append(("gender", "bad_gender"))
        values["gender"] = gender
    if text.get("channel"):
        channel_id = refs.channels.get(channel_key(text["channel"]))
        if channel_id is None:
            result.errors.append(("channel", "unknown_channel"))
        values["source_channel_id"] = channel_id
    if text.get("model"):
        model_id = match_model(text["model"], refs.models)
        if model_id is None:
            result.errors.append(("model", "unknown_model"))
        values["model_id"] = model_id
    if text.get("grade"):
        grade_id = refs.grades.get(grade_key(text["grade"]))
        if grade_id is None:
            result.errors.append(("grade", "unknown_grade"))
        values["grade_id"] = grade_id
    for key, target in (("expected_date", "expected_purchase_date"), ("birthday", "birthday")):
        if text.get(key):
            try:
                values[target] = parse_date(raw[key])
            except ValueError:
                result.errors.append((key, "bad_date"))
    if text.get("email"):
        if not EMAIL_RE.match(text["email"]) or len(text["email"]) > 255:
            result.errors.append(("email", "bad_email"))
        values["email"] = text["email"]
    if text.get("age"):
        try:
            age = int(float(text["age"].rstrip("岁")))
            if not 0 < age < 120:
                raise ValueError
            values["age"] = age
        except ValueError:
            result.errors.append(("age", "bad_number"))
    if text.get("budget"):
        try:
            values["budget_min"], values["budget_max"] = parse_budget(text["budget"])
        except ValueError:
            result.errors.append(("budget", "bad_number"))
    if text.get("region"):
        values["region"] = text["region"][:100]
    if text.get("notes"):
        values["notes"] = text["notes"][:2000]
    return result


def error_summary(errors: list[tuple[str, str]], labels: dict[str, str] | None = None) -> str:
    """Return '; '-joined readable reasons for a row's errors."""
    labels = labels or {}
    return "; ".join(
        f"{labels.get(field_key, field_key)}: {ERROR_TEXT.get(code, code)}" for field_key, code in errors
    )
