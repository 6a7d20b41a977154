"""Showroom, invitation, DCC, satisfaction and headline figures, each by one grouped query."""

from sqlalchemy import and_, case, distinct, func, literal, or_, select

from app.accounts.models import Role, User
from app.admin.models import StageKind
from app.admin.reference import stages
from app.extensions import db
from app.followups.models import FollowUp, FollowUpResult
from app.invitations.models import Event, Invitation, InvitationStatus, SurveyResponse
from app.leads.models import Lead, StageChange
from app.reports import queries_daily as daily
from app.reports.scope import (
    lead_conditions,
    needs_lead_join,
    scope_activity,
    scope_stage_changes,
    store_condition,
)
from app.reports.sqlutil import hours_between, local_bucket
from app.reports.sqlutil import rows_of as _rows
from app.reports.sqlutil import sum_if as _sum_if
from app.showroom.models import ShowroomVisit

PAGE_SIZE = 100


def _visit_scope(stmt, f):
    """Apply store, consultant, channel and lead-level filters to a showroom_visits query."""
    conds = [
        store_condition(ShowroomVisit.store_id, f),
        ShowroomVisit.arrived_at >= f.utc_start,
        ShowroomVisit.arrived_at < f.utc_end,
    ]
    if f.consultant_id:
        conds.append(ShowroomVisit.consultant_id == f.consultant_id)
    if f.channel_id:
        conds.append(ShowroomVisit.source_channel_id == f.channel_id)
    if needs_lead_join(f):
        stmt = stmt.join(Lead, Lead.id == ShowroomVisit.lead_id)
        conds += lead_conditions(f, owner_column=ShowroomVisit.consultant_id)
    return stmt.where(*conds)


def visit_columns() -> list:
    """Traffic figures of showroom visits (retention = first visits that left info / first visits)."""
    from app.showroom.queries import FIRST_VISIT, RETAINED

    return [
        func.count().label("visits"),
        _sum_if(FIRST_VISIT).label("first_visits"),
        _sum_if(ShowroomVisit.is_first_visit.is_(False)).label("return_visits"),
        _sum_if(RETAINED).label("retained"),
        _sum_if(ShowroomVisit.test_drive.is_(True)).label("test_drives"),
        func.coalesce(func.sum(ShowroomVisit.party_size), 0).label("people"),
        func.avg(
            case(
                (
                    ShowroomVisit.left_at.is_not(None),
                    hours_between(ShowroomVisit.arrived_at, ShowroomVisit.left_at) * 60.0,
                ),
                else_=None,
            )
        ).label("stay_minutes"),
    ]


VISIT_COUNTS = ("visits", "first_visits", "return_visits", "retained", "test_drives", "people")
MICROS_PER_MINUTE = 60_000_000


def _daily_visits(f, by: str | None, grain: str | None = None) -> list[dict]:
    """The figures of `visit_columns` from the daily aggregates (`daily.usable(f)`), per `by` and
    `grain` as `daily.counts` groups them: the average stay is the summed stays over the visits
    with a departure time."""
    names = {c: c for c in VISIT_COUNTS} | {"stayed": "stayed_visits", "stay": "stay_micros"}
    out = []
    for r in daily.counts(f, by, names, grain=grain):
        stayed, stay = r.pop("stayed"), r.pop("stay")
        r["stay_minutes"] = stay / stayed / MICROS_PER_MINUTE if stayed else None
        out.append(r)
    return out


def visits_by_bucket(f) -> list[dict]:
    """Showroom traffic per local day / week / month / quarter."""
    if daily.usable(f):
        return [{"key": r.pop("bucket"), **r} for r in _daily_visits(f, None, grain=f.grain)]
    bucket = local_bucket(ShowroomVisit.arrived_at, f.grain, f.offset_minutes)
    stmt = select(bucket.label("key"), *visit_columns()).select_from(ShowroomVisit)
    return _rows(_visit_scope(stmt, f).group_by(bucket))


def visits_by(f, by: str) -> list[dict]:
    """Showroom traffic per source channel, consultant, store (from the daily aggregates when they
    answer the filter) or arrival hour (from the visits: a day has no hours)."""
    if by in ("consultant", "store", "channel") and daily.usable(f):
        return _daily_visits(f, by)
    if by == "channel":
        dim = ShowroomVisit.source_channel_id
    elif by == "store":
        dim = ShowroomVisit.store_id
    elif by == "hour":
        dim = func.substr(local_bucket_time(ShowroomVisit.arrived_at, f.offset_minutes), 1, 2)
    else:
        dim = ShowroomVisit.consultant_id
    stmt = select(dim.label("key"), *visit_columns()).select_from(ShowroomVisit)
    return _rows(_visit_scope(stmt, f).group_by(dim))


def visit_counts(f, by: str) -> list[dict]:
    """The counts of `visits_by` (no stay time) per consultant, store or channel: from the daily
    aggregates when they answer the filter."""
    if by in ("consultant", "store", "channel") and daily.usable(f):
        return daily.counts(f, by, {c: c for c in VISIT_COUNTS})
    return visits_by(f, by)


def visit_counts_by_bucket(f) -> list[dict]:
    """The counts of `visits_by_bucket` (no stay time) per period bucket."""
    if daily.usable(f):
        return [
            {"key": r["bucket"], **{c: r[c] for c in VISIT_COUNTS}}
            for r in daily.counts(f, None, {c: c for c in VISIT_COUNTS}, grain=f.grain)
        ]
    return visits_by_bucket(f)


def local_bucket_time(column, offset_minutes: int):
    """Return the local HH:MM of a UTC timestamp as text."""
    from app.reports.sqlutil import dialect

    if dialect() == "postgresql":
        return func.to_char(column + func.make_interval(0, 0, 0, 0, 0, offset_minutes), "HH24:MI")
    return func.strftime("%H:%M", column, f"{offset_minutes:+d} minutes")


def visit_totals(f) -> dict:
    """Traffic figures of the whole period."""
    if daily.usable(f):
        return _daily_visits(f, None)[0]
    stmt = select(*visit_columns()).select_from(ShowroomVisit)
    return _rows(_visit_scope(stmt, f))[0]


def arrival_list(f, page: int = 1) -> tuple[list[dict], int]:
    """One page of the arrival registration list (到店客户登记), newest first, and the total (the
    visits of `visit_counts`: from the daily aggregates when they answer the filter)."""
    if daily.usable(f):
        total = sum(r["visits"] for r in daily.counts(f, None, {"visits": "visits"}))
    else:
        base = select(ShowroomVisit.id).select_from(ShowroomVisit)
        total = db.session.execute(
            select(func.count()).select_from(_visit_scope(base, f).subquery())
        ).scalar()
    stmt = select(
        ShowroomVisit.id,
        ShowroomVisit.arrived_at,
        ShowroomVisit.left_at,
        ShowroomVisit.party_size,
        ShowroomVisit.is_first_visit,
        ShowroomVisit.left_contact,
        ShowroomVisit.test_drive,
        ShowroomVisit.consultant_id,
        ShowroomVisit.source_channel_id,
        ShowroomVisit.store_id,
        ShowroomVisit.lead_id,
        ShowroomVisit.notes,
    ).select_from(ShowroomVisit)
    stmt = _visit_scope(stmt, f).order_by(ShowroomVisit.arrived_at.desc(), ShowroomVisit.id.desc())
    stmt = stmt.limit(PAGE_SIZE).offset((max(1, page) - 1) * PAGE_SIZE)
    rows = _rows(stmt)
    lead_ids = [r["lead_id"] for r in rows if r["lead_id"]]
    leads = {}
    if lead_ids:
        leads = {
            r.id: r
            for r in db.session.execute(
                select(Lead.id, Lead.name, Lead.phone, Lead.owner_id).where(Lead.id.in_(lead_ids))
            )
        }
    for row in rows:
        lead = leads.get(row["lead_id"])
        row["lead_name"] = lead.name if lead else None
        row["phone"] = lead.phone if lead else None
        row["lead_owner_id"] = lead.owner_id if lead else None
    return rows, total


# ---- invitations ----------------------------------------------------------------------------

INVITATION_DIMENSIONS = {"event": "event", "campaign": "campaign", "consultant": "inviter", "store": "store"}


def invitations_by(f, by: str = "event") -> list[dict]:
    """Invitation results of events held in the period, per event, campaign, inviter or store
    (the one invitation query, limited to the report's scope)."""
    from app.invitations.queries import invitation_counts

    rows = invitation_counts(
        INVITATION_DIMENSIONS.get(by, "event"),
        store_ids=list(f.store_ids) if f.store_ids is not None else None,
        since=f.utc_start,
        until=f.utc_end,
        skip_cancelled=True,
        tz=f.tz,
        limit=100_000,
        refine=lambda stmt: scope_activity(stmt, f, Invitation.lead_id, Invitation.inviter_id),
    )
    return [{"key": r.key, **r.as_dict()} for r in rows]


def invitations_made(f, dim=Invitation.inviter_id) -> list[dict]:
    """Invitations made (invited_at in the period) per inviter (or store)."""
    by = {Invitation.inviter_id: "consultant", Invitation.store_id: "store"}.get(dim)
    if by and daily.usable(f):
        return daily.counts(f, by, {"invitations": "invitations"})
    stmt = scope_activity(
        select(
            dim.label("key"),
            func.count(Invitation.id).label("invitations"),
            _sum_if(Invitation.status == InvitationStatus.ACCEPTED).label("accepted"),
        ).where(
            store_condition(Invitation.store_id, f),
            Invitation.invited_at >= f.utc_start,
            Invitation.invited_at < f.utc_end,
            Invitation.is_walk_in.is_(False),
        ),
        f,
        Invitation.lead_id,
        Invitation.inviter_id,
    ).group_by(dim)
    return _rows(stmt)


def event_names(ids) -> dict:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return {
        r.id: (r.theme, r.starts_at)
        for r in db.session.execute(select(Event.id, Event.theme, Event.starts_at).where(Event.id.in_(ids)))
    }


def campaign_names(ids) -> dict:
    from app.invitations.models import Campaign

    ids = [i for i in ids if i]
    if not ids:
        return {}
    return {
        r.id: r.name
        for r in db.session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(ids)))
    }


# ---- DCC ------------------------------------------------------------------------------------


def dcc_figures(f) -> list[dict]:
    """Per DCC agent: calls, connected calls, leads reached, appointments and shows in the period."""
    calls = (
        select(
            FollowUp.user_id.label("key"),
            func.count().label("calls"),
            _sum_if(FollowUp.result == FollowUpResult.REACHED).label("connected"),
            func.count(
                distinct(case((FollowUp.result == FollowUpResult.REACHED, FollowUp.lead_id), else_=None))
            ).label("leads_reached"),
        )
        .join(User, User.id == FollowUp.user_id)
        .where(
            User.role == Role.DCC,
            store_condition(FollowUp.store_id, f),
            FollowUp.occurred_at >= f.utc_start,
            FollowUp.occurred_at < f.utc_end,
        )
    )
    calls = scope_activity(calls, f, FollowUp.lead_id, FollowUp.user_id).group_by(FollowUp.user_id)
    appointments = (
        select(
            Lead.dcc_agent_id.label("key"),
            _sum_if(and_(Lead.invited_at >= f.utc_start, Lead.invited_at < f.utc_end)).label("appointments"),
            _sum_if(
                and_(
                    Lead.invited_at >= f.utc_start, Lead.invited_at < f.utc_end, Lead.arrived_at.is_not(None)
                )
            ).label("shows"),
            _sum_if(and_(Lead.created_at >= f.utc_start, Lead.created_at < f.utc_end)).label("new_leads"),
        )
        .where(
            Lead.dcc_agent_id.is_not(None),
            or_(
                and_(Lead.invited_at >= f.utc_start, Lead.invited_at < f.utc_end),
                and_(Lead.created_at >= f.utc_start, Lead.created_at < f.utc_end),
            ),
            *lead_conditions(f, owner_column=Lead.dcc_agent_id),
        )
        .group_by(Lead.dcc_agent_id)
    )
    merged: dict = {}
    for row in _rows(calls) + _rows(appointments):
        merged.setdefault(row["key"], {"key": row["key"]}).update(
            {k: v for k, v in row.items() if k != "key"}
        )
    return list(merged.values())


# ---- satisfaction ---------------------------------------------------------------------------

SURVEY_DIMENSIONS = {
    "store": SurveyResponse.store_id,
    "consultant": SurveyResponse.consultant_id,
    "event": SurveyResponse.event_id,
}


def satisfaction_by(f, by: str = "consultant") -> list[dict]:
    """Surveys sent in the period: answered, average score and the score spread, per dimension."""
    dim = SURVEY_DIMENSIONS.get(by, SurveyResponse.consultant_id)
    answered = SurveyResponse.answered_at.is_not(None)
    stmt = scope_activity(
        select(
            dim.label("key"),
            func.count(SurveyResponse.id).label("sent"),
            _sum_if(answered).label("answered"),
            func.avg(case((answered, SurveyResponse.score), else_=None)).label("avg_score"),
            _sum_if(and_(answered, SurveyResponse.score >= 4)).label("satisfied"),
            _sum_if(and_(answered, SurveyResponse.score <= 2)).label("unhappy"),
        ).where(
            store_condition(SurveyResponse.store_id, f),
            SurveyResponse.created_at >= f.utc_start,
            SurveyResponse.created_at < f.utc_end,
        ),
        f,
        SurveyResponse.lead_id,
        SurveyResponse.consultant_id,
    ).group_by(dim)
    return _rows(stmt)


# ---- headline figures -----------------------------------------------------------------------


def kpis(f) -> dict:
    """The headline figures of a period in one SELECT of scalar sub-queries (or one sum of days)."""
    if daily.usable(f):
        return daily.counts(
            f,
            None,
            {
                "new_leads": "new_leads",
                "orders": "won",
                "invitations": "invitations",
                "visits": "visits",
                "first_visits": "first_visits",
                "retained": "retained",
                "test_drives": "test_drives",
            },
        )[0]
    won_ids = [s.id for s in stages() if s.kind == StageKind.WON]
    lead_conds = lead_conditions(f)
    new_leads = (
        select(func.count())
        .select_from(Lead)
        .where(Lead.created_at >= f.utc_start, Lead.created_at < f.utc_end, *lead_conds)
        .scalar_subquery()
    )
    orders = scope_stage_changes(
        select(func.count(distinct(StageChange.lead_id)))
        .select_from(StageChange)
        .where(
            store_condition(StageChange.store_id, f),
            StageChange.created_at >= f.utc_start,
            StageChange.created_at < f.utc_end,
            StageChange.to_stage_id.in_(won_ids),
        ),
        f,
        StageChange.lead_id,
    ).scalar_subquery()
    first = ShowroomVisit.is_first_visit.is_(True)
    visit_stmt = _visit_scope(
        select(
            func.count(),
            _sum_if(first),
            _sum_if(and_(first, ShowroomVisit.left_contact.is_(True))),
            _sum_if(ShowroomVisit.test_drive.is_(True)),
        ).select_from(ShowroomVisit),
        f,
    ).subquery()
    invites = scope_activity(
        select(func.count(Invitation.id)).where(
            store_condition(Invitation.store_id, f),
            Invitation.invited_at >= f.utc_start,
            Invitation.invited_at < f.utc_end,
            Invitation.is_walk_in.is_(False),
        ),
        f,
        Invitation.lead_id,
        Invitation.inviter_id,
    ).scalar_subquery()
    cols = list(visit_stmt.c)
    # The visit figures come from one pass over the period's visits (the FROM item), the others
    # are scalar sub-queries beside them: one statement, each table read once.
    row = db.session.execute(
        select(
            new_leads.label("new_leads"),
            orders.label("orders"),
            invites.label("invitations"),
            cols[0].label("visits"),
            cols[1].label("first_visits"),
            cols[2].label("retained"),
            cols[3].label("test_drives"),
            literal(1).label("_"),
        ).select_from(visit_stmt)
    ).one()
    out = {k: (v or 0) for k, v in row._mapping.items() if k != "_"}
    return out
