"""Dashboard reads: one SELECT of scalar sub-queries for the numbers, one query per list."""

from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from app.accounts.models import Role, Store, User
from app.admin.reference import grade_by_code, open_stage_ids, stages
from app.extensions import db
from app.followups.models import FollowUp, ManagerComment, Plan, PlanStatus
from app.invitations.models import Event
from app.leads.models import Lead
from app.web.permissions import lead_scope_clause


def _plan_scope(user: User):
    if user.role in {Role.DIRECTOR, Role.ADMIN}:
        # Every store, spelled out, so the count runs on the (store, status, due date) index
        # instead of scanning all plans.
        return Plan.store_id.in_(db.session.execute(select(Store.id)).scalars().all())
    if user.role in {Role.MANAGER, Role.MARKETING, Role.CLERK}:
        return Plan.store_id == user.store_id
    return Plan.assignee_id == user.id


def summary(user: User, today: date, now: datetime) -> dict:
    """Return the headline numbers of the user's dashboard in one statement."""
    scope = lead_scope_clause(user)
    open_ids = open_stage_ids()
    plan_scope = _plan_scope(user)

    closed_ids = [s.id for s in stages() if s.id not in set(open_ids)]

    # count(*), not count(id): PostgreSQL can then answer from the index alone.
    def lead_count(*where):
        return select(func.count()).select_from(Lead).where(scope, *where).scalar_subquery()

    def plan_count(*where):
        return (
            select(func.count())
            .select_from(Plan)
            .where(plan_scope, Plan.status == PlanStatus.OPEN, *where)
            .scalar_subquery()
        )

    columns = {
        "due_today": plan_count(Plan.due_date == today),
        "overdue": plan_count(Plan.due_date < today),
    }
    is_open = Lead.stage_id.in_(open_ids)
    expired = (is_open, Lead.expected_purchase_date < today)
    no_plan = (is_open, Lead.next_plan_due.is_(None))
    if user.role == Role.MANAGER:
        # store-wide, each counted from a (store, stage, …) index alone; group-wide, these two are
        # read per consultant from the discipline board instead
        columns["expired"] = lead_count(*expired)
        columns["no_plan"] = lead_count(*no_plan)
    per_lead = None
    if user.role in {Role.CONSULTANT, Role.DCC}:
        # per-owner counts stay small; store-wide ones are on the discipline board instead.
        # The counts that need the lead row (no index holds the first-contact deadline or the
        # grade) are one pass over my leads with FILTER, not one pass each.
        per_lead = (
            select(
                func.count().filter(*expired).label("expired"),
                func.count().filter(*no_plan).label("no_plan"),
                func.count().filter(Lead.first_contact_due_at.isnot(None)).label("first_contact"),
                func.count().filter(Lead.first_contact_due_at < now).label("first_contact_late"),
                func.count().filter(is_open, Lead.grade_id == grade_by_code("H").id).label("h_grade"),
            )
            .select_from(Lead)
            .where(scope)
            .subquery("per_lead")
        )
        columns["open_leads"] = lead_count(is_open)
        columns["unread_comments"] = (
            select(func.count(ManagerComment.id))
            .join(FollowUp, FollowUp.id == ManagerComment.followup_id)
            .where(FollowUp.user_id == user.id, ManagerComment.read_at.is_(None))
            .scalar_subquery()
        )
    if user.role in {Role.MANAGER, Role.MARKETING, Role.DIRECTOR}:
        # "Not closed" rather than "in an open stage": the (store, owner) index then does the work
        # for the few pooled leads instead of the planner walking every pooled lead of the group.
        columns["unassigned"] = lead_count(Lead.owner_id.is_(None), Lead.stage_id.not_in(closed_ids))
    stmt = select(*[c.label(k) for k, c in columns.items()])
    if per_lead is not None:
        stmt = stmt.add_columns(*per_lead.c).select_from(per_lead)
    row = db.session.execute(stmt).one()
    return dict(row._mapping)


def awaiting_first_contact(user: User, limit: int = 10) -> list:
    """Return my newly assigned leads still waiting for a first contact, nearest deadline first."""
    return db.session.execute(
        select(Lead.id, Lead.name, Lead.first_contact_due_at)
        .where(lead_scope_clause(user), Lead.first_contact_due_at.isnot(None))
        .order_by(Lead.first_contact_due_at)
        .limit(limit)
    ).all()


WEEK_GROUPS = ("today", "overdue", "week")
WEEK_LIMITS = {"today": 20, "overdue": 10, "week": 10}


def week_plans(user: User, today: date, limits: dict[str, int] | None = None) -> dict[str, list]:
    """Return my open plans for the 本周计划 card in three groups, with the customer's name:
    "today" (due today), "overdue" (due before today) and "week" (the next seven days).

    Today's plans come first and have their own quota, so a backlog of overdue plans never pushes
    them off the card. Overdue plans come most recently missed first: yesterday's missed call is
    the one a consultant can still rescue today (the customer remembers the last conversation),
    and a penalty counts a missed plan once, on its due day, so working the old backlog first
    saves nothing; the whole backlog is one tap away on the overdue list. The rest of the week
    comes soonest first. One statement: each group is numbered by a window function and cut at
    its own limit.
    """
    limits = {**WEEK_LIMITS, **(limits or {})}
    group = case((Plan.due_date == today, 0), (Plan.due_date < today, 1), else_=2)
    # Within "overdue" the latest due date first; the other groups by date (the CASE is NULL there).
    latest_missed = case((Plan.due_date < today, Plan.due_date))
    numbered = (
        select(
            Plan.id,
            Plan.lead_id,
            Plan.due_date,
            Plan.content,
            Plan.kind,
            Lead.name.label("lead_name"),
            group.label("grp"),
            func.row_number()
            .over(partition_by=group, order_by=(latest_missed.desc(), Plan.due_date, Plan.id))
            .label("n"),
        )
        .join(Lead, Lead.id == Plan.lead_id)
        .where(_plan_scope(user), Plan.status == PlanStatus.OPEN, Plan.due_date <= today + timedelta(days=7))
        .subquery()
    )
    cap = case(
        (numbered.c.grp == 0, limits["today"]), (numbered.c.grp == 1, limits["overdue"]), else_=limits["week"]
    )
    rows = db.session.execute(
        select(numbered).where(numbered.c.n <= cap).order_by(numbered.c.grp, numbered.c.n)
    ).all()
    out: dict[str, list] = {name: [] for name in WEEK_GROUPS}
    for row in rows:
        out[WEEK_GROUPS[row.grp]].append(row)
    return out


def unread_comments(user: User, limit: int = 5) -> list:
    """Return the latest unread manager comments on my follow-ups."""
    author = User.__table__.alias("author")
    return db.session.execute(
        select(
            ManagerComment.id,
            ManagerComment.body,
            ManagerComment.created_at,
            ManagerComment.lead_id,
            Lead.name.label("lead_name"),
            author.c.display_name.label("author_name"),
        )
        .join(FollowUp, FollowUp.id == ManagerComment.followup_id)
        .join(Lead, Lead.id == ManagerComment.lead_id)
        .join(author, author.c.id == ManagerComment.author_id)
        .where(FollowUp.user_id == user.id, ManagerComment.read_at.is_(None))
        .order_by(ManagerComment.created_at.desc())
        .limit(limit)
    ).all()


def upcoming_events(user: User, now: datetime, days: int = 14) -> list:
    """Return events in the next `days` days with my invited and accepted guests, soonest first.

    "Invited" and "accepted" are the event page's figures, from the one invitation query."""
    from app.invitations.queries import invitation_counts

    counts = [
        r
        for r in invitation_counts(
            "event",
            inviter_id=user.id,
            since=now,
            until=now + timedelta(days=days),
            skip_cancelled=True,
            with_orders=False,
        )
        if r.invited
    ]
    if not counts:
        return []
    starts = dict(
        db.session.execute(
            select(Event.id, Event.starts_at).where(Event.id.in_([r.key for r in counts]))
        ).all()
    )
    rows = [
        {
            "id": r.key,
            "theme": r.label,
            "starts_at": starts[r.key],
            "invited": r.invited,
            "accepted": r.accepted,
        }
        for r in counts
    ]
    return sorted(rows, key=lambda r: (r["starts_at"], r["id"]))[:10]


def store_names() -> dict[int, str]:
    """Return {store id: name} of every store, in the order of their codes."""
    return dict(db.session.execute(select(Store.id, Store.name).order_by(Store.code)).all())
