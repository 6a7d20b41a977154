"""Notifications: every hand-off reaches the person who must act, through one service.

`notify(user, kind, endpoint, args, text)` writes the in-app notification (the bell) in the
caller's transaction, queues an e-mail when the user wants them, and, for the alerts that must be
seen at once (URGENT_KINDS), one message to the store's WeCom group robot through the outbox.
A notification stores the endpoint and its arguments, not a path: the link is built with url_for
when it is shown, so a moved route never leaves dead links behind. Views never call this module;
services do, next to the change they announce.
"""

from collections.abc import Iterable
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, bindparam, case, exists, insert, literal, not_, or_, select
from sqlalchemy.types import JSON
from werkzeug.routing import BuildError

from app.accounts.models import LeaveWindow, Role, Store, User
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.models import Notification
from app.web.urls import path_for

# Sent to the store's WeCom robot as well: a customer at the door, a new H lead, an approval waiting.
URGENT_KINDS = frozenset({"arrival", "h_lead", "approval"})


def _check_endpoint(endpoint: str | None) -> None:
    if endpoint is not None and endpoint not in current_app.view_functions:
        raise ValueError(f"unknown endpoint {endpoint!r}")


def target_path(endpoint: str | None, args: dict | None) -> str | None:
    """The path a notification leads to, or None when its endpoint no longer builds."""
    if not endpoint:
        return None
    try:
        return path_for(endpoint, **(args or {}))
    except BuildError:
        return None


def absolute_url(path: str | None) -> str:
    if not path:
        return ""
    return current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + path


def _locale_for(user) -> str:
    return getattr(user, "locale", None) or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")


def notify(
    user,
    kind: str,
    endpoint: str | None,
    args: dict | None,
    text,
    *,
    body="",
    store_id: int | None = None,
    email: bool | None = None,
    now: datetime | None = None,
) -> Notification:
    """Tell `user` about a hand-off: in the app always, by e-mail when they chose it.

    `text` (and `body`) may be lazy texts: they are rendered in the recipient's language.
    With `store_id`, an urgent kind also goes to that store's WeCom robot.
    """
    _check_endpoint(endpoint)
    with force_locale(_locale_for(user)):
        title, detail = str(text)[:255], str(body or "")
    note = Notification(
        user_id=user.id,
        kind=kind,
        title=title,
        body=detail,
        endpoint=endpoint,
        args=args or None,
        created_at=now or utcnow(),
    )
    db.session.add(note)
    if email is not False and user.notify_email and getattr(user, "email", None):
        from app.messaging.outbox import queue_email

        link = absolute_url(target_path(endpoint, args))
        queue_email(user.email, title, "\n\n".join(p for p in (detail, link) if p), user_id=user.id)
    if store_id is not None and kind in URGENT_KINDS:
        alert_store(store_id, title, endpoint, args)
    db.session.flush()
    return note


def notify_many(
    users: Iterable,
    kind: str,
    endpoint: str | None,
    args: dict | None,
    text,
    *,
    body="",
    store_id: int | None = None,
    now: datetime | None = None,
) -> list[Notification]:
    """Notify several people of one hand-off (a store's managers); the WeCom robot hears it once."""
    notes = [notify(user, kind, endpoint, args, text, body=body, now=now) for user in users]
    if store_id is not None and kind in URGENT_KINDS and notes:
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
            alert_store(store_id, str(text)[:255], endpoint, args)
    return notes


def store_managers(store_id: int, *, exclude_id: int | None = None) -> list[User]:
    """The active managers of a store (who approve and who stand in for an absent consultant)."""
    stmt = select(User).where(User.store_id == store_id, User.role == Role.MANAGER, User.active.is_(True))
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return list(db.session.execute(stmt.order_by(User.id)).scalars())


def alert_store(
    store_id: int,
    text: str,
    endpoint: str | None = None,
    args: dict | None = None,
    store: Store | None = None,
) -> bool:
    """Queue one WeCom group-robot message for the store when it has a webhook; tell whether one was queued.

    The store is usually in the session already (the signed-in user's own store is loaded with them).
    """
    store = store or db.session.get(Store, store_id)
    url = (store.wecom_webhook_url or "").strip() if store is not None else ""
    if not url:
        return False
    from app.messaging.outbox import queue

    link = absolute_url(target_path(endpoint, args))
    queue("wecom", url, f"{text}\n{link}" if link else text)
    return True


def on_leave(user_id: int, day: date):
    """SQL condition: the user has a leave window covering `day`."""
    return exists().where(
        LeaveWindow.user_id == user_id, LeaveWindow.starts_on <= day, LeaveWindow.ends_on >= day
    )


def notify_arrival(**arrival) -> None:
    """A customer has arrived: tell the owner, or the store's managers when the owner is away
    (no owner, deactivated, or on leave on `day`). One INSERT … SELECT: the recipients are chosen
    by the database in the same statement that writes their notifications."""
    db.session.execute(arrival_notifications(**arrival))


ARRIVAL_PREFIX = "n_"  # the bind parameters' names of `arrival_notification_template`


def arrival_notifications(
    *,
    owner_id: int | None,
    store_id: int,
    owner_text: str,
    stand_in_text: str,
    endpoint: str,
    args: dict,
    day: date,
    now: datetime,
    gate=None,
):
    """The INSERT … SELECT of `notify_arrival`; `gate` (an SQL condition) writes nothing when false,
    so the statement can ride in a data-modifying WITH that only notifies when its check-in went in."""
    values = arrival_notification_params(
        owner_id=owner_id,
        store_id=store_id,
        owner_text=owner_text,
        stand_in_text=stand_in_text,
        endpoint=endpoint,
        args=args,
        day=day,
        now=now,
    )
    literals = {k: literal(values[ARRIVAL_PREFIX + k], type_=t) for k, t in _types().items()}
    return _arrival_rows(literals, bool(owner_id), gate)


def arrival_notification_params(**notification) -> dict:
    """The values of `arrival_notifications` (its keyword arguments, the texts cut to the title's
    length) by the names `arrival_notification_template` binds them under."""
    _check_endpoint(notification["endpoint"])
    values = dict(notification)
    for k in ("owner_text", "stand_in_text"):
        values[k] = values[k][:255]
    return {ARRIVAL_PREFIX + k: v for k, v in values.items()}


def arrival_notification_template(has_owner: bool, gate=None):
    """`arrival_notifications` with its values as bind parameters (`arrival_notification_params`),
    for a statement built once and run with new values."""
    return _arrival_rows(
        {k: bindparam(ARRIVAL_PREFIX + k, type_=t) for k, t in _types().items()}, has_owner, gate
    )


def _types() -> dict:
    """The SQL type of each of the notification's values."""
    table = Notification.__table__
    return {
        "owner_id": User.__table__.c.id.type,
        "store_id": User.__table__.c.store_id.type,
        "owner_text": table.c.title.type,
        "stand_in_text": table.c.title.type,
        "endpoint": table.c.endpoint.type,
        "args": JSON(),
        "day": LeaveWindow.__table__.c.starts_on.type,
        "now": table.c.created_at.type,
    }


def _arrival_rows(v: dict, has_owner: bool, gate):
    """The INSERT … SELECT from SQL expressions of the values (`v`: name → expression)."""
    owner_id = v["owner_id"]
    owner_available = (
        select(User.id)
        .where(User.id == owner_id, User.active.is_(True), not_(on_leave(owner_id, v["day"])))
        .exists()
        if has_owner
        else literal(False)
    )
    recipients = or_(
        and_(User.id == owner_id, owner_available) if has_owner else literal(False),
        and_(
            User.store_id == v["store_id"],
            User.role == Role.MANAGER,
            User.active.is_(True),
            not_(owner_available),
        ),
    )
    title = (
        case((User.id == owner_id, v["owner_text"]), else_=v["stand_in_text"])
        if has_owner
        else v["stand_in_text"]
    )
    rows = select(
        User.id,
        literal("arrival"),
        title,
        literal(""),
        v["endpoint"],
        v["args"],
        v["now"],
    ).where(recipients if gate is None else and_(gate, recipients))
    return insert(Notification.__table__).from_select(
        ["user_id", "kind", "title", "body", "endpoint", "args", "created_at"], rows
    )
