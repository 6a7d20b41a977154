"""Pure showroom rules: retention rate, expected purchase date from the grade, party size."""

from datetime import date, timedelta

from app.core.rates import format_percent

# A walk-in whose grade has no horizon (C: over a month) is expected in about two months.
DEFAULT_HORIZON_DAYS = 60
MAX_PARTY = 20


def retention_rate(first_visits_with_contact: int, first_visits: int) -> float | None:
    """Return 留存率 = first visits that left contact info / first visits (None with no first visit).

    The one definition: the reception page, the reports (traffic, sources, retention trend,
    headline figures, trends), their exports and the monthly PDF all call it."""
    if not first_visits or first_visits <= 0:
        return None
    return min(first_visits_with_contact or 0, first_visits) / first_visits


def format_rate(rate: float | None) -> str:
    """Return the rate as the reports print it ('—' when undefined)."""
    return format_percent(rate)


def expected_purchase_date(today: date, purchase_within_days: int | None) -> date:
    """Return the expected purchase date a grade implies (H: 7 days, A: 15, B: 30, C: ~60)."""
    return today + timedelta(days=purchase_within_days or DEFAULT_HORIZON_DAYS)


def valid_party_size(size: int | None) -> bool:
    """A party is one to twenty people."""
    return size is not None and 1 <= size <= MAX_PARTY
