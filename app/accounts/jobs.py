"""Periodic housekeeping for authentication."""

from datetime import datetime

from app.jobs import periodic
from app.web.throttle import purge_expired


@periodic("accounts.expired_rate_limits")
def delete_expired_rate_limits(now: datetime) -> dict:
    """Delete rate-limit counters and used one-time tokens whose window has passed."""
    return {"deleted": purge_expired()}
