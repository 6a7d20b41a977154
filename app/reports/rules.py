"""Pure reporting rules: periods, rates, penalties. No Flask, no SQLAlchemy."""

from dataclasses import dataclass
from datetime import date, timedelta

from app.core.rates import rate as _rate

PERIOD_KINDS = ("day", "week", "month", "quarter", "custom")
GRAINS = ("day", "week", "month", "quarter")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # inclusive, local date
    end: date  # inclusive, local date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """Return the first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def resolve_period(kind: str, anchor: date, start: date | None = None, end: date | None = None) -> Period:
    """Return the local-date period of `kind` containing `anchor` (or start..end when custom)."""
    if kind == "day":
        return Period("day", anchor, anchor)
    if kind == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return Period("week", first, first + timedelta(days=6))
    if kind == "quarter":
        first = quarter_start(anchor)
        return Period("quarter", first, add_months(first, 3) - timedelta(days=1))
    if kind == "custom" and start and end:
        if end < start:
            start, end = end, start
        return Period("custom", start, end)
    first = month_start(anchor)
    return Period("month", first, month_end(first))


def previous_period(period: Period) -> Period:
    """Return the period just before `period`, of the same kind and length."""
    if period.kind == "month":
        first = add_months(period.start, -1)
        return Period("month", first, month_end(first))
    if period.kind == "quarter":
        first = add_months(period.start, -3)
        return Period("quarter", first, add_months(first, 3) - timedelta(days=1))
    length = timedelta(days=period.days)
    return Period(period.kind, period.start - length, period.end - length)


def same_period_last_year(period: Period) -> Period:
    """Return the same calendar period one year earlier (29 February becomes the 28th)."""

    def back(day: date) -> date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:
            return day.replace(year=day.year - 1, day=28)

    if period.kind in ("month", "quarter"):
        start = back(period.start)
        months = 1 if period.kind == "month" else 3
        return Period(period.kind, start, add_months(start, months) - timedelta(days=1))
    if period.kind == "week":  # the same ISO week last year
        year, week, _ = period.start.isocalendar()
        try:
            start = date.fromisocalendar(year - 1, week, 1)
        except ValueError:
            start = date.fromisocalendar(year - 1, 52, 1)
        return Period("week", start, start + timedelta(days=6))
    return Period(period.kind, back(period.start), back(period.end))


def bucket_key(day: date, grain: str) -> str:
    """Return the label the SQL bucket expression produces for `day` at `grain`."""
    if grain == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if grain == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return day.isoformat()


def bucket_keys(start: date, end: date, grain: str) -> list[str]:
    """Return every bucket label from start to end, so empty buckets show as zero."""
    keys: list[str] = []
    day = start
    while day <= end:
        key = bucket_key(day, grain)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += timedelta(days=1)
    return keys


def bucket_label(key: str, grain: str, start: date, end: date) -> str:
    """The label a person reads for a bucket: a week shows its days within the period.

    A week bucket is keyed by its Monday; its label is clipped to [start, end], so the first
    week of November 2026 (Monday 26 October) reads "11-01 – 11-01" and no October or December
    day appears in a November report.
    """
    if grain != "week":
        return key
    monday = date.fromisoformat(key)
    first, last = max(monday, start), min(monday + timedelta(days=6), end)
    return f"{first:%m-%d} – {last:%m-%d}"


rate = _rate  # the one definition of a rate (app.core.rates)


def change(current: float | int | None, before: float | int | None) -> float | None:
    """Return the relative change from `before` to `current`, or None when `before` is zero."""
    if current is None or not before:
        return None
    return (current - before) / before


def prorated_target(target: int, period: Period, month_first: date) -> float:
    """Return the part of a monthly target that falls inside `period` (by days)."""
    last = month_end(month_first)
    overlap_start, overlap_end = max(period.start, month_first), min(period.end, last)
    if overlap_end < overlap_start:
        return 0
    return target * ((overlap_end - overlap_start).days + 1) / ((last - month_first).days + 1)
