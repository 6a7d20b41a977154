"""Outbox delivery as a periodic job."""

from app.jobs import periodic
from app.messaging.outbox import deliver_due


@periodic("outbox")
def deliver_outbox(now):
    """Send every queued message that is due."""
    return deliver_due(now)
