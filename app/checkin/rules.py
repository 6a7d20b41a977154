"""Pure check-in eligibility: guard clauses raising DomainError with stable codes (no Flask, no DB)."""

from datetime import datetime

from app.core.errors import DomainError

MAX_ARRIVALS = 20


def check_eligibility(
    *,
    invitation_event_id: int,
    event_id: int,
    status: str,
    token_expires_at: datetime,
    checked_in_at: datetime | None,
    checked_in_by: str | None,
    now: datetime,
    event_cancelled: bool = False,
) -> None:
    """Raise when this invitation may not be checked in at this event now."""
    if invitation_event_id != event_id:
        raise DomainError("other_event", "this code belongs to another event")
    if event_cancelled or status == "cancelled":
        raise DomainError("cancelled", "this invitation was cancelled")
    if now >= token_expires_at:
        raise DomainError("expired", "this code has expired")
    if checked_in_at is not None:
        raise DomainError("already_checked_in", "already checked in", at=checked_in_at, by=checked_in_by)


def arrivals(value, default: int) -> int:
    """Return the actual number of people arriving (1..MAX_ARRIVALS) or raise 'invalid_headcount'."""
    if value in (None, ""):
        return max(1, min(default or 1, MAX_ARRIVALS))
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError("invalid_headcount", "enter a number of people") from exc
    if number < 1 or number > MAX_ARRIVALS:
        raise DomainError("invalid_headcount", f"between 1 and {MAX_ARRIVALS} people")
    return number


def valid_client_id(value: str | None) -> str | None:
    """Keep a client-generated id when it looks like one (printable, ≤64 chars), else None."""
    text = (value or "").strip()
    if not text or len(text) > 64 or not all(ch.isalnum() or ch in "-_" for ch in text):
        return None
    return text
