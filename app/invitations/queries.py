"""Reads for event, campaign and check-in pages and the invitation metrics (one grouped query each).

`invitation_counts` is the one query behind every invitation figure (event page, metrics page,
campaign page, reports and their exports, the monthly PDF, the consultant dashboard).
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import Integer, Select, and_, any_, bindparam, case, exists, func, literal_column, or_, select
from sqlalchemy.orm import aliased

from app.accounts.models import Role, Store, User
from app.core.phones import normalize_phone
from app.extensions import db
from app.files.models import StoredFile
from app.invitations import rules
from app.invitations.calls import CallRow
from app.invitations.models import Campaign, CampaignMember, CheckIn, Event, EventDoorCounts, Invitation
from app.invitations.models import InvitationStatus as S
from app.leads.models import Lead, LeadOrder

ORDER_WINDOW_DAYS = 30

# Built once: an aliased entity adapts its columns on first use, so a fresh alias per call
# costs about a millisecond of Python on every door request.
INVITER = aliased(User, name="inviter")
CHECKER = aliased(User, name="checker")
OWNER = aliased(User, name="owner")  # the consultant who owns the guest's lead (shown at the door)


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# The definitions of the invitation figures (docs/figures.md); every page, export and report reads
# them through `invitation_counts` (or the door's lighter statement built from the same conditions).
NOT_WALK_IN = Invitation.is_walk_in.is_(False)
INVITED = and_(NOT_WALK_IN, Invitation.invited_at.is_not(None))
RESPONDED = and_(INVITED, Invitation.responded_at.is_not(None))
ACCEPTED = and_(INVITED, Invitation.status == S.ACCEPTED)
DECLINED = and_(INVITED, Invitation.status == S.DECLINED)
CONFIRMED = and_(ACCEPTED, Invitation.confirmed_at.is_not(None))
CHECKED_IN = Invitation.checked_in_at.is_not(None)
ARRIVED = and_(ACCEPTED, CHECKED_IN)
CAME_UNANSWERED = and_(
    NOT_WALK_IN, CHECKED_IN, or_(Invitation.invited_at.is_(None), Invitation.status != S.ACCEPTED)
)
WALK_IN = and_(Invitation.is_walk_in.is_(True), CHECKED_IN)


def _orders_column(offset_minutes: int):
    """Guests (walk-ins included) with an order from the event's local day to 30 days after it."""
    from app.reports.sqlutil import local_date_plus

    ordered = exists().where(
        LeadOrder.lead_id == Invitation.lead_id,
        LeadOrder.order_date >= local_date_plus(Event.starts_at, offset_minutes),
        LeadOrder.order_date <= local_date_plus(Event.starts_at, offset_minutes, ORDER_WINDOW_DAYS),
    )
    return _sum(and_(or_(INVITED, CHECKED_IN), ordered)).label("orders")


def _counts(offset_minutes: int | None = None):
    """The funnel columns, as aggregate expressions over Invitation (orders need Event joined)."""
    columns = [
        _sum(INVITED).label("invited"),
        _sum(RESPONDED).label("responded"),
        _sum(ACCEPTED).label("accepted"),
        _sum(DECLINED).label("declined"),
        _sum(CONFIRMED).label("confirmed"),
        _sum(ARRIVED).label("arrived"),
        _sum(CAME_UNANSWERED).label("came_unanswered"),
        _sum(WALK_IN).label("walk_ins"),
        func.coalesce(func.sum(case((ACCEPTED, Invitation.headcount), else_=0)), 0).label("accepted_people"),
        func.coalesce(func.sum(Invitation.actual_headcount), 0).label("arrived_people"),
        func.count(Invitation.id).label("total"),
    ]
    if offset_minutes is not None:
        columns.append(_orders_column(offset_minutes))
    return tuple(columns)


COUNT_KEYS = (
    "invited",
    "responded",
    "accepted",
    "declined",
    "confirmed",
    "arrived",
    "came_unanswered",
    "walk_ins",
    "accepted_people",
    "arrived_people",
    "total",
    "orders",
)


@dataclass
class Funnel:
    """invited → accepted → confirmed → arrived; guests who came without accepting and walk-ins
    on their own; the three rates from `rules` (success, feedback, attendance)."""

    invited: int = 0
    responded: int = 0
    accepted: int = 0
    declined: int = 0
    confirmed: int = 0
    arrived: int = 0
    came_unanswered: int = 0
    walk_ins: int = 0
    accepted_people: int = 0
    arrived_people: int = 0
    total: int = 0
    orders: int = 0
    key: object = None
    label: str = ""
    goal: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def success_rate(self):
        return rules.success_rate(self.accepted, self.invited)

    @property
    def feedback_rate(self):
        return rules.feedback_rate(self.responded, self.invited)

    @property
    def attendance_rate(self):
        return rules.attendance_rate(self.arrived, self.accepted)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in COUNT_KEYS}


def _funnel(row, **kw) -> Funnel:
    data = {k: int(getattr(row, k, 0) or 0) for k in COUNT_KEYS}
    return Funnel(**data, **kw)


def _offset(tz: str | None, when: datetime | None = None) -> int:
    from app.core.timeutil import utc_offset_minutes

    return utc_offset_minutes(tz, when)


GROUPS = {"campaign", "event", "inviter", "consultant", "dcc"}
DIMENSIONS = {"event", "campaign", "inviter", "consultant", "dcc", "store"}


def invitation_counts(
    by: str | None = None,
    *,
    event_ids: list[int] | None = None,
    store_ids: list[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    campaign_id: int | None = None,
    inviter_id: int | None = None,
    conditions=(),
    tz: str | None = None,
    with_orders: bool = True,
    skip_cancelled: bool = False,
    refine=None,
    limit: int = 500,
) -> list[Funnel]:
    """THE invitation figures: one grouped query over invitations joined with their event.

    `by`: None (one total row), event, campaign, inviter, consultant, dcc or store; each row has
    a `key` and a `label`. `since`/`until` bound the event start (UTC); `conditions` are extra
    WHERE clauses; `refine(stmt)` may add joins and clauses (the reports' scope). Orders are counted from the event's local day in `tz`.
    """
    if by is not None and by not in DIMENSIONS:
        raise ValueError(by)
    columns = _counts(_offset(tz) if with_orders else None)
    stmt = select(*columns).select_from(Invitation).join(Event, Event.id == Invitation.event_id)
    if by == "campaign":
        stmt = (
            stmt.outerjoin(Campaign, Campaign.id == Invitation.campaign_id)
            .add_columns(Invitation.campaign_id.label("key"), Campaign.name.label("label"))
            .group_by(Invitation.campaign_id, Campaign.name)
        )
    elif by == "event":
        stmt = stmt.add_columns(Event.id.label("key"), Event.theme.label("label")).group_by(
            Event.id, Event.theme
        )
    elif by == "store":
        stmt = (
            stmt.join(Store, Store.id == Invitation.store_id)
            .add_columns(Invitation.store_id.label("key"), Store.name.label("label"))
            .group_by(Invitation.store_id, Store.name)
        )
    elif by is not None:
        stmt = (
            stmt.join(User, User.id == Invitation.inviter_id)
            .add_columns(User.id.label("key"), User.display_name.label("label"))
            .group_by(User.id, User.display_name)
        )
        if by == "consultant":
            stmt = stmt.where(User.role == Role.CONSULTANT)
        elif by == "dcc":
            stmt = stmt.where(User.role == Role.DCC)
    if event_ids is not None:
        stmt = stmt.where(Invitation.event_id.in_(event_ids or [-1]))
    if store_ids is not None:
        stmt = stmt.where(Invitation.store_id.in_(store_ids or [-1]))
    if since is not None:
        stmt = stmt.where(Event.starts_at >= since)
    if until is not None:
        stmt = stmt.where(Event.starts_at < until)
    if campaign_id is not None:
        stmt = stmt.where(Invitation.campaign_id == campaign_id)
    if inviter_id is not None:
        stmt = stmt.where(Invitation.inviter_id == inviter_id)
    if skip_cancelled:
        stmt = stmt.where(Event.cancelled_at.is_(None))
    for condition in conditions:
        stmt = stmt.where(condition)
    if refine is not None:
        stmt = refine(stmt)
    if by is None:
        return [_funnel(db.session.execute(stmt).one())]
    rows = db.session.execute(stmt.order_by("label").limit(limit)).all()
    return [_funnel(r, key=r.key, label=r.label or "") for r in rows]


def funnel(event_id: int) -> Funnel:
    """Return the live funnel of one event (one grouped query), orders in the event store's days."""
    from app.core.timeutil import zone_for

    event = db.session.get(Event, event_id)
    result = invitation_counts(event_ids=[event_id], tz=zone_for(event))[0]
    result.key = event_id
    return result


def _event_image(event_id) -> Select:
    return select(StoredFile.id).where(
        StoredFile.owner_type == "event", StoredFile.owner_id == event_id, StoredFile.role == "image"
    )


def event_image_args(event_id: int) -> dict | None:
    """The address arguments of an event's cover image (`rsvp.event_image`), or None without one.

    The address holds the stored file's id and its name, which carries a digest of the content:
    a new image has a new address even where a database hands out a deleted row's id again
    (SQLite), so the address can be cached for good."""
    stmt = _event_image(event_id).add_columns(StoredFile.filename).order_by(StoredFile.id.desc()).limit(1)
    row = db.session.execute(stmt).first()
    return {"event_id": event_id, "file_id": row.id, "name": row.filename} if row else None


def event_image(event_id: int, file_id: int, name: str):
    """(content, content type) of the event's cover image stored as `file_id` named `name`, else None.

    A replaced image's row is deleted (save_file replaces), so an old address finds nothing."""
    stmt = (
        _event_image(event_id)
        .with_only_columns(StoredFile.content, StoredFile.content_type)
        .join(Event, Event.id == StoredFile.owner_id)
        .where(StoredFile.id == file_id, StoredFile.filename == name)
    )
    return db.session.execute(stmt).first()


def invitation_metrics(
    group: str,
    *,
    store_ids: list[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    campaign_id: int | None = None,
    event_id: int | None = None,
    tz: str | None = None,
    limit: int = 500,
) -> list[Funnel]:
    """Funnels with success, feedback and attendance rates grouped by campaign, event, inviter,
    consultant or dcc (the metrics and campaign pages). `since`/`until` bound the event start (UTC)."""
    if group not in GROUPS:
        raise ValueError(group)
    return invitation_counts(
        group,
        store_ids=store_ids,
        since=since,
        until=until,
        campaign_id=campaign_id,
        event_ids=[event_id] if event_id is not None else None,
        tz=tz,
        limit=limit,
    )


# ---- events -----------------------------------------------------------------------------------


def events_for(user, *, upcoming_only: bool = False, now: datetime | None = None, limit: int = 100) -> list:
    """Events in the user's stores, newest first, each with its funnel counts (one query)."""
    from app.web.permissions import store_scope_ids

    counts = (
        select(Invitation.event_id.label("event_id"), *_counts()).group_by(Invitation.event_id).subquery()
    )
    stmt = (
        select(Event, Store.name, counts)
        .join(Store, Store.id == Event.store_id)
        .outerjoin(counts, counts.c.event_id == Event.id)
    )
    ids = store_scope_ids(user)
    if ids is not None:
        stmt = stmt.where(Event.store_id.in_(ids or [-1]))
    if upcoming_only and now is not None:
        stmt = stmt.where(Event.ends_at >= now)
    rows = db.session.execute(stmt.order_by(Event.starts_at.desc()).limit(limit)).all()
    return [(row[0], row[1], _funnel(row, key=row[0].id)) for row in rows]


GUEST_FILTERS = {"all", "accepted", "confirmed", "arrived", "walk_in", "declined", "todo"}


def guests(event_id: int, status: str = "accepted", *, lead_scope=None, limit: int = 200) -> list:
    """Guests of an event with their inviter (one query): (invitation, lead name, phone, inviter)."""
    inviter = INVITER
    stmt = (
        select(Invitation, Lead.name, Lead.phone, Lead.owner_id, Lead.dcc_agent_id, inviter.display_name)
        .join(Lead, Lead.id == Invitation.lead_id)
        .outerjoin(inviter, inviter.id == Invitation.inviter_id)
        .where(Invitation.event_id == event_id)
    )
    if status == "accepted":
        stmt = stmt.where(Invitation.status == S.ACCEPTED, Invitation.is_walk_in.is_(False))
    elif status == "confirmed":
        stmt = stmt.where(Invitation.confirmed_at.is_not(None))
    elif status == "arrived":
        stmt = stmt.where(Invitation.checked_in_at.is_not(None))
    elif status == "walk_in":
        stmt = stmt.where(Invitation.is_walk_in.is_(True))
    elif status == "declined":
        stmt = stmt.where(Invitation.status == S.DECLINED)
    elif status == "todo":
        stmt = stmt.where(Invitation.status.in_([S.TODO, S.NO_ANSWER, S.INVITED]))
    if lead_scope is not None:
        stmt = stmt.where(lead_scope)
    return db.session.execute(stmt.order_by(Lead.name, Invitation.id).limit(limit)).all()


# ---- campaigns --------------------------------------------------------------------------------


def campaigns_for(user, limit: int = 100) -> list:
    """Campaigns in the user's stores (consultants and DCC agents: those they invite for)."""
    from app.web.permissions import store_scope_ids

    stmt = select(Campaign, Event.theme).outerjoin(Event, Event.id == Campaign.event_id)
    if user.role in (Role.CONSULTANT, Role.DCC):
        stmt = stmt.where(
            Campaign.id.in_(select(CampaignMember.campaign_id).where(CampaignMember.user_id == user.id))
        )
    else:
        ids = store_scope_ids(user)
        if ids is not None:
            stmt = stmt.where(Campaign.store_id.in_(ids or [-1]))
    return db.session.execute(stmt.order_by(Campaign.starts_on.desc(), Campaign.id.desc()).limit(limit)).all()


def get_campaign_for(user, campaign_id: int) -> Campaign | None:
    """Load a campaign the user may see (None when out of scope)."""
    rows = [c for c, _ in campaigns_for_ids(user, [campaign_id])]
    return rows[0] if rows else None


def campaigns_for_ids(user, ids: list[int]) -> list:
    from app.web.permissions import store_scope_ids

    stmt = (
        select(Campaign, Event.theme)
        .outerjoin(Event, Event.id == Campaign.event_id)
        .where(Campaign.id.in_(ids))
    )
    if user.role in (Role.CONSULTANT, Role.DCC):
        stmt = stmt.where(
            Campaign.id.in_(select(CampaignMember.campaign_id).where(CampaignMember.user_id == user.id))
        )
    else:
        scope = store_scope_ids(user)
        if scope is not None:
            stmt = stmt.where(Campaign.store_id.in_(scope or [-1]))
    return db.session.execute(stmt).all()


def progress_by_inviter(campaign_id: int) -> list[Funnel]:
    """Each inviter's funnel against their goal (one grouped query)."""
    stmt = (
        select(
            CampaignMember.user_id.label("key"),
            User.display_name.label("label"),
            CampaignMember.goal_accepted.label("goal"),
            *_counts(),
        )
        .select_from(CampaignMember)
        .join(User, User.id == CampaignMember.user_id)
        .outerjoin(
            Invitation,
            and_(
                Invitation.campaign_id == CampaignMember.campaign_id,
                Invitation.inviter_id == CampaignMember.user_id,
            ),
        )
        .where(CampaignMember.campaign_id == campaign_id)
        .group_by(CampaignMember.user_id, User.display_name, CampaignMember.goal_accepted)
        .order_by(User.display_name)
    )
    return [_funnel(r, key=r.key, label=r.label, goal=r.goal) for r in db.session.execute(stmt).all()]


def _call_columns():
    """The columns one call-list row shows: the invitation and what the inviter needs of the lead."""
    return select(
        Invitation,
        Lead.name,
        Lead.phone,
        Lead.phone_last4,
        Lead.grade_id,
        Lead.owner_id,
        Lead.dcc_agent_id,
        Lead.marketing_consent,
        Lead.sms_opt_out_at,
        Lead.email_opt_out_at,
        Lead.email,
    ).join(Lead, Lead.id == Invitation.lead_id)


def call_list(
    campaign_id: int, inviter_id: int, now: datetime, *, done: bool = False, limit: int = 50
) -> list[CallRow]:
    """The inviter's calls: due ones first (to do, no answer whose retry time has come), or done ones."""
    stmt = _call_columns().where(Invitation.campaign_id == campaign_id, Invitation.inviter_id == inviter_id)
    if done:
        stmt = stmt.where(
            Invitation.status.in_([S.ACCEPTED, S.DECLINED, S.WRONG_NUMBER, S.INVITED, S.CANCELLED])
        ).order_by(Invitation.responded_at.desc(), Invitation.id.desc())
    else:
        stmt = stmt.where(
            or_(
                Invitation.status == S.TODO,
                and_(
                    Invitation.status == S.NO_ANSWER,
                    or_(Invitation.retry_at.is_(None), Invitation.retry_at <= now),
                ),
            )
        )
        stmt = stmt.order_by(Invitation.retry_at.is_not(None).cast(Integer), Invitation.id)
    return [CallRow.from_columns(row) for row in db.session.execute(stmt.limit(limit)).all()]


def call_row(invitation_id: int) -> CallRow:
    """One row of the call list (same columns as call_list)."""
    stmt = _call_columns().where(Invitation.id == invitation_id)
    return CallRow.from_columns(db.session.execute(stmt).one())


def invitation_sends(invitation_ids: list[int]) -> dict[int, dict[str, datetime]]:
    """When each invitation was last sent, per channel (suppressed attempts and reminders left out)."""
    from app.messaging.models import Message, MessageStatus

    if not invitation_ids:
        return {}
    rows = db.session.execute(
        select(Message.invitation_id, Message.channel, func.max(Message.created_at))
        .where(
            Message.invitation_id.in_(invitation_ids),
            Message.idempotency_key.like("invite-%"),
            Message.status.not_in([MessageStatus.SUPPRESSED, MessageStatus.RECEIVED]),
        )
        .group_by(Message.invitation_id, Message.channel)
    ).all()
    sends: dict[int, dict[str, datetime]] = {}
    for invitation_id, channel, at in rows:
        sends.setdefault(invitation_id, {})[channel] = at
    return sends


def lead_invitations(lead_ids: int | list[int], limit: int = 20) -> list:
    """The invitations of a lead (or of some leads) with their event's theme and start, the latest
    event first (the lead page's panel and timeline)."""
    ids = [lead_ids] if isinstance(lead_ids, int) else list(lead_ids)
    return db.session.execute(
        select(Invitation, Event.theme, Event.starts_at)
        .join(Event, Event.id == Invitation.event_id)
        .where(Invitation.lead_id.in_(ids))
        .order_by(Event.starts_at.desc())
        .limit(limit)
    ).all()


def open_events(store_id: int, now: datetime, limit: int = 20) -> list[Event]:
    """Upcoming events of a store (to invite a customer to)."""
    return list(
        db.session.execute(
            select(Event)
            .where(Event.store_id == store_id, Event.ends_at >= now, Event.cancelled_at.is_(None))
            .order_by(Event.starts_at)
            .limit(limit)
        ).scalars()
    )


# ---- check-in ---------------------------------------------------------------------------------

MAX_TAIL_MATCHES = 5000  # customers sharing a phone tail: about 100 per million


def search_guests(event_id: int, q: str, limit: int = 10, *, stores: list[int] | None = None) -> list:
    """Find guests of an event by phone tail (4 digits), full phone or name prefix (index-backed),
    with their lead owner's and checker's names: one statement.

    `stores`: the event must belong to one of these stores (None: any). The door checks the
    event's scope here rather than in a statement of its own; an empty answer leaves it to the
    caller to tell "no such guest" from "no such event"."""
    text = (q or "").strip()
    if not text:
        return []
    checker, owner = CHECKER, OWNER
    stmt = (
        select(Invitation, Lead.name, Lead.phone, owner.display_name, checker.display_name)
        .join(Lead, Lead.id == Invitation.lead_id)
        .outerjoin(owner, owner.id == Lead.owner_id)
        .outerjoin(checker, checker.id == Invitation.checked_in_by_id)
    )
    if stores is not None:
        # Not correlated with the rows: checked once (a join would offer the planner a way in
        # through the event's invitations).
        stmt = stmt.where(exists().where(Event.id == event_id, Event.store_id.in_(stores or [-1])))
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) == len(text.replace(" ", "")):
        if len(digits) == 4:
            matching = select(Lead.id).where(Lead.phone_last4 == digits)
        else:
            try:
                matching = select(Lead.id).where(Lead.phone == normalize_phone(digits))
            except ValueError:
                return []
        stmt = stmt.where(_lead_id_among(matching.limit(MAX_TAIL_MATCHES)), _event_unindexed(event_id))
    else:
        stmt = stmt.where(Invitation.event_id == event_id, Lead.name.startswith(text, autoescape=True))
    return db.session.execute(stmt.order_by(Lead.name).limit(limit)).all()


def _lead_id_among(matching: Select):
    """`invitations.lead_id` among the leads `matching` finds (a few per phone tail). On
    PostgreSQL the ids are an array computed first (`= ANY(ARRAY(…))`), which the lead-id index
    takes whole; with a plain `IN (subquery)` the planner may loop over the event's invitations."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Invitation.lead_id == any_(func.array(matching.scalar_subquery()))
    return Invitation.lead_id.in_(matching)


def _event_unindexed(event_id: int):
    """`invitations.event_id = event_id`, written so that no index serves it (`event_id + 0`):
    the phone's few leads then find their invitations by the lead-id index and keep this event's.
    Written plainly, a planner whose statistics do not know a new event's invitations yet (a
    campaign just imported them) expects one row for the event and walks all its invitations
    instead (5,000 rows: 2.9 ms against 0.4 ms)."""
    return (Invitation.event_id + literal_column("0")) == event_id


def door_guest(invitation_id: int):
    """One guest for the door result: (invitation, name, phone, owner name, checked-in-by name)."""
    checker, owner = CHECKER, OWNER
    return db.session.execute(
        select(Invitation, Lead.name, Lead.phone, owner.display_name, checker.display_name)
        .join(Lead, Lead.id == Invitation.lead_id)
        .outerjoin(owner, owner.id == Lead.owner_id)
        .outerjoin(checker, checker.id == Invitation.checked_in_by_id)
        .where(Invitation.id == invitation_id)
    ).one()


@cache
def _door_counts_statement():
    """The door's counters counted over the event's invitations, built once and run with the event
    id bound. The door reads the kept counts instead (`door_counters`); this is their definition,
    and what a test compares them with."""
    return select(
        _sum(ACCEPTED).label("expected"),
        func.coalesce(func.sum(case((ACCEPTED, Invitation.headcount), else_=0)), 0).label("expected_people"),
        _sum(ARRIVED).label("accepted_arrived"),
        _sum(CAME_UNANSWERED).label("came_unanswered"),
        _sum(WALK_IN).label("walk_ins"),
        func.coalesce(func.sum(Invitation.actual_headcount), 0).label("arrived_people"),
    ).where(Invitation.event_id == bindparam("event_id"))


DOOR_COUNTS = (
    "expected",
    "expected_people",
    "accepted_arrived",
    "came_unanswered",
    "walk_ins",
    "arrived_people",
)


@cache
def _kept_counts_statement():
    return select(*(getattr(EventDoorCounts, key) for key in DOOR_COUNTS)).where(
        EventDoorCounts.event_id == bindparam("event_id")
    )


def _with_arrived(counts: dict) -> dict:
    counts["arrived"] = counts["accepted_arrived"] + counts["came_unanswered"] + counts["walk_ins"]
    return counts


def door_counters(event_id: int) -> dict:
    """Live door counters: expected guests and people, guests and people in, walk-ins.
    The same conditions as the event's `funnel`; "arrived" at the door is every guest in: accepted
    guests, guests who came without accepting, and walk-ins. One primary-key read of the counts
    the database keeps on every invitation change (`EventDoorCounts`); an event without
    invitations has no row yet and counts nothing."""
    row = db.session.execute(_kept_counts_statement(), {"event_id": event_id}).first()
    return _with_arrived({key: int(row[i]) if row is not None else 0 for i, key in enumerate(DOOR_COUNTS)})


def door_counters_counted(event_id: int) -> dict:
    """The same counters counted over the event's invitations (their definition)."""
    row = db.session.execute(_door_counts_statement(), {"event_id": event_id}).one()
    return _with_arrived({key: int(getattr(row, key) or 0) for key in row._fields})


def recent_checkins(event_id: int, limit: int = 8) -> list:
    """The latest arrivals at the door (name, time, headcount, by whom)."""
    checker = CHECKER
    return db.session.execute(
        select(
            CheckIn.checked_in_at, CheckIn.headcount, Lead.name, checker.display_name, Invitation.is_walk_in
        )
        .join(Invitation, Invitation.id == CheckIn.invitation_id)
        .join(Lead, Lead.id == Invitation.lead_id)
        .outerjoin(checker, checker.id == CheckIn.checked_in_by_id)
        .where(CheckIn.event_id == event_id)
        .order_by(CheckIn.id.desc())
        .limit(limit)
    ).all()


def campaign_event_choices(store_ids: list[int], now: datetime, keep_event_id: int | None = None) -> list:
    """(id, theme) of the events a campaign may be linked to: those of the stores not yet over.

    The event a campaign is already linked to stays in the list even when it is over.
    """
    events = db.session.execute(
        select(Event.id, Event.theme)
        .where(Event.store_id.in_(store_ids or [-1]), Event.ends_at >= now)
        .order_by(Event.starts_at)
        .limit(100)
    ).all()
    if keep_event_id and keep_event_id not in [e for e, _ in events]:
        events.append((keep_event_id, db.session.get(Event, keep_event_id).theme))
    return events


def campaign_member_choices(store_ids: list[int]) -> list:
    """(id, name, role) of the active staff of the stores who may call for a campaign."""
    return db.session.execute(
        select(User.id, User.display_name, User.role)
        .where(
            User.store_id.in_(store_ids or [-1]),
            User.active.is_(True),
            User.role.in_([Role.CONSULTANT, Role.DCC, Role.MANAGER, Role.MARKETING]),
        )
        .order_by(User.role, User.display_name)
        .limit(300)
    ).all()


def campaign_member_ids(campaign_id: int) -> list[int]:
    """The ids of a campaign's inviters."""
    return list(
        db.session.execute(
            select(CampaignMember.user_id).where(CampaignMember.campaign_id == campaign_id)
        ).scalars()
    )
