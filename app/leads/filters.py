"""The lead list filter: parse the query string once, apply it to any lead select.

The list page, the export and the reports all start from `LeadFilter.from_args(request.args)`
and `.apply(scoped_leads(user))`, so "the leads I am looking at" means the same everywhere.
The clauses themselves come from app.leads.conditions, shared with the board, campaigns and reports.
"""

from dataclasses import dataclass, field, fields
from datetime import date

from sqlalchemy import Select

from app.admin.reference import by_code, channels, grades, stages
from app.core.params import parse_date, parse_positive_int
from app.core.timeutil import local_today
from app.leads import conditions as cond
from app.leads.conditions import MAX_Q, search_clause
from app.leads.models import Lead

# Sort keys the list accepts (anything else is a 400). Each one is backed by an index together
# with owner_id / store_id, and ends with the id so pages are stable.
SORTS = {
    "created": Lead.created_at,
    "name": Lead.name,
    "expected": Lead.expected_purchase_date,
    "next_plan": Lead.next_plan_due,
}
# Dates that may be empty sort ascending only: an index gives "soonest first, empty last" for free,
# while "latest first, empty last" would sort every row.
ASCENDING_ONLY = {"next_plan", "expected"}
DEFAULT_SORT = "-created"


def _default_sort(overdue: bool, expired: bool) -> str:
    """Overdue lists start with the most overdue plan, expired ones with the oldest purchase date:
    what a manager acts on first, and an order the date indexes serve without sorting."""
    if overdue:
        return "next_plan"
    if expired:
        return "expected"
    return DEFAULT_SORT


class InvalidFilter(ValueError):
    """A query-string value the list cannot use (unknown sort column)."""


_date = parse_date
_int = parse_positive_int  # ids only (store, owner)


def _flag(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "on", "yes"}


@dataclass
class LeadFilter:
    """What the user asked the lead list to show."""

    q: str = ""
    grade: list[str] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    owner: str = ""  # a user id, or "none" for the pool
    store: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    expected_from: date | None = None
    expected_to: date | None = None
    overdue: bool = False
    expired: bool = False
    no_plan: bool = False
    sort: str = DEFAULT_SORT

    @classmethod
    def from_args(cls, args) -> "LeadFilter":
        """Build a filter from request.args (or any mapping with getlist); raise InvalidFilter on a bad sort."""
        if hasattr(args, "getlist"):
            getlist = args.getlist
        else:  # a plain dict, e.g. the filters stored with an export request

            def getlist(key):
                value = args.get(key)
                return list(value) if isinstance(value, list | tuple) else ([value] if value else [])

        sort = (args.get("sort") or "").strip() or _default_sort(
            _flag(args.get("overdue")), _flag(args.get("expired"))
        )
        key = sort.removeprefix("-")
        if key not in SORTS or (sort.startswith("-") and key in ASCENDING_ONLY):
            raise InvalidFilter(sort)
        owner = (args.get("owner") or "").strip()
        if owner and owner != "none" and _int(owner) is None:
            owner = ""

        def codes(key, known):
            return [c for c in getlist(key) if c in known]

        return cls(
            q=(args.get("q") or "").strip()[:MAX_Q],
            grade=codes("grade", by_code(grades())),
            stage=codes("stage", by_code(stages())),
            source=codes("source", by_code(channels())),
            owner=owner,
            store=_int(args.get("store")),
            created_from=_date(args.get("created_from")),
            created_to=_date(args.get("created_to")),
            expected_from=_date(args.get("expected_from")),
            expected_to=_date(args.get("expected_to")),
            overdue=_flag(args.get("overdue")),
            expired=_flag(args.get("expired")),
            no_plan=_flag(args.get("no_plan")),
            sort=sort,
        )

    def where(self, today: date | None = None) -> list:
        """Return the WHERE clauses of this filter (today: the store's local date, default Shanghai's)."""
        today = today or local_today()
        clauses = []
        if self.q:
            clauses.append(search_clause(self.q))
        if self.grade:
            clauses.append(cond.grade_in(cond.codes_to_ids(self.grade, grades())))
        if self.stage:
            clauses.append(cond.stage_in(cond.codes_to_ids(self.stage, stages())))
        if self.source:
            clauses.append(cond.source_in(cond.codes_to_ids(self.source, channels())))
        if self.owner:
            clauses.append(cond.owner_is(None if self.owner == "none" else int(self.owner)))
        if self.store:
            clauses.append(cond.store_is(self.store))
        if self.created_from or self.created_to:
            clauses.append(cond.created_between(self.created_from, self.created_to))
        if self.expected_from or self.expected_to:
            clauses.append(cond.expected_between(self.expected_from, self.expected_to))
        if self.overdue:
            clauses.append(cond.overdue(today))
        if self.expired:
            clauses.append(cond.expired(today))
        if self.no_plan:
            clauses.append(cond.no_plan())
        return clauses

    def order_by(self) -> list:
        column = SORTS[self.sort.removeprefix("-")]
        if self.sort.startswith("-"):
            return [column.desc(), Lead.id.desc()]
        # Ascending puts empty dates last on every database (PostgreSQL's b-tree order).
        return [column.asc().nulls_last(), Lead.id.asc()]

    def apply(self, stmt: Select, today: date | None = None, *, order: bool = True) -> Select:
        """Add this filter's conditions (and its sort) to a lead select."""
        clauses = self.where(today)
        if clauses:
            stmt = stmt.where(*clauses)
        return stmt.order_by(*self.order_by()) if order else stmt

    def to_args(self) -> dict:
        """Return the filter as query-string arguments (empty values left out)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, "", [], False) or (f.name == "sort" and value == DEFAULT_SORT):
                continue
            if isinstance(value, bool):
                out[f.name] = "1"
            elif isinstance(value, date):
                out[f.name] = value.isoformat()
            else:
                out[f.name] = value
        return out

    @property
    def active(self) -> bool:
        return bool({k for k in self.to_args() if k != "sort"})
