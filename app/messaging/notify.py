"""In-app notifications (the bell), optionally mirrored by email through the outbox."""

from app.extensions import db
from app.followups.models import Notification


def notify(user, kind: str, title: str, body: str = "", link: str | None = None,
           email: bool = False) -> Notification:
    """Create an in-app notification for `user`; also queue an email when asked and possible."""
    note = Notification(user_id=user.id, kind=kind, title=title, body=body, link=link)
    db.session.add(note)
    if email and getattr(user, "email", None):
        from app.messaging.outbox import queue_email

        queue_email(user.email, title, body + (f"\n\n{link}" if link else ""), user_id=user.id)
    db.session.flush()
    return note
