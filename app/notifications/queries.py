"""Reads for the notification centre: the bell's count and the list, each one indexed statement."""

from sqlalchemy import func, select

from app.extensions import db
from app.followups.models import Notification

PER_PAGE = 30


def unread_count(user_id: int) -> int:
    """How many notifications the user has not opened (ix_notifications_user_read, index only)."""
    return db.session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar_one()


def page(user_id: int, before_id: int | None = None) -> tuple[list[Notification], int | None]:
    """Up to PER_PAGE notifications, newest first (ix_notifications_user_id), and the id to continue from."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(PER_PAGE + 1)
    )
    if before_id:
        stmt = stmt.where(Notification.id < before_id)
    rows = list(db.session.execute(stmt).scalars())
    next_id = rows[PER_PAGE - 1].id if len(rows) > PER_PAGE else None
    return rows[:PER_PAGE], next_id


def own_notification(user_id: int, note_id: int) -> Notification | None:
    """The user's own notification, or None (someone else's is not found either)."""
    return db.session.execute(
        select(Notification).where(Notification.id == note_id, Notification.user_id == user_id)
    ).scalar_one_or_none()
