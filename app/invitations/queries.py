"""Reads for event, campaign and check-in pages and the invitation metrics (one grouped query each).

The report pages may call `funnel`, `invitation_metrics` and `orders_after_events` directly.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Integer, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased

from app.accounts.models import Role, Store, User
from app.core.phones import normalize_phone
from app.extensions import db
from app.invitations import rules
from app.invitations.models import Campaign, CampaignMember, CheckIn, Event, Invitation
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


def _counts():
    """The funnel columns, as aggregate expressions over Invitation."""
    invited = and_(Invitation.is_walk_in.is_(False), Invitation.invited_at.is_not(None))
    return (
        _sum(invited).label("invited"),
        _sum(and_(Invitation.is_walk_in.is_(False), Invitation.responded_at.is_not(None))).label("responded"),
        _sum(and_(Invitation.is_walk_in.is_(False), Invitation.status == S.ACCEPTED)).label("accepted"),
        _sum(and_(Invitation.is_walk_in.is_(False), Invitation.status == S.DECLINED)).label("declined"),
        _sum(and_(Invitation.is_walk_in.is_(False), Invitation.confirmed_at.is_not(None))).label("confirmed"),
        _sum(and_(Invitation.is_walk_in.is_(False), Invitation.checked_in_at.is_not(None))).label("arrived"),
        _sum(Invitation.is_walk_in.is_(True)).label("walk_ins"),
        func.coalesce(func.sum(case((and_(Invitation.is_walk_in.is_(False), Invitation.status == S.ACCEPTED),
                                      Invitation.headcount), else_=0)), 0).label("accepted_people"),
        func.coalesce(func.sum(Invitation.actual_headcount), 0).label("arrived_people"),
        func.count(Invitation.id).label("total"),
    )


@dataclass
class Funnel:
    """invited → accepted → confirmed → arrived, plus walk-ins, with the three rates."""

    invited: int = 0
    responded: int = 0
    accepted: int = 0
    declined: int = 0
    confirmed: int = 0
    arrived: int = 0
    walk_ins: int = 0
    accepted_people: int = 0
    arrived_people: int = 0
    total: int = 0
    key: object = None
    label: str = ""
    goal: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def success_rate(self):
        return rules.rate(self.accepted, self.invited)

    @property
    def feedback_rate(self):
        return rules.rate(self.responded, self.invited)

    @property
    def attendance_rate(self):
        return rules.rate(self.arrived, self.accepted)


def _funnel(row, **kw) -> Funnel:
    data = {k: int(getattr(row, k) or 0) for k in ("invited", "responded", "accepted", "declined", "confirmed",
                                                    "arrived", "walk_ins", "accepted_people", "arrived_people",
                                                    "total")}
    return Funnel(**data, **kw)


def funnel(event_id: int) -> Funnel:
    """Return the live funnel of one event (one grouped query)."""
    row = db.session.execute(select(*_counts()).where(Invitation.event_id == event_id)).one()
    return _funnel(row, key=event_id)


GROUPS = {"campaign", "event", "inviter", "consultant", "dcc"}


def invitation_metrics(group: str, *, store_ids: list[int] | None = None, since: datetime | None = None,
                       until: datetime | None = None, campaign_id: int | None = None,
                       event_id: int | None = None, limit: int = 500) -> list[Funnel]:
    """Return funnels with success, feedback and attendance rates grouped by campaign, event,
    inviter, consultant or dcc (one grouped query). `since`/`until` bound the event start (UTC)."""
    if group not in GROUPS:
        raise ValueError(group)
    stmt = select(*_counts()).select_from(Invitation).join(Event, Event.id == Invitation.event_id)
    if group == "campaign":
        stmt = stmt.join(Campaign, Campaign.id == Invitation.campaign_id).add_columns(
            Campaign.id.label("key"), Campaign.name.label("label")).group_by(Campaign.id, Campaign.name)
    elif group == "event":
        stmt = stmt.add_columns(Event.id.label("key"), Event.theme.label("label")).group_by(Event.id, Event.theme)
    else:
        stmt = stmt.join(User, User.id == Invitation.inviter_id).add_columns(
            User.id.label("key"), User.display_name.label("label")).group_by(User.id, User.display_name)
        if group == "consultant":
            stmt = stmt.where(User.role == Role.CONSULTANT)
        elif group == "dcc":
            stmt = stmt.where(User.role == Role.DCC)
    if store_ids is not None:
        stmt = stmt.where(Event.store_id.in_(store_ids or [-1]))
    if since is not None:
        stmt = stmt.where(Event.starts_at >= since)
    if until is not None:
        stmt = stmt.where(Event.starts_at < until)
    if campaign_id is not None:
        stmt = stmt.where(Invitation.campaign_id == campaign_id)
    if event_id is not None:
        stmt = stmt.where(Invitation.event_id == event_id)
    rows = db.session.execute(stmt.order_by("label").limit(limit)).all()
    return [_funnel(r, key=r.key, label=r.label) for r in rows]


def orders_after_events(event_ids: list[int], days: int = ORDER_WINDOW_DAYS) -> dict[int, dict]:
    """Return, per event, orders placed by its invitees (or walk-ins) within `days` of the event day."""
    if not event_ids:
        return {}
    start_day = func.date(Event.starts_at)
    rows = db.session.execute(
        select(Event.id, func.count(func.distinct(LeadOrder.id)), func.coalesce(func.sum(LeadOrder.amount), 0))
        .join(Invitation, Invitation.event_id == Event.id)
        .join(LeadOrder, LeadOrder.lead_id == Invitation.lead_id)
        .where(Event.id.in_(event_ids), LeadOrder.order_date >= start_day,
               LeadOrder.order_date <= _plus_days(start_day, days))
        .group_by(Event.id)
    ).all()
    return {eid: {"orders": int(n), "amount": amount} for eid, n, amount in rows}


def _plus_days(day_expr, days: int):
    if db.engine.dialect.name == "postgresql":
        return func.cast(day_expr, db.Date) + days
    return func.date(day_expr, f"+{int(days)} days")


# ---- events -----------------------------------------------------------------------------------

def events_for(user, *, upcoming_only: bool = False, now: datetime | None = None, limit: int = 100) -> list:
    """Events in the user's stores, newest first, each with its funnel counts (one query)."""
    from app.web.permissions import store_scope_ids

    counts = (select(Invitation.event_id.label("event_id"), *_counts()).group_by(Invitation.event_id)
              .subquery())
    stmt = (select(Event, Store.name, counts).join(Store, Store.id == Event.store_id)
            .outerjoin(counts, counts.c.event_id == Event.id))
    ids = store_scope_ids(user)
    if ids is not None:
        stmt = stmt.where(Event.store_id.in_(ids or [-1]))
    if upcoming_only and now is not None:
        stmt = stmt.where(Event.ends_at >= now)
    rows = db.session.execute(stmt.order_by(Event.starts_at.desc()).limit(limit)).all()
    return [(row[0], row[1], _funnel(row, key=row[0].id)) for row in rows]


def get_event_for(user, event_id: int) -> Event | None:
    """Load an event in the user's stores (None when out of scope)."""
    from app.web.permissions import store_scope_ids

    stmt = select(Event).where(Event.id == event_id)
    ids = store_scope_ids(user)
    if ids is not None:
        stmt = stmt.where(Event.store_id.in_(ids or [-1]))
    return db.session.execute(stmt).scalar_one_or_none()


GUEST_FILTERS = {"all", "accepted", "confirmed", "arrived", "walk_in", "declined", "todo"}


def guests(event_id: int, status: str = "accepted", *, lead_scope=None, limit: int = 200) -> list:
    """Guests of an event with their inviter (one query): (invitation, lead name, phone, inviter)."""
    inviter = INVITER
    stmt = (select(Invitation, Lead.name, Lead.phone, Lead.owner_id, Lead.dcc_agent_id, inviter.display_name)
            .join(Lead, Lead.id == Invitation.lead_id)
            .outerjoin(inviter, inviter.id == Invitation.inviter_id)
            .where(Invitation.event_id == event_id))
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
        stmt = stmt.where(Campaign.id.in_(select(CampaignMember.campaign_id)
                                          .where(CampaignMember.user_id == user.id)))
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

    stmt = select(Campaign, Event.theme).outerjoin(Event, Event.id == Campaign.event_id).where(Campaign.id.in_(ids))
    if user.role in (Role.CONSULTANT, Role.DCC):
        stmt = stmt.where(Campaign.id.in_(select(CampaignMember.campaign_id)
                                          .where(CampaignMember.user_id == user.id)))
    else:
        scope = store_scope_ids(user)
        if scope is not None:
            stmt = stmt.where(Campaign.store_id.in_(scope or [-1]))
    return db.session.execute(stmt).all()


def progress_by_inviter(campaign_id: int) -> list[Funnel]:
    """Each inviter's funnel against their goal (one grouped query)."""
    stmt = (select(CampaignMember.user_id.label("key"), User.display_name.label("label"),
                   CampaignMember.goal_accepted.label("goal"), *_counts())
            .select_from(CampaignMember).join(User, User.id == CampaignMember.user_id)
            .outerjoin(Invitation, and_(Invitation.campaign_id == CampaignMember.campaign_id,
                                        Invitation.inviter_id == CampaignMember.user_id))
            .where(CampaignMember.campaign_id == campaign_id)
            .group_by(CampaignMember.user_id, User.display_name, CampaignMember.goal_accepted)
            .order_by(User.display_name))
    return [_funnel(r, key=r.key, label=r.label, goal=r.goal) for r in db.session.execute(stmt).all()]


def call_list(campaign_id: int, inviter_id: int, now: datetime, *, done: bool = False, limit: int = 50) -> list:
    """The inviter's calls: due ones first (to do, no answer whose retry time has come), or done ones."""
    stmt = (select(Invitation, Lead.name, Lead.phone, Lead.phone_last4, Lead.grade_id, Lead.owner_id,
                   Lead.dcc_agent_id, Lead.marketing_consent, Lead.sms_opt_out_at, Lead.email_opt_out_at,
                   Lead.email)
            .join(Lead, Lead.id == Invitation.lead_id)
            .where(Invitation.campaign_id == campaign_id, Invitation.inviter_id == inviter_id))
    if done:
        stmt = stmt.where(Invitation.status.in_([S.ACCEPTED, S.DECLINED, S.WRONG_NUMBER, S.INVITED,
                                                 S.CANCELLED])).order_by(Invitation.responded_at.desc(),
                                                                         Invitation.id.desc())
    else:
        stmt = stmt.where(or_(Invitation.status == S.TODO,
                              and_(Invitation.status == S.NO_ANSWER,
                                   or_(Invitation.retry_at.is_(None), Invitation.retry_at <= now))))
        stmt = stmt.order_by(Invitation.retry_at.is_not(None).cast(Integer), Invitation.id)
    return db.session.execute(stmt.limit(limit)).all()


def call_row(invitation_id: int):
    """One row of the call list (same columns as call_list)."""
    stmt = (select(Invitation, Lead.name, Lead.phone, Lead.phone_last4, Lead.grade_id, Lead.owner_id,
                   Lead.dcc_agent_id, Lead.marketing_consent, Lead.sms_opt_out_at, Lead.email_opt_out_at,
                   Lead.email)
            .join(Lead, Lead.id == Invitation.lead_id).where(Invitation.id == invitation_id))
    return db.session.execute(stmt).one()


def lead_invitations(lead_id: int, limit: int = 20) -> list:
    """A lead's invitations with the event (for the lead page panel)."""
    return db.session.execute(
        select(Invitation, Event.theme, Event.starts_at).join(Event, Event.id == Invitation.event_id)
        .where(Invitation.lead_id == lead_id).order_by(Event.starts_at.desc()).limit(limit)).all()


def open_events(store_id: int, now: datetime, limit: int = 20) -> list[Event]:
    """Upcoming events of a store (to invite a customer to)."""
    return list(db.session.execute(select(Event).where(Event.store_id == store_id, Event.ends_at >= now,
                                                       Event.cancelled_at.is_(None))
                                   .order_by(Event.starts_at).limit(limit)).scalars())


# ---- check-in ---------------------------------------------------------------------------------

MAX_TAIL_MATCHES = 5000  # customers sharing a phone tail: about 100 per million

def search_guests(event_id: int, q: str, limit: int = 10) -> list:
    """Find guests of an event by phone tail (4 digits), full phone or name prefix (index-backed),
    with their lead owner's and checker's names."""
    text = (q or "").strip()
    if not text:
        return []
    checker, owner = CHECKER, OWNER
    stmt = (select(Invitation, Lead.name, Lead.phone, owner.display_name, checker.display_name)
            .join(Lead, Lead.id == Invitation.lead_id)
            .outerjoin(owner, owner.id == Lead.owner_id)
            .outerjoin(checker, checker.id == Invitation.checked_in_by_id)
            .where(Invitation.event_id == event_id))
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) == len(text.replace(" ", "")):
        # Drive from the phone index (a few leads per tail) into the (event_id, lead_id) key,
        # rather than walking every invitation of a big event.
        # The lead ids are fetched first, as a list: a subquery lets the planner walk a new event's
        # invitations instead, when its statistics do not know them yet (14 ms instead of 1 ms).
        if len(digits) == 4:
            matching = select(Lead.id).where(Lead.phone_last4 == digits)
        else:
            try:
                matching = select(Lead.id).where(Lead.phone == normalize_phone(digits))
            except ValueError:
                return []
        lead_ids = db.session.execute(matching.limit(MAX_TAIL_MATCHES)).scalars().all()
        if not lead_ids:
            return []
        stmt = stmt.where(Invitation.lead_id.in_(lead_ids))
    else:
        stmt = stmt.where(Lead.name.startswith(text, autoescape=True))
    return db.session.execute(stmt.order_by(Lead.name).limit(limit)).all()


def door_guest(invitation_id: int):
    """One guest for the door result: (invitation, name, phone, owner name, checked-in-by name)."""
    checker, owner = CHECKER, OWNER
    return db.session.execute(
        select(Invitation, Lead.name, Lead.phone, owner.display_name, checker.display_name)
        .join(Lead, Lead.id == Invitation.lead_id)
        .outerjoin(owner, owner.id == Lead.owner_id)
        .outerjoin(checker, checker.id == Invitation.checked_in_by_id)
        .where(Invitation.id == invitation_id)).one()


@cache
def _door_counts_statement():
    """The door's counters as one statement, built once and run with the event id bound."""
    invited = Invitation.is_walk_in.is_(False)
    accepted = and_(invited, Invitation.status == S.ACCEPTED)
    return select(
        _sum(accepted).label("expected"),
        func.coalesce(func.sum(case((accepted, Invitation.headcount), else_=0)), 0).label("expected_people"),
        _sum(and_(invited, Invitation.checked_in_at.is_not(None))).label("invited_arrived"),
        _sum(Invitation.is_walk_in.is_(True)).label("walk_ins"),
        func.coalesce(func.sum(Invitation.actual_headcount), 0).label("arrived_people"),
    ).where(Invitation.event_id == bindparam("event_id"))


def door_counters(event_id: int) -> dict:
    """Live door counters: expected guests and people, arrived guests and people, walk-ins.
    The same figures as the event's `funnel` (a test holds them equal), in a lighter query."""
    row = db.session.execute(_door_counts_statement(), {"event_id": event_id}).one()
    counts = {key: int(getattr(row, key) or 0) for key in row._fields}
    counts["arrived"] = counts["invited_arrived"] + counts["walk_ins"]
    return counts


def recent_checkins(event_id: int, limit: int = 8) -> list:
    """The latest arrivals at the door (name, time, headcount, by whom)."""
    checker = CHECKER
    return db.session.execute(
        select(CheckIn.checked_in_at, CheckIn.headcount, Lead.name, checker.display_name, Invitation.is_walk_in)
        .join(Invitation, Invitation.id == CheckIn.invitation_id).join(Lead, Lead.id == Invitation.lead_id)
        .outerjoin(checker, checker.id == CheckIn.checked_in_by_id)
        .where(CheckIn.event_id == event_id).order_by(CheckIn.id.desc()).limit(limit)).all()


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day)
    return start, start + timedelta(days=1)
