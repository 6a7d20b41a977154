"""Periodic housekeeping for authentication: forget revoked sessions once they would have expired
anyway, delete remembered devices that can no longer sign in, and rate-limit counters whose window
has passed."""

from datetime import datetime

from flask import current_app
from sqlalchemy import delete

from app.accounts.models import RevokedSession
from app.extensions import db
from app.jobs import periodic
from app.web.throttle import purge_expired


@periodic("revoked_sessions")
def purge_revoked_sessions(now: datetime) -> dict:
    """Delete revoked-session rows older than the absolute session lifetime."""
    cutoff = now - current_app.config["ABSOLUTE_TIMEOUT"]
    result = db.session.execute(delete(RevokedSession).where(RevokedSession.revoked_at < cutoff))
    return {"purged": result.rowcount or 0}


@periodic("device_sessions")
def purge_device_sessions(now: datetime) -> dict:
    """Delete remembered devices that can never sign in again (expired, revoked or superseded)."""
    from app.accounts.devices import purge

    return {"purged": purge(now)}


@periodic("accounts.expired_rate_limits")
def delete_expired_rate_limits(now: datetime) -> dict:
    """Delete rate-limit counters and used one-time tokens whose window has passed."""
    return {"deleted": purge_expired()}
