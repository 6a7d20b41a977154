"""Phone numbers: parse what people type, store E.164, show masked or national form."""

import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

DEFAULT_REGION = "CN"
MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(ValueError):
    """The text is not a valid phone number."""


def _clean(raw: str) -> str:
    # Full-width digits and punctuation (１３８－００１３) become ASCII; a leading
    # apostrophe (Excel text marker) and a trailing ".0" (number saved as float) go.
    text = unicodedata.normalize("NFKC", str(raw)).strip().lstrip("'").strip()
    if text.endswith(".0") and text[:-2].replace("+", "").isdigit():
        text = text[:-2]
    return text


def normalize_phone(raw: str, region: str = DEFAULT_REGION, mobile_only: bool = False) -> str:
    """Return the number in E.164 form, or raise InvalidPhone."""
    text = _clean(raw or "")
    if not text:
        raise InvalidPhone("empty")
    digits = "".join(ch for ch in text if ch.isdigit())
    # 0086 138... and 86 138... (11-digit mobile with the country code, no plus)
    if text.startswith("00"):
        text = "+" + text[2:]
    elif digits.startswith("86") and len(digits) == 13 and not text.startswith("+"):
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidPhone(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("invalid")
    if mobile_only and phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidPhone("not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str | None) -> str:
    """Return the national significant number (13800138000 for +8613800138000)."""
    if not e164:
        return ""
    if e164.startswith("+86"):
        return e164[3:]
    try:
        return str(phonenumbers.parse(e164).national_number)
    except NumberParseException:
        return e164


def last4(e164: str | None) -> str | None:
    digits = national_digits(e164)
    return digits[-4:] if digits else None


def mask_phone(e164: str | None) -> str:
    """Return 138****5678 (first three and last four digits shown)."""
    digits = national_digits(e164)
    if not digits:
        return ""
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 3) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def format_phone(e164: str | None) -> str:
    """Return a readable national form: 138 0013 8000."""
    digits = national_digits(e164)
    if len(digits) == 11 and e164 and e164.startswith("+86"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return digits
