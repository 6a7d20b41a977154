"""The door's SQL: the guest read every scan starts with, and a first scan's writes.

A scan reads the guest once, without a lock (`guest_statement`): a guest already in is answered
from that read alone. A first scan then writes everything in one statement on PostgreSQL
(`arrival_statement`: a data-modifying WITH that locks the invitation, inserts the check-in and,
only when that insert went in, moves the lead, records the visit, notifies, marks the invitation
and adds the report aggregates); on SQLite the same statements run one after another
(`arrival_steps`), the check-in's unique keys deciding a race as on PostgreSQL.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache

from sqlalchemy import bindparam, exists, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql

from app.invitations.models import CheckIn, Event, EventDoorCounts, Invitation
from app.invitations.queries import CHECKER, DOOR_COUNTS, OWNER
from app.leads.models import Lead, StageChange
from app.messaging.notify import (
    arrival_notification_params,
    arrival_notification_template,
    arrival_notifications,
)
from app.reports.aggregates import gated_upsert_parts, gated_upserts
from app.showroom.models import ShowroomVisit


@cache
def guest_statement(by_token: bool):
    """One unlocked read of everything a scan needs: the invitation, its lead, the lead owner's
    and the checker's names, whether the lead has been to the showroom before, the check-in this
    client id already recorded for the guest (a resent request), the scanned event (its store, for
    the scope; whether it was cancelled; its theme) and its kept door counts. Parameters: key
    (token or invitation id), client_id, event_id (the scanned event)."""
    visited = exists().where(ShowroomVisit.lead_id == Lead.id)
    own = (
        select(CheckIn.id)
        .where(CheckIn.client_id == bindparam("client_id"), CheckIn.invitation_id == Invitation.id)
        .scalar_subquery()
    )
    key = Invitation.token if by_token else Invitation.id
    return (
        select(
            Invitation.id,
            Invitation.event_id,
            Invitation.status,
            Invitation.token_expires_at,
            Invitation.checked_in_at,
            Invitation.headcount,
            Invitation.actual_headcount,
            Invitation.is_walk_in,
            Invitation.invited_at,
            Lead.id.label("lead_id"),
            Lead.name,
            Lead.phone,
            Lead.owner_id,
            Lead.store_id.label("lead_store_id"),
            Lead.stage_id,
            Lead.version.label("lead_version"),
            Lead.arrived_at,
            Lead.created_at,
            Lead.source_channel_id,
            Lead.grade_id,
            Lead.merged_into_id,
            OWNER.display_name.label("owner_name"),
            CHECKER.display_name.label("checker_name"),
            visited.label("visited"),
            own.label("own_checkin_id"),
            *(getattr(EventDoorCounts, k) for k in DOOR_COUNTS),
            Event.id.label("scanned_event_id"),
            Event.store_id.label("event_store_id"),
            Event.cancelled_at.label("event_cancelled_at"),
            Event.theme.label("event_theme"),
        )
        .join(Lead, Lead.id == Invitation.lead_id)
        .outerjoin(OWNER, OWNER.id == Lead.owner_id)
        .outerjoin(CHECKER, CHECKER.id == Invitation.checked_in_by_id)
        .outerjoin(EventDoorCounts, EventDoorCounts.event_id == bindparam("event_id"))
        .outerjoin(Event, Event.id == bindparam("event_id"))
        .where(key == bindparam("key"))
    )


@dataclass(frozen=True)
class StageMove:
    from_id: int | None
    to_id: int
    lead_version: int


@dataclass(frozen=True)
class Arrival:
    """What a first scan writes, decided in Python from the guest read."""

    event_id: int
    store_id: int  # the event's store: the visit's and the notification's
    invitation_id: int
    invitation_status: object  # as read: the lock re-checks it
    lead_id: int
    owner_id: int | None
    actor_id: int
    client_id: str | None
    device: str | None
    count: int
    now: datetime
    first_visit: bool
    channel_id: int
    move: StageMove | None  # the lead's stage moves to "visited" (None: it stays)
    notification: dict  # keyword arguments of arrival_notifications
    deltas: dict  # report aggregate deltas (app/reports/aggregates.py known_deltas)
    period_deltas: dict  # the move's calendar-period deltas (app/reports/periods.py move_deltas)


def checkin_values(a: Arrival) -> dict:
    return {
        "event_id": a.event_id,
        "invitation_id": a.invitation_id,
        "client_id": a.client_id,
        "checked_in_at": a.now,
        "checked_in_by_id": a.actor_id,
        "headcount": a.count,
        "device": a.device,
    }


# The columns the first scan's statement inserts (the keys of the dicts above and below it fills them from).
CHECKIN_COLUMNS = (
    "event_id",
    "invitation_id",
    "client_id",
    "checked_in_at",
    "checked_in_by_id",
    "headcount",
    "device",
)


def _bound_select(table, names, prefix: str, gate=None, source=None):
    """SELECT of bind parameters `prefix + name` typed as `table`'s columns, FROM `source` / WHERE `gate`."""
    query = select(*[bindparam(prefix + k, type_=table.c[k].type).label(k) for k in names])
    if source is not None:
        query = query.select_from(source)
    return _gated(query, gate)


def _move_values(a: Arrival) -> dict:
    return {
        "lead_id": a.lead_id,
        "lead_version": a.move.lead_version,
        "to_stage_id": a.move.to_id,
        "now": a.now,
        "actor_id": a.actor_id,
    }


def _lead_move(v: dict, gate=None):
    """The lead to "visited", as set_stage does (version counter, arrival time kept when set), from
    the values of `_move_values` or bind parameters of the same names."""
    t = Lead.__table__
    stmt = (
        update(t)
        .where(t.c.id == v["lead_id"], t.c.version == v["lead_version"])
        .values(
            stage_id=v["to_stage_id"],
            stage_changed_at=v["now"],
            stage_changed_by_id=v["actor_id"],
            arrived_at=func.coalesce(t.c.arrived_at, v["now"]),
            version=t.c.version + 1,
            updated_at=v["now"],
        )
    )
    return _gated(stmt, gate)


def _stage_change_values(a: Arrival) -> dict:
    return {
        "lead_id": a.lead_id,
        "from_stage_id": a.move.from_id,
        "to_stage_id": a.move.to_id,
        "user_id": a.actor_id,
        "store_id": a.store_id,
        "created_at": a.now,
    }


STAGE_CHANGE_COLUMNS = ("lead_id", "from_stage_id", "to_stage_id", "user_id", "store_id", "created_at")


def _visit_values(a: Arrival) -> dict:
    return {
        "store_id": a.store_id,
        "lead_id": a.lead_id,
        "consultant_id": a.owner_id,
        "registered_by_id": a.actor_id,
        "event_id": a.event_id,
        "source_channel_id": a.channel_id,
        "arrived_at": a.now,
        "party_size": a.count,
        "is_first_visit": a.first_visit,
        "left_contact": True,
        "test_drive": False,
        "created_at": a.now,
    }


VISIT_COLUMNS = (
    "store_id",
    "lead_id",
    "consultant_id",
    "registered_by_id",
    "event_id",
    "source_channel_id",
    "arrived_at",
    "party_size",
    "is_first_visit",
    "left_contact",
    "test_drive",
    "created_at",
)


def _invitation_values(a: Arrival) -> dict:
    return {"invitation_id": a.invitation_id, "now": a.now, "actor_id": a.actor_id, "count": a.count}


def _invitation_in(v: dict, gate=None):
    """The invitation checked in (its trigger moves the event's door counts), from the values of
    `_invitation_values` or bind parameters of the same names."""
    table = Invitation.__table__
    marked = {
        "checked_in_at": v["now"],
        "checked_in_by_id": v["actor_id"],
        "actual_headcount": v["count"],
        "version": table.c.version + 1,
    }
    return _gated(update(table).where(table.c.id == v["invitation_id"]).values(marked), gate)


# The prefix of the statement's own parameters: a parameter named as a column (event_id) of a
# table that a data-modifying WITH updates would be taken as a value to SET.
OWN = "x_"


def _bound(**types) -> dict:
    """Bind parameters `OWN + name`, typed, by name: the values of a statement built once."""
    return {name: bindparam(OWN + name, type_=type_) for name, type_ in types.items()}


def _gated(statement, gate):
    return statement.where(gate) if gate is not None else statement


def arrival_statement(a: Arrival) -> tuple:
    """PostgreSQL: a first scan's writes in one statement, and its parameters. It locks the
    invitation while it is still not checked in, in this event, with the status the read saw (a
    tablet that checked the guest in meanwhile makes it lock nothing); inserts the check-in (ON
    CONFLICT DO NOTHING: a resent client id or a second check-in of the guest inserts nothing);
    and only when the check-in went in moves the lead to "visited" (the stage change is recorded
    only when the lead row was still at the version read), records the showroom visit, notifies
    the owner or the managers standing in, marks the invitation (its trigger moves the door counts)
    and adds the report aggregates. Its one row — the check-in id, whether the lead moved, and the
    event's door counts as they were when the statement began — or none when nothing was written.

    The statement is built once per shape (whether the lead moves, whether it has an owner, which
    aggregate rows and counters it adds) with bind parameters, and runs with each scan's values:
    built for every scan, its 200 literals cost more Python than the rest of the request."""
    layout, aggregate_values = gated_upsert_parts(a.deltas)
    shape = (a.move is not None, bool(a.notification["owner_id"]), layout)
    own = {"event_id": a.event_id, "invitation_status": a.invitation_status, **_invitation_values(a)}
    if a.move is not None:
        own.update(_move_values(a))
    params = {
        **{OWN + k: v for k, v in own.items()},
        **{f"ci_{k}": v for k, v in checkin_values(a).items()},
        **{f"v_{k}": v for k, v in _visit_values(a).items()},
        **arrival_notification_params(**a.notification),
        **aggregate_values,
    }
    if a.move is not None:
        params.update({f"sc_{k}": v for k, v in _stage_change_values(a).items()})
    return _arrival_template(*shape), params


@lru_cache(maxsize=64)
def _arrival_template(moves: bool, has_owner: bool, layout: tuple):
    """The statement of `arrival_statement` for one shape, its values bind parameters."""
    inv_table, lead_table = Invitation.__table__, Lead.__table__
    own = _bound(
        invitation_id=inv_table.c.id.type,
        event_id=inv_table.c.event_id.type,
        invitation_status=inv_table.c.status.type,
    )
    locked = (
        select(inv_table.c.id)
        .where(
            inv_table.c.id == own["invitation_id"],
            inv_table.c.event_id == own["event_id"],
            inv_table.c.checked_in_at.is_(None),
            inv_table.c.status == own["invitation_status"],
        )
        .with_for_update()
        .cte("inv")
    )
    ins = (
        postgresql.insert(CheckIn.__table__)
        .from_select(CHECKIN_COLUMNS, _bound_select(CheckIn.__table__, CHECKIN_COLUMNS, "ci_", source=locked))
        .on_conflict_do_nothing()
        .returning(CheckIn.__table__.c.id)
        .cte("ins")
    )
    gate = exists(select(ins.c.id))
    writes = []
    moved = literal(False)
    now_type = lead_table.c.updated_at.type
    if moves:
        v = _bound(
            lead_id=lead_table.c.id.type,
            lead_version=lead_table.c.version.type,
            to_stage_id=lead_table.c.stage_id.type,
            now=now_type,
            actor_id=lead_table.c.stage_changed_by_id.type,
        )
        lead = _lead_move(v, gate).returning(lead_table.c.id).cte("moved")
        change = StageChange.__table__
        writes += [
            lead,
            insert(change)
            .from_select(
                STAGE_CHANGE_COLUMNS, _bound_select(change, STAGE_CHANGE_COLUMNS, "sc_", source=lead)
            )
            .cte("change"),
        ]
        moved = exists(select(lead.c.id))
    visit = ShowroomVisit.__table__
    v = _bound(
        invitation_id=inv_table.c.id.type,
        now=now_type,
        actor_id=inv_table.c.checked_in_by_id.type,
        count=inv_table.c.actual_headcount.type,
    )
    writes += [
        insert(visit)
        .from_select(VISIT_COLUMNS, _bound_select(visit, VISIT_COLUMNS, "v_", gate=gate))
        .cte("visit"),
        arrival_notification_template(has_owner, gate=gate).cte("notify"),
        _invitation_in(v, gate).cte("invitation"),
    ]
    writes += [stmt.cte(f"aggregate_{i}") for i, stmt in enumerate(gated_upserts(layout, gate))]
    return (
        select(ins.c.id, moved.label("moved"), *(getattr(EventDoorCounts, k) for k in DOOR_COUNTS))
        .select_from(ins)
        .outerjoin(EventDoorCounts, EventDoorCounts.event_id == own["event_id"])
        .add_cte(*writes)
    )


def arrival_steps(a: Arrival) -> list:
    """SQLite (or any database): the writes of `arrival_statement` after its check-in went in,
    one statement each, in its order: the lead's move (check its row count: 0 means the lead
    changed since the read) and its stage change, the visit, the notifications, the invitation."""
    steps = []
    if a.move is not None:
        steps += [_lead_move(_move_values(a)), insert(StageChange.__table__).values(_stage_change_values(a))]
    steps += [
        insert(ShowroomVisit.__table__).values(_visit_values(a)),
        arrival_notifications(**a.notification),
        _invitation_in(_invitation_values(a)),
    ]
    return steps
