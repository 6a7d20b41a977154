"""Reading untrusted request values: integers, dates and text that every database can hold.

Query strings and hand-read form fields go through these instead of bare `int()` and
`date.fromisoformat()`: a value the application cannot use reads as "not given" (None), never as an
exception or as a number the database cannot bind (SQLite integers stop at 2**63 - 1).
"""

from datetime import date

MAX_INT = 2**63 - 1
MAX_ID = 2**31 - 1  # ids and versions are INTEGER columns; PostgreSQL casts the parameter and refuses more
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)


def parse_int(value, *, minimum: int | None = None, maximum: int = MAX_INT) -> int | None:
    """An integer written in ASCII digits (surrounding whitespace allowed) within [minimum, maximum], else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 19:
            return None
        number = int(text)
    if number > maximum or number < -MAX_INT - 1 or (minimum is not None and number < minimum):
        return None
    return number


def parse_positive_int(value) -> int | None:
    """An id: 1 up to the largest INTEGER column value, else None."""
    return parse_int(value, minimum=1, maximum=MAX_ID)


def parse_date(value) -> date | None:
    """An ISO date (YYYY-MM-DD) between 1900 and 2999, else None (no day arithmetic can overflow)."""
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value or "").strip())
        except ValueError:
            return None
    return day if MIN_DATE <= day <= MAX_DATE else None


def clean_choice(value) -> str:
    """A select value as sent by a browser: surrounding whitespace removed."""
    return str(value or "").strip()


def parse_ids(values, limit: int | None = None) -> list[int]:
    """The valid ids (positive 64-bit integers) among `values`, in order, without repeats; at most `limit`."""
    ids: list[int] = []
    for value in values:
        number = parse_positive_int(value)
        if number is not None and number not in ids:
            ids.append(number)
            if limit is not None and len(ids) >= limit:
                break
    return ids
