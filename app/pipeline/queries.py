"""Board reads: column counts in one grouped query, the first cards of every column in one
query, keyset pages of one column, and the cheap "anything changed?" token.

Column pages walk the (owner|store, stage, next_plan_due) indexes: leads with a plan date in
date order, then leads without a plan in id order, so a 5,000-card column costs what a
20-card one does.
"""

from dataclasses import astuple, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app, g
from sqlalchemy import ColumnElement, func, literal_column, select, union_all

from app.accounts.models import Role, Store, User
from app.admin.reference import open_stage_ids, vehicle_models
from app.core.params import parse_date, parse_positive_int
from app.extensions import db
from app.followups.models import DefeatRequest, DefeatStatus
from app.leads import conditions as cond
from app.leads.models import Lead, StageChange
from app.pipeline.rules import Cursor, sort_key
from app.web.permissions import GROUP_ROLES, lead_scope_clause, scoped_leads

PAGE_SIZE = 20

CARD_COLUMNS = (
    Lead.id,
    Lead.name,
    Lead.version,
    Lead.stage_id,
    Lead.grade_id,
    Lead.model_id,
    Lead.owner_id,
    Lead.expected_purchase_date,
    Lead.next_plan_due,
    Lead.last_effective_followup_at,
    Lead.is_important,
    Lead.stage_changed_at,
    Lead.stage_changed_by_id,
)


@dataclass
class BoardFilters:
    """What the board shows: the query string of GET /board, parsed and checked."""

    grade: int | None = None
    source: int | None = None
    model: int | None = None
    overdue: bool = False
    expired: bool = False
    noplan: bool = False
    created_from: date | None = None
    created_to: date | None = None
    owner: int | None = None  # managers and directors: one consultant
    store: int | None = None  # directors: one store (the board is always one store for them)
    today: date = field(default_factory=date.today)

    def args(self) -> dict:
        """Return the filters as query arguments (for links, polling and load-more)."""
        out = {}
        for key in ("grade", "source", "model", "owner", "store"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        for key in ("overdue", "expired", "noplan"):
            if getattr(self, key):
                out[key] = 1
        if self.created_from:
            out["created_from"] = self.created_from.isoformat()
        if self.created_to:
            out["created_to"] = self.created_to.isoformat()
        return out


_int = parse_positive_int
_date = parse_date


def parse_filters(args, user: User, today: date) -> BoardFilters:
    """Read the filters from a query string; a user only gets the filters of their role."""
    filters = BoardFilters(
        grade=_int(args.get("grade")),
        source=_int(args.get("source")),
        model=_int(args.get("model")),
        overdue=args.get("overdue") in {"1", "on", "true"},
        expired=args.get("expired") in {"1", "on", "true"},
        noplan=args.get("noplan") in {"1", "on", "true"},
        created_from=_date(args.get("created_from")),
        created_to=_date(args.get("created_to")),
        today=today,
    )
    if user.role in {Role.MANAGER} | GROUP_ROLES:
        filters.owner = _int(args.get("owner"))
    if user.role in GROUP_ROLES:
        filters.store = _int(args.get("store")) or user.store_id or first_store_id()
    return filters


def first_store_id() -> int | None:
    """The board a director opens without choosing: the active store with the lowest id."""
    return min((row.id for row in stores()), default=None)


# Shared with app.leads.conditions and recognised by identity: counts that an index answers alone drop it.
MERGED_CLAUSE = cond.not_merged()


def _where(user: User, filters: BoardFilters, plan_missing: ColumnElement[bool] = cond.NO_PLAN_DUE) -> list:
    """Return the WHERE clauses of the board: the user's scope plus the filters.

    `plan_missing` is how the "no plan" filter writes "no plan date" (see column_counts).
    """
    clauses = [MERGED_CLAUSE, lead_scope_clause(user)]
    if filters.store:
        clauses.append(cond.store_is(filters.store))
    if filters.owner:
        clauses.append(cond.owner_is(filters.owner))
    if filters.grade:
        clauses.append(cond.grade_in([filters.grade]))
    if filters.source:
        clauses.append(cond.source_in([filters.source]))
    if filters.model:
        clauses.append(cond.model_is(filters.model))
    if filters.overdue:
        clauses.append(cond.overdue(filters.today))
    if filters.noplan:
        clauses.append(cond.no_plan(plan_missing))
    if filters.expired:
        clauses.append(cond.expired(filters.today))
    if filters.created_from or filters.created_to:
        clauses.append(cond.created_between(filters.created_from, filters.created_to))
    return clauses


# Filters that read columns outside the (owner|store, stage, next_plan_due) indexes.
HEAP_FILTERS = ("grade", "source", "model", "expired", "created_from", "created_to")


def _index_only(filters: BoardFilters) -> bool:
    """Whole-store counts without filters on other columns need no per-row heap visit."""
    return not any(getattr(filters, f) for f in HEAP_FILTERS)


def column_counts(user: User, filters: BoardFilters) -> dict[int, tuple[int, int]]:
    """Return {stage_id: (number of leads, sum of guide prices)} in one grouped query.

    A consultant's (or one consultant's) columns also carry the guide-price total of the
    models of interest; store-wide counts leave prices to the reports, and without filters on
    other columns they are read from the (store, stage, due) index alone.
    """
    store_wide = user.role != Role.CONSULTANT and not filters.owner
    if store_wide and filters.noplan and db.session.get_bind().dialect.name == "sqlite":
        # SQLite would skip-scan another index on "next_plan_due IS NULL"; keep it on the store's.
        clauses = _where(user, filters, plan_missing=func.coalesce(Lead.next_plan_due, date.max) == date.max)
    else:
        clauses = _where(user, filters)
    if store_wide:
        if _index_only(filters):
            # Merged duplicates keep their row; counting them here keeps the count index-only.
            clauses = [c for c in clauses if c is not MERGED_CLAUSE]
        rows = db.session.execute(
            select(Lead.stage_id, func.count()).where(*clauses).group_by(Lead.stage_id)
        ).all()
        return {stage_id: (count, 0) for stage_id, count in rows}
    prices = {row.id: row.price or 0 for row in vehicle_models()}
    rows = db.session.execute(
        select(Lead.stage_id, Lead.model_id, func.count())
        .where(*clauses)
        .group_by(Lead.stage_id, Lead.model_id)
    ).all()
    totals: dict[int, tuple[int, int]] = {}
    for stage_id, model_id, count in rows:
        n, value = totals.get(stage_id, (0, 0))
        totals[stage_id] = (n + count, value + count * prices.get(model_id, 0))
    return totals


def _dated_part(user, filters, stage_id: int, after: Cursor | None, limit: int):
    stmt = select(*CARD_COLUMNS).where(
        *_where(user, filters), Lead.stage_id == stage_id, Lead.next_plan_due.is_not(None)
    )
    if after is not None:
        stmt = stmt.where(
            Lead.next_plan_due >= after.due, (Lead.next_plan_due > after.due) | (Lead.id > after.id)
        )
    return stmt.order_by(Lead.next_plan_due, Lead.id).limit(limit)


def _undated_part(user, filters, stage_id: int, after: Cursor | None, limit: int):
    stmt = select(*CARD_COLUMNS).where(
        *_where(user, filters), Lead.stage_id == stage_id, Lead.next_plan_due.is_(None)
    )
    if after is not None and after.due is None:
        stmt = stmt.where(Lead.id > after.id)
    # next_plan_due is NULL throughout; naming it keeps the planner on the (…, stage, due) index.
    return stmt.order_by(Lead.next_plan_due, Lead.id).limit(limit)


def _parts(user, filters, stage_id: int, after: Cursor | None, limit: int) -> list:
    parts = []
    if (after is None or after.due is not None) and not filters.noplan:
        parts.append(_dated_part(user, filters, stage_id, after, limit))
    if not filters.overdue:
        parts.append(_undated_part(user, filters, stage_id, after, limit))
    return parts


_CARD_TYPES = [(col.key, col.type) for col in (attr.property.columns[0] for attr in CARD_COLUMNS)]


def _outer_columns(alias: str) -> list:
    """Typed columns of a named card subquery (cheaper than building its column collection)."""
    return [literal_column(f"{alias}.{name}", type_=type_).label(name) for name, type_ in _CARD_TYPES]


def _statement(parts: list):
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    # Each part keeps its own ORDER BY and LIMIT inside a subquery, all in one round trip.
    subqueries = [
        select(*_outer_columns(f"p{i}")).select_from(part.subquery(f"p{i}")) for i, part in enumerate(parts)
    ]
    return union_all(*subqueries)


def _cards(user: User, filters: BoardFilters, stage_ids: list[int], after: Cursor | None, limit: int) -> list:
    """The card rows of these columns: one statement, built once for the same user, filters,
    columns, cursor and page size (and the same open stages and database)."""
    stmt = _card_statement(
        current_app.config["SQLALCHEMY_DATABASE_URI"],
        (user.role, user.id, user.store_id),
        astuple(filters),
        tuple(stage_ids),
        after,
        limit,
        tuple(open_stage_ids()),  # the "expired" filter names the open stages
    )
    return db.session.execute(stmt).all() if stmt is not None else []


@lru_cache(maxsize=256)
def _card_statement(
    _database, scope: tuple, filters: tuple, stage_ids: tuple, after, limit: int, _open_stages
):
    """The cards' statement, built from these values alone and kept: a board's statement is a union
    of two parts per column, each with the scope and the filters, and building it and SQLAlchemy's
    cache key of it cost more than running it (about 8 of 18 ms for a store's six columns)."""
    role, user_id, store_id = scope
    user = SimpleNamespace(role=role, id=user_id, store_id=store_id)  # what the scope reads of a user
    board = BoardFilters(*filters)
    parts = []
    for stage_id in stage_ids:
        parts.extend(_parts(user, board, stage_id, after, limit))
    return _statement(parts)


def first_cards(
    user: User, filters: BoardFilters, stage_ids: list[int], limit: int = PAGE_SIZE
) -> dict[int, list]:
    """Return {stage_id: first `limit` cards} of every given column, in one query."""
    return _group(_cards(user, filters, stage_ids, None, limit + 1), stage_ids, limit)


def column_page(
    user: User, filters: BoardFilters, stage_id: int, after: Cursor | None, limit: int = PAGE_SIZE
) -> tuple[list, bool]:
    """Return the next `limit` cards of one column after `after`, and whether more follow."""
    grouped = _group(_cards(user, filters, [stage_id], after, limit + 1), [stage_id], limit + 1)
    rows = grouped[stage_id]
    return rows[:limit], len(rows) > limit


def _group(rows: list, stage_ids: list[int], limit: int) -> dict[int, list]:
    grouped: dict[int, list] = {stage_id: [] for stage_id in stage_ids}
    for row in sorted(rows, key=lambda r: sort_key(r.next_plan_due, r.id)):
        bucket = grouped.setdefault(row.stage_id, [])
        if len(bucket) <= limit:
            bucket.append(row)
    return grouped


def card(user: User, lead_id: int):
    """Return one card row in the user's scope (None when out of scope)."""
    return db.session.execute(
        select(*CARD_COLUMNS).where(scoped_leads(user).whereclause, Lead.id == lead_id)
    ).one_or_none()


def pending_defeats(lead_ids) -> set[int]:
    """Return which of these leads have a defeat request waiting for a manager (one query)."""
    ids = list(lead_ids)
    if not ids:
        return set()
    return set(
        db.session.execute(
            select(DefeatRequest.lead_id).where(
                DefeatRequest.lead_id.in_(ids), DefeatRequest.status == DefeatStatus.PENDING
            )
        ).scalars()
    )


def user_names(user_ids) -> dict[int, str]:
    """Return {user id: display name} for the given ids, in one query."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def store_consultants(store_id: int | None) -> list:
    """Return (id, display name) of the active sales staff of a store, for the owner filter."""
    if not store_id:
        return []
    return db.session.execute(
        select(User.id, User.display_name)
        .where(
            User.store_id == store_id,
            User.active.is_(True),
            User.role.in_([Role.CONSULTANT, Role.MANAGER, Role.DCC]),
        )
        .order_by(User.display_name)
    ).all()


def stores() -> list:
    """Return (id, name) of active stores, for a director's store filter (read once per request:
    the default store and the filter's choices come from the same rows)."""
    if "board_stores" not in g:
        g.board_stores = db.session.execute(
            select(Store.id, Store.name).where(Store.active.is_(True)).order_by(Store.code)
        ).all()
    return g.board_stores


# ---- "anything changed?" ------------------------------------------------------------------------


def _watch_store(user: User, filters: BoardFilters) -> int | None:
    return filters.store or user.store_id


def change_token(user: User, filters: BoardFilters) -> str:
    """Return a token that changes when a lead of the board's store moves or arrives (ONE query).

    Both maxima are read from the top of an index: (store_id, created_at) on stage_changes and
    on leads, so the check costs the same at a million leads as at ten.
    """
    store_id = _watch_store(user, filters)
    if user.role == Role.CONSULTANT:
        new_leads = select(func.max(Lead.created_at)).where(Lead.owner_id == user.id)
    else:
        new_leads = select(func.max(Lead.created_at)).where(Lead.store_id == store_id)
    moves = select(func.max(StageChange.created_at)).where(StageChange.store_id == store_id)
    row = db.session.execute(select(moves.scalar_subquery(), new_leads.scalar_subquery())).one()
    return "~".join(value.strftime("%Y%m%d%H%M%S%f") if value else "0" for value in row)


def parse_token_time(token: str) -> datetime | None:
    """Return the stage-change time recorded in a token (None for a malformed one)."""
    head = (token or "").split("~")[0]
    if head == "0":  # no move had been recorded yet
        return datetime(2000, 1, 1)
    try:
        return datetime.strptime(head, "%Y%m%d%H%M%S%f")
    except ValueError:
        return None


def changed_stage_ids(
    user: User, filters: BoardFilters, since: datetime | None, limit: int = 500
) -> set[int] | None:
    """Return the stages touched by moves after `since` (None: refresh every column)."""
    if since is None:
        return None
    store_id = _watch_store(user, filters)
    rows = db.session.execute(
        select(StageChange.from_stage_id, StageChange.to_stage_id)
        .where(StageChange.store_id == store_id, StageChange.created_at > since)
        .order_by(StageChange.created_at)
        .limit(limit)
    ).all()
    if len(rows) >= limit:
        return None
    return {stage for row in rows for stage in row if stage is not None}
