"""Vehicle identification numbers (ISO 3779): 17 characters, no I/O/Q, check digit in position 9."""

import re

_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def check_digit(vin: str) -> str:
    total = sum(_TRANSLIT[ch] * w for ch, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(raw: str) -> str:
    return (raw or "").strip().upper().replace(" ", "")


def is_valid_vin(raw: str, require_check_digit: bool = True) -> bool:
    """Return whether `raw` is a well-formed VIN (and its check digit is right)."""
    vin = normalize_vin(raw)
    if not VIN_RE.match(vin):
        return False
    return not require_check_digit or vin[8] == check_digit(vin)


def with_check_digit(vin17: str) -> str:
    """Return the VIN with position 9 set to its correct check digit."""
    vin = normalize_vin(vin17)
    return vin[:8] + check_digit(vin[:8] + "0" + vin[9:]) + vin[9:]
