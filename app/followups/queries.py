"""Reads for the follow-up pages: plans, the lead panel, the review queue, approvals, discipline."""

from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal_column, or_, select, true, union_all
from sqlalchemy.orm import aliased

from app.accounts.models import Role, Store, User
from app.admin.defaults import get_setting
from app.admin.reference import open_stage_ids, stage_by_code
from app.core.timeutil import local_midnight_utc, utc_offset_minutes
from app.extensions import db
from app.followups import penalties
from app.followups.models import (
    AssignmentProposal,
    DefeatRequest,
    DefeatStatus,
    FollowUp,
    ManagerComment,
    Plan,
    PlanKind,
    PlanStatus,
    ProposalItem,
)
from app.followups.plans import NEXT_PLAN_KINDS
from app.followups.rules import RECLAIM_CLOCK
from app.leads.models import Lead, TransferRequest
from app.reports.sqlutil import among

# Built once: a fresh aliased() adapts its columns again on every call (about a millisecond each).
OWNER = aliased(User, name="owner")
REQUESTER = aliased(User, name="requester")
HOLDER = aliased(User, name="holder")
AUTHOR = aliased(User, name="author")

PAGE = 100
DISCIPLINE_KINDS = tuple(k for k in NEXT_PLAN_KINDS if k != PlanKind.FIRST_CONTACT)


def plan_scope(user: User):
    """Return the WHERE clause for plans the user may see (own, store or group)."""
    if user.role in {Role.DIRECTOR, Role.ADMIN}:
        return Plan.id.isnot(None)
    if user.role in {Role.MANAGER, Role.MARKETING}:
        return Plan.store_id == user.store_id
    return Plan.assignee_id == user.id


def plans_page(user: User, tab: str, today: date, assignee_id: int | None = None) -> list:
    """Return up to PAGE open plans of a tab (today, overdue, upcoming) with lead and assignee names."""
    where = [plan_scope(user), Plan.status == PlanStatus.OPEN]
    if assignee_id:
        where.append(Plan.assignee_id == assignee_id)
    order = Plan.due_date
    if tab == "overdue":
        where.append(Plan.due_date < today)
        order = Plan.due_date
    elif tab == "upcoming":
        where.append(Plan.due_date > today)
    else:
        where.append(Plan.due_date == today)
    stmt = (
        select(
            Plan.id,
            Plan.lead_id,
            Plan.kind,
            Plan.due_date,
            Plan.content,
            Plan.assignee_id,
            Lead.name.label("lead_name"),
            Lead.grade_id,
            User.display_name.label("assignee_name"),
            Lead.phone,
            Lead.owner_id,
            Lead.dcc_agent_id,
        )
        .join(Lead, Lead.id == Plan.lead_id)
        .outerjoin(User, User.id == Plan.assignee_id)
        .where(*where)
        .order_by(order, Plan.id)
        .limit(PAGE)
    )
    return db.session.execute(stmt).all()


def plan_counts(user: User, today: date) -> dict:
    """Return the number of open plans per tab in one statement."""
    base = [plan_scope(user), Plan.status == PlanStatus.OPEN]
    row = db.session.execute(
        select(
            func.count(case((Plan.due_date == today, 1))).label("today"),
            func.count(case((Plan.due_date < today, 1))).label("overdue"),
            func.count(case((Plan.due_date > today, 1))).label("upcoming"),
        ).where(*base)
    ).one()
    return dict(row._mapping)


def store_consultants(store_ids: list[int] | None) -> list:
    """Return active consultants (id, name, store) of the given stores (None: every store)."""
    stmt = select(User.id, User.display_name, User.store_id, User.capacity).where(
        User.role == Role.CONSULTANT, User.active.is_(True)
    )
    if store_ids is not None:
        stmt = stmt.where(User.store_id.in_(store_ids))
    return db.session.execute(stmt.order_by(User.display_name)).all()


# ---- lead panel and timeline --------------------------------------------------------------


def open_plans_of_lead(lead_id: int) -> list[Plan]:
    """Return the lead's open plans, earliest first."""
    return (
        db.session.execute(
            select(Plan)
            .where(Plan.lead_id == lead_id, Plan.status == PlanStatus.OPEN)
            .order_by(Plan.due_date)
        )
        .scalars()
        .all()
    )


def recent_followups(lead_ids: list[int], limit: int = 200) -> list:
    """Return follow-ups of the leads with their author's name, newest first."""
    return db.session.execute(
        select(FollowUp, User.display_name.label("user_name"))
        .join(User, User.id == FollowUp.user_id)
        .where(FollowUp.lead_id.in_(lead_ids))
        .order_by(FollowUp.occurred_at.desc(), FollowUp.id.desc())
        .limit(limit)
    ).all()


def comments_for(lead_ids: list[int]) -> dict[int, list]:
    """Return comments per follow-up id for the leads, oldest first."""
    rows = db.session.execute(
        select(ManagerComment, User.display_name.label("author_name"))
        .join(User, User.id == ManagerComment.author_id)
        .where(ManagerComment.lead_id.in_(lead_ids))
        .order_by(ManagerComment.created_at)
    ).all()
    out: dict[int, list] = {}
    for row in rows:
        out.setdefault(row.ManagerComment.followup_id, []).append(row)
    return out


def plans_for_timeline(lead_ids: list[int], limit: int = 200) -> list:
    return db.session.execute(
        select(Plan, User.display_name.label("user_name"))
        .outerjoin(User, User.id == Plan.assignee_id)
        .where(Plan.lead_id.in_(lead_ids))
        .order_by(Plan.created_at.desc())
        .limit(limit)
    ).all()


def pending_defeat_of_lead(lead_id: int) -> DefeatRequest | None:
    return db.session.execute(
        select(DefeatRequest)
        .where(DefeatRequest.lead_id == lead_id)
        .order_by(DefeatRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()


# ---- review queue -------------------------------------------------------------------------


def review_scope(user: User):
    """The follow-ups a user reviews: the store's, or every store's for the director (no store
    condition at all, so the (reviewed_at, occurred_at) index serves the queue in order)."""
    if user.role == Role.DIRECTOR:
        return true()
    return FollowUp.store_id == user.store_id


def review_queue(user: User, limit: int = 50) -> list:
    """Return unreviewed follow-ups of the user's store(s), newest first, with lead and author.

    The page's follow-ups are picked from the follow-ups alone, in index order, and only those
    are joined to their leads and authors: left to itself, a planner may join every unreviewed
    follow-up of the group before sorting (seconds for the director at a million leads).
    """
    # reviewed_at is NULL on every row; naming it in the ORDER BY lets PostgreSQL read the index
    # backwards in order (it does not treat "IS NULL" as fixing the column's value).
    newest = (
        select(FollowUp.id)
        .where(review_scope(user), FollowUp.reviewed_at.is_(None))
        .order_by(FollowUp.reviewed_at.desc(), FollowUp.occurred_at.desc(), FollowUp.id.desc())
        .limit(limit)
        .subquery()
    )
    return db.session.execute(
        select(FollowUp, Lead.name.label("lead_name"), User.display_name.label("user_name"))
        .join(newest, newest.c.id == FollowUp.id)
        .join(Lead, Lead.id == FollowUp.lead_id)
        .join(User, User.id == FollowUp.user_id)
        .order_by(FollowUp.occurred_at.desc(), FollowUp.id.desc())
    ).all()


REVIEW_COUNT_CAP = 1000


def review_count(user: User) -> int:
    """Return how many follow-ups wait for review, counting at most REVIEW_COUNT_CAP."""
    capped = (
        select(FollowUp.id).where(review_scope(user), FollowUp.reviewed_at.is_(None)).limit(REVIEW_COUNT_CAP)
    )
    return db.session.execute(select(func.count()).select_from(capped.subquery())).scalar_one()


def get_followup_in_scope(user: User, followup_id: int) -> FollowUp | None:
    return db.session.execute(
        select(FollowUp).where(FollowUp.id == followup_id, review_scope(user))
    ).scalar_one_or_none()


# ---- approvals ----------------------------------------------------------------------------


def _store_filter(column, user: User):
    """A director's requests of every store, named as "any store" so that the (store, status)
    indexes answer: "store id is not null" read every request ever made (38 ms → 4 ms for the
    pending defeat count at 176,000 requests)."""
    if user.role == Role.DIRECTOR:
        return column.in_(select(Store.id))
    return column == user.store_id


def pending_defeats(user: User, limit: int = 100) -> list:
    requester = REQUESTER
    return db.session.execute(
        select(DefeatRequest, Lead.name.label("lead_name"), requester.display_name.label("user_name"))
        .join(Lead, Lead.id == DefeatRequest.lead_id)
        .join(requester, requester.id == DefeatRequest.requested_by_id)
        .where(_store_filter(DefeatRequest.store_id, user), DefeatRequest.status == DefeatStatus.PENDING)
        .order_by(DefeatRequest.created_at, DefeatRequest.id)
        .limit(limit)
    ).all()


def pending_transfers(user: User, limit: int = 100) -> list:
    requester, holder = REQUESTER, HOLDER
    return db.session.execute(
        select(
            TransferRequest,
            Lead.name.label("lead_name"),
            requester.display_name.label("user_name"),
            holder.display_name.label("owner_name"),
        )
        .join(Lead, Lead.id == TransferRequest.lead_id)
        .join(requester, requester.id == TransferRequest.requested_by_id)
        .outerjoin(holder, holder.id == TransferRequest.from_owner_id)
        .where(_store_filter(TransferRequest.store_id, user), TransferRequest.status == "pending")
        .order_by(TransferRequest.created_at, TransferRequest.id)
        .limit(limit)
    ).all()


def pending_proposals(user: User, limit: int = 50) -> list:
    author = AUTHOR
    count = (
        select(func.count(ProposalItem.id))
        .where(ProposalItem.proposal_id == AssignmentProposal.id)
        .scalar_subquery()
    )
    return db.session.execute(
        select(AssignmentProposal, author.display_name.label("user_name"), count.label("items"))
        .join(author, author.id == AssignmentProposal.created_by_id)
        .where(_store_filter(AssignmentProposal.store_id, user), AssignmentProposal.status == "pending")
        .order_by(AssignmentProposal.created_at, AssignmentProposal.id)
        .limit(limit)
    ).all()


def proposal_split(proposal_ids: list[int]) -> dict[int, list[tuple[int | None, int]]]:
    """Return proposal id -> [(consultant id or None, number of leads)], in one grouped query."""
    if not proposal_ids:
        return {}
    out: dict[int, list] = {}
    for proposal_id, user_id, n in db.session.execute(
        select(ProposalItem.proposal_id, ProposalItem.final_user_id, func.count())
        .where(ProposalItem.proposal_id.in_(proposal_ids))
        .group_by(ProposalItem.proposal_id, ProposalItem.final_user_id)
        .order_by(ProposalItem.proposal_id, ProposalItem.final_user_id)
    ).all():
        out.setdefault(proposal_id, []).append((user_id, n))
    return out


def workload(user_ids, today: date) -> dict[int, dict]:
    """Return per consultant what an assignment decision weighs: open leads (against the capacity)
    and overdue open plans — two grouped queries, whatever the number of consultants."""
    ids = sorted({int(i) for i in user_ids if i})
    if not ids:
        return {}
    open_leads = dict(
        db.session.execute(
            select(Lead.owner_id, func.count())
            .where(Lead.owner_id.in_(ids), Lead.stage_id.in_(open_stage_ids()), Lead.merged_into_id.is_(None))
            .group_by(Lead.owner_id)
        ).all()
    )
    overdue = dict(
        db.session.execute(
            select(Plan.assignee_id, func.count())
            .where(Plan.assignee_id.in_(ids), Plan.status == PlanStatus.OPEN, Plan.due_date < today)
            .group_by(Plan.assignee_id)
        ).all()
    )
    return {i: {"open_leads": open_leads.get(i, 0), "overdue": overdue.get(i, 0)} for i in ids}


def approval_counts(user: User) -> dict:
    """Return pending defeat, transfer and proposal counts in one statement."""
    row = db.session.execute(
        select(
            select(func.count())
            .select_from(DefeatRequest)
            .where(_store_filter(DefeatRequest.store_id, user), DefeatRequest.status == DefeatStatus.PENDING)
            .scalar_subquery()
            .label("defeats"),
            select(func.count())
            .select_from(TransferRequest)
            .where(_store_filter(TransferRequest.store_id, user), TransferRequest.status == "pending")
            .scalar_subquery()
            .label("transfers"),
            select(func.count())
            .select_from(AssignmentProposal)
            .where(_store_filter(AssignmentProposal.store_id, user), AssignmentProposal.status == "pending")
            .scalar_subquery()
            .label("proposals"),
        )
    ).one()
    return dict(row._mapping)


# ---- discipline board ---------------------------------------------------------------------


# Written out, not bound: the first-contact plans' own index (migration 0038) is partial, and a
# plan made for a parameter (a generic plan, SQLite) could not tell that it applies.
FIRST_CONTACT_PLAN = Plan.kind == literal_column(f"'{PlanKind.FIRST_CONTACT.value}'")


def discipline(
    store_ids: list[int] | None,
    start: date,
    end: date,
    today: date,
    now: datetime,
    start_utc: datetime,
    end_utc: datetime,
    tz: str | None = None,
) -> list[dict]:
    """Return per consultant: overdue plans, expired opportunities, leads without plan, effective
    follow-ups and first-contact breaches — five grouped queries, whatever the store size.

    With the zone of the days (`tz`), effective follow-ups are the daily aggregates' sums over
    `start`..`end` when every store keeps its days in that zone (otherwise the follow-ups between
    `start_utc` and `end_utc` are counted: the same figure; for the group's first week of a month
    at 1,000,000 leads, 9,600 daily rows instead of 415,000 follow-ups)."""
    users_stmt = select(User.id, User.display_name, User.store_id).where(
        User.role == Role.CONSULTANT, User.active.is_(True)
    )
    if store_ids is not None:
        users_stmt = users_stmt.where(User.store_id.in_(store_ids))
    people = db.session.execute(users_stmt.order_by(User.store_id, User.display_name)).all()
    ids = [p.id for p in people]
    if not ids:
        return []
    open_ids = open_stage_ids()
    last_due = min(end, today - timedelta(days=1))
    overdue = dict(
        db.session.execute(
            select(Plan.assignee_id, func.count(Plan.id))
            .where(
                among(Plan.assignee_id, ids),
                Plan.kind.in_(DISCIPLINE_KINDS),
                Plan.due_date >= start,
                Plan.due_date <= last_due,
                or_(Plan.status == PlanStatus.OPEN, Plan.overdue_marked_at.isnot(None)),
                Plan.status != PlanStatus.CANCELLED,
            )
            .group_by(Plan.assignee_id)
        ).all()
    )
    expired, no_plan = _open_lead_counts(ids, open_ids, today)
    effective = _effective_followups(ids, start, end, start_utc, end_utc, tz)
    breaches = dict(
        db.session.execute(
            select(Plan.assignee_id, func.count(Plan.id))
            .where(
                among(Plan.assignee_id, ids),
                FIRST_CONTACT_PLAN,  # a due-date range per person of the first-contact plans' index
                Plan.due_date >= start,
                Plan.due_date <= end,
                or_(
                    Plan.overdue_marked_at.isnot(None),
                    and_(Plan.status == PlanStatus.OPEN, Plan.due_date < today),
                ),
            )
            .group_by(Plan.assignee_id)
        ).all()
    )
    return [
        {
            "id": p.id,
            "name": p.display_name,
            "store_id": p.store_id,
            "overdue": overdue.get(p.id, 0),
            "expired": expired.get(p.id, 0),
            "no_plan": no_plan.get(p.id, 0),
            "effective": effective.get(p.id, 0),
            "breaches": breaches.get(p.id, 0),
        }
        for p in people
    ]


def _effective_followups(
    ids: list[int], start: date, end: date, start_utc: datetime, end_utc: datetime, tz: str | None
) -> dict[int, int]:
    """Per consultant: effective follow-ups logged from `start` to `end` (local days)."""
    from app.reports.queries_daily import consultant_totals

    kept = consultant_totals(ids, start, end, tz, "effective") if tz else None
    if kept is not None:
        return kept
    return dict(
        db.session.execute(
            select(FollowUp.user_id, func.count())
            .where(
                among(FollowUp.user_id, ids),
                FollowUp.is_effective.is_(True),
                FollowUp.occurred_at >= start_utc,
                FollowUp.occurred_at < end_utc,
            )
            .group_by(FollowUp.user_id)
        ).all()
    )


def _open_lead_counts(ids: list[int], open_ids: list[int], today: date) -> tuple[dict, dict]:
    """Per owner: open leads whose expected purchase date has passed, and open leads without an
    open plan. The second from today's open work (app/reports/open_work.py) where it is kept, the
    first as a range of the (store, stage, expected date) index read per store: not a count of
    every open lead of the people (640,000 for the group at 1,000,000 leads)."""
    from app.reports.aggregates import every_store_id
    from app.reports.open_work import owners_without_plan

    no_plan = owners_without_plan(ids)
    if no_plan is None:
        rows = db.session.execute(
            select(
                Lead.owner_id,
                func.count(case((Lead.expected_purchase_date < today, 1))),
                func.count(case((Lead.next_plan_due.is_(None), 1))),
            )
            .where(among(Lead.owner_id, ids), Lead.stage_id.in_(open_ids), Lead.merged_into_id.is_(None))
            .group_by(Lead.owner_id)
        ).all()
        return {r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows}
    expired = db.session.execute(
        select(Lead.owner_id, func.count())
        .where(
            Lead.store_id.in_(every_store_id()),  # one index range per store and stage
            Lead.stage_id.in_(open_ids),
            Lead.expected_purchase_date < today,
            among(Lead.owner_id, ids),
            Lead.merged_into_id.is_(None),
        )
        .group_by(Lead.owner_id)
    ).all()
    return dict(expired), no_plan


# ---- penalties ----------------------------------------------------------------------------


def violation_days(
    person_ids: list[int],
    start: date,
    end: date,
    today: date,
    offset_minutes: int = 480,
    store_ids: list[int] | None = None,
) -> dict[int, dict[date, int]]:
    """Count each person's violations per day from `start` to `end` (at most yesterday), in one statement.

    A violation is a plan (of the kinds a next plan can be) due that day and not done on time —
    still open, marked overdue by the job, or done on a later local day — or an open opportunity
    whose expected purchase date was that day. The dashboard, the discipline report, its export
    and the monthly PDF all count with this query and price with `app.followups.penalties`.
    """
    from app.reports.sqlutil import local_date_plus

    last = min(end, today - timedelta(days=1))
    ids = sorted({int(i) for i in person_ids if i})
    if not ids or last < start:
        return {}
    in_range = (
        among(Plan.assignee_id, ids),
        Plan.kind.in_(DISCIPLINE_KINDS),
        Plan.due_date >= start,
        Plan.due_date <= last,
    )
    # Open and closed plans apart, so each reads the (assignee, status, due date) index as a range.
    still_open = select(Plan.assignee_id.label("person"), Plan.due_date.label("day")).where(
        Plan.status == PlanStatus.OPEN, *in_range
    )
    done_late = and_(
        Plan.status == PlanStatus.DONE, local_date_plus(Plan.done_at, offset_minutes) > Plan.due_date
    )
    closed_late = select(Plan.assignee_id, Plan.due_date).where(
        Plan.status.in_([PlanStatus.DONE, PlanStatus.CANCELLED]),
        *in_range,
        or_(Plan.overdue_marked_at.isnot(None), done_late),
    )
    expired = select(Lead.owner_id.label("person"), Lead.expected_purchase_date.label("day")).where(
        among(Lead.owner_id, ids),
        Lead.stage_id.in_(open_stage_ids()),
        Lead.merged_into_id.is_(None),
        Lead.expected_purchase_date >= start,
        Lead.expected_purchase_date <= last,
    )
    if store_ids:  # the people's stores: the (store, stage, expected date) index gives a narrow range
        expired = expired.where(Lead.store_id.in_(sorted(set(store_ids))))
    both = union_all(still_open, closed_late, expired).subquery()
    out: dict[int, dict[date, int]] = {}
    for person, day, n in db.session.execute(
        select(both.c.person, both.c.day, func.count()).group_by(both.c.person, both.c.day)
    ):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        out.setdefault(person, {})[day] = int(n)
    return out


def penalty_rules() -> dict:
    """Return the store policy's penalty rule (the admin's setting completed with the defaults)."""
    return penalties.penalty_rules(get_setting("penalty"))


def penalty_board(
    store_ids: list[int] | None,
    start: date,
    end: date,
    today: date,
    tz: str | None = None,
    consultant_ids: list[int] | None = None,
) -> dict:
    """Return every active consultant's and manager's penalty in the stores for a range of days.

    {"rules", "consultants": {id: row}, "managers": {id: row}}; a row has id, name, store_id,
    manager_id, violations, amount and penalty (the Penalty, or the team's total for a manager).
    """
    rules = penalty_rules()
    stmt = select(User.id, User.display_name, User.store_id, User.manager_id, User.role).where(
        User.role.in_([Role.CONSULTANT, Role.MANAGER]), User.active.is_(True)
    )
    if store_ids is not None:
        stmt = stmt.where(User.store_id.in_(store_ids))
    people = db.session.execute(stmt.order_by(User.store_id, User.display_name, User.id)).all()
    consultants = [p for p in people if p.role == Role.CONSULTANT]
    offset = utc_offset_minutes(tz, local_midnight_utc(start, tz))  # the zone's offset on the first day
    days = violation_days(
        [p.id for p in consultants],
        start,
        end,
        today,
        offset,
        store_ids=[p.store_id for p in consultants if p.store_id],
    )
    rows = {}
    for p in consultants:
        penalty = penalties.person_penalty(days.get(p.id, {}), rules)
        rows[p.id] = {
            "id": p.id,
            "name": p.display_name,
            "store_id": p.store_id,
            "manager_id": p.manager_id,
            "violations": penalty.violations,
            "amount": penalty.amount,
            "penalty": penalty,
        }
    managers = {}
    for p in people:
        if p.role != Role.MANAGER:
            continue
        team = penalties.team_of(p.id, p.store_id, rows.values())
        if not team:
            continue
        total = sum(r["amount"] for r in team)
        managers[p.id] = {
            "id": p.id,
            "name": p.display_name,
            "store_id": p.store_id,
            "manager_id": None,
            "violations": None,
            "amount": penalties.manager_amount([total], rules),
            "team_total": total,
        }
    if consultant_ids is not None:
        rows = {k: v for k, v in rows.items() if k in set(consultant_ids)}
    return {"rules": rules, "consultants": rows, "managers": managers}


# ---- reclaim ------------------------------------------------------------------------------


def reclaim_days() -> int:
    """The reclaim period in days (admin setting `reclaim_days`)."""
    return int(get_setting("reclaim_days"))


def _reclaim_candidates():
    """Open, owned, not merged: the leads the reclaim rule looks at."""
    return and_(Lead.owner_id.isnot(None), Lead.stage_id.in_(open_stage_ids()), Lead.merged_into_id.is_(None))


def _reclaim_stale(cutoff: datetime):
    """SQL of rules.reclaim_eligible, first branch: followed up effectively, last time at or before `cutoff`."""
    first = getattr(Lead, RECLAIM_CLOCK[0])
    return first <= cutoff


def _reclaim_never(cutoff: datetime):
    """SQL of rules.reclaim_eligible, second branch: never followed up effectively, and the rest of the
    clock (coalesce of the remaining columns) at or before `cutoff`. The earliest column (created_at)
    is required to be past the cutoff too: implied by the rule, it lets the index range-scan."""
    first, *rest = (getattr(Lead, name) for name in RECLAIM_CLOCK)
    return and_(first.is_(None), rest[-1] <= cutoff, func.coalesce(*rest) <= cutoff)


def reclaim_clause(cutoff: datetime):
    """Open, owned leads the reclaim rule (rules.reclaim_eligible with this cutoff) selects."""
    return and_(_reclaim_candidates(), or_(_reclaim_stale(cutoff), _reclaim_never(cutoff)))


def reclaim_list(store_ids: list[int] | None, cutoff: datetime, limit: int = 100) -> list:
    """Return leads eligible for reclaim with owner name: never effectively followed up first, then the
    longest-neglected. Two index-led queries instead of one OR the planner cannot use an index for."""
    owner = OWNER
    base = (
        select(
            Lead.id,
            Lead.name,
            Lead.store_id,
            Lead.owner_id,
            Lead.last_effective_followup_at,
            Lead.assigned_at,
            Lead.created_at,
            owner.display_name.label("owner_name"),
            owner.capacity.label("owner_capacity"),
        )
        .join(owner, owner.id == Lead.owner_id)
        .where(_reclaim_candidates())
    )
    if store_ids is not None:
        base = base.where(Lead.store_id.in_(store_ids))
    # Ordered by the (NULL) last follow-up too, so PostgreSQL reads the index in order as SQLite does.
    never = db.session.execute(
        base.where(_reclaim_never(cutoff))
        .order_by(Lead.last_effective_followup_at, Lead.created_at)
        .limit(limit)
    ).all()
    stale = db.session.execute(
        base.where(_reclaim_stale(cutoff)).order_by(Lead.last_effective_followup_at).limit(limit)
    ).all()
    return (never + stale)[:limit]


def other_followers(lead_rows: list) -> dict[int, int]:
    """Return lead id -> the latest user other than the owner who followed the lead up."""
    if not lead_rows:
        return {}
    owners = {r.id: r.owner_id for r in lead_rows}
    rows = db.session.execute(
        select(FollowUp.lead_id, FollowUp.user_id, func.max(FollowUp.occurred_at))
        .where(FollowUp.lead_id.in_(list(owners)))
        .group_by(FollowUp.lead_id, FollowUp.user_id)
    ).all()
    best: dict[int, tuple] = {}
    for lead_id, user_id, at in rows:
        if user_id != owners[lead_id] and (lead_id not in best or at > best[lead_id][1]):
            best[lead_id] = (user_id, at)
    return {k: v[0] for k, v in best.items()}


def lost_leads(store_ids: list[int] | None, limit: int = 50) -> list:
    """Return recently confirmed-lost leads that can be tried again."""
    owner = OWNER
    stmt = (
        select(Lead.id, Lead.name, Lead.lost_at, owner.display_name.label("owner_name"))
        .outerjoin(owner, owner.id == Lead.owner_id)
        .where(Lead.stage_id == stage_by_code("lost").id, Lead.merged_into_id.is_(None))
    )
    if store_ids is not None:
        stmt = stmt.where(Lead.store_id.in_(store_ids))
    return db.session.execute(stmt.order_by(Lead.updated_at.desc()).limit(limit)).all()


def open_leads_without_owner_or_plan(
    store_ids: list[int] | None = None, limit: int = 500
) -> list[tuple[int, str]]:
    """The open leads that fell out of the loop, as (lead id, why), oldest first.

    An open lead (stage neither won nor lost, not merged into another) is either in its store's
    unassigned pool awaiting assignment (no owner, by design) or has an active owner AND an open
    next plan. `why` is "inactive_owner" (the owner was deactivated) or "no_plan".
    """
    next_plan = (
        select(Plan.id)
        .where(Plan.lead_id == Lead.id, Plan.status == PlanStatus.OPEN, Plan.kind.in_(NEXT_PLAN_KINDS))
        .exists()
    )
    active_owner = select(User.id).where(User.id == Lead.owner_id, User.active.is_(True)).exists()
    why = case((~active_owner, "inactive_owner"), else_="no_plan")
    stmt = (
        select(Lead.id, why)
        .where(
            Lead.owner_id.is_not(None),
            Lead.merged_into_id.is_(None),
            Lead.stage_id.in_(open_stage_ids()),
            ~(active_owner & next_plan),
        )
        .order_by(Lead.id)
        .limit(limit)
    )
    if store_ids is not None:
        stmt = stmt.where(Lead.store_id.in_(store_ids or [-1]))
    return [(lead_id, str(reason)) for lead_id, reason in db.session.execute(stmt).all()]
