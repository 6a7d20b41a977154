"""Changes in the notification centre: marking read, the user's e-mail choice."""

from datetime import datetime

from sqlalchemy import update

from app.audit.services import record
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.models import Notification


def mark_read(note: Notification, now: datetime | None = None) -> None:
    """Mark one notification read (the first opening counts)."""
    if note.read_at is None:
        note.read_at = now or utcnow()


def mark_all_read(user_id: int, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; return how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def set_email_choice(user, wants_email: bool) -> None:
    """Record whether the user also gets their notifications by e-mail (audited)."""
    if bool(user.notify_email) == wants_email:
        return
    record(
        "user.notify_settings",
        user,
        "user",
        user.id,
        {"notify_email": {"before": bool(user.notify_email), "after": wants_email}},
    )
    user.notify_email = wants_email
