"""A customer has arrived (door check-in or showroom reception): tell whoever must go and greet them.

The lead's owner gets an in-app notification in the same transaction as the arrival; when the
owner is away (no owner, deactivated, or on leave today) the store's managers get it instead; the
store's WeCom robot, when it has one, hears it too. On the door's hot path this costs one INSERT …
SELECT (plus one outbox INSERT with a robot): the store comes from the session (it is the signed-in
user's), the owner's name from the statement that already read the guest.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.accounts.models import Store
from app.core.timeutil import to_local, zone_for
from app.extensions import db
from app.messaging.notify import alert_store, notify_arrival

ENDPOINT = "leads.lead_detail"


@dataclass(frozen=True)
class ArrivalNotice:
    """The texts of one arrival, in the store's language and local time."""

    owner_text: str
    stand_in_text: str
    store_text: str
    args: dict
    day: date
    store: Store | None

    def notification(self, *, owner_id: int | None, store_id: int, now: datetime) -> dict:
        """Keyword arguments of `notify_arrival` / `arrival_notifications`."""
        return {
            "owner_id": owner_id,
            "store_id": store_id,
            "owner_text": self.owner_text,
            "stand_in_text": self.stand_in_text,
            "endpoint": ENDPOINT,
            "args": self.args,
            "day": self.day,
            "now": now,
        }


def arrival_notice(
    lead_id: int,
    lead_name: str,
    owner_name: str | None,
    *,
    store_id: int,
    actor,
    now: datetime,
    event_theme: str | None = None,
) -> ArrivalNotice:
    """What the owner, the managers standing in and the store's robot are told (no SQL when the
    store is in the session)."""
    store = db.session.get(Store, store_id)
    local = to_local(now, zone_for(store if store is not None else store_id))
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        where = (
            _("event: %(event)s, checked in by %(who)s", event=event_theme, who=actor.display_name)
            if event_theme
            else _("showroom, registered by %(who)s", who=actor.display_name)
        )
        values = {
            "name": lead_name,
            "time": local.strftime("%H:%M"),
            "where": where,
            "owner": owner_name or _("not assigned"),
        }
        owner_text = _("Your customer %(name)s arrived at %(time)s (%(where)s)", **values)
        stand_in_text = _(
            "Customer %(name)s arrived at %(time)s; their consultant (%(owner)s) is away, "
            "please receive them (%(where)s)",
            **values,
        )
        store_text = _("%(owner)s's customer %(name)s arrived at %(time)s (%(where)s)", **values)
    return ArrivalNotice(owner_text, stand_in_text, store_text, {"lead_id": lead_id}, local.date(), store)


def alert_store_of_arrival(notice: ArrivalNotice, store_id: int) -> bool:
    """The store robot's message about the arrival, when the store has a robot."""
    return alert_store(store_id, notice.store_text, ENDPOINT, notice.args, store=notice.store)


def announce_arrival(
    lead, owner_name: str | None, *, store_id: int, actor, now: datetime, event_theme: str | None = None
) -> None:
    """Notify the owner (or the managers standing in) and the store's robot that `lead` is here."""
    notice = arrival_notice(
        lead.id, lead.name, owner_name, store_id=store_id, actor=actor, now=now, event_theme=event_theme
    )
    notify_arrival(**notice.notification(owner_id=lead.owner_id, store_id=store_id, now=now))
    alert_store_of_arrival(notice, store_id)
