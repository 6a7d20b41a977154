"""The store's SMS sending window, read from the store and applied with the pure rule."""

from datetime import datetime

from app.core.timeutil import zone_for
from app.extensions import db
from app.messaging.rules import DEFAULT_WINDOW, SendWindow, make_window, next_send_time


def window_for(store_id: int | None) -> SendWindow:
    """The store's window (default 09:00–20:30 local)."""
    from app.accounts.models import Store

    store = db.session.get(Store, store_id) if store_id else None
    if store is None:
        return DEFAULT_WINDOW
    return make_window(store.sms_window_start, store.sms_window_end)


def customer_send_time(when: datetime, store_id: int | None) -> datetime:
    """The first moment at or after naive-UTC `when` when the store may text (or call) a customer."""
    return next_send_time(when, window_for(store_id), zone_for(store_id))
