"""The follow-up cadence and discipline rules as pure functions.

No Flask, no SQLAlchemy: `today` / `now` and the cadence table (grade code -> days) are passed
in, so every rule can be read and tested on its own.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from app.core.errors import DomainError
from app.core.timeutil import local_midnight_utc as local_midnight_utc
from app.core.timeutil import local_today

EFFECTIVE_RESULTS = frozenset({"reached"})


# ---- dates ------------------------------------------------------------------------------------

# The local date of a naive UTC instant and the UTC start of a local day come from the one clock.
local_date = local_today


# ---- cadence ----------------------------------------------------------------------------------


def cadence_days(grade_code: str, cadence: dict[str, int]) -> int:
    """Return the follow-up interval of a grade (unknown grades fall back to the slowest)."""
    if grade_code in cadence:
        return int(cadence[grade_code])
    return max(cadence.values()) if cadence else 30


def default_plan_date(grade_code: str, cadence: dict[str, int], today: date) -> date:
    """Return the default date of the next plan: today plus the grade's cadence."""
    return today + timedelta(days=cadence_days(grade_code, cadence))


def latest_allowed_date(grade_code: str, cadence: dict[str, int], today: date) -> date:
    """Return the last date a plan may have without giving a reason."""
    return default_plan_date(grade_code, cadence, today)


def check_next_plan(
    due: date | None,
    content: str,
    grade_code: str,
    cadence: dict[str, int],
    today: date,
    late_reason: str | None,
    *,
    required: bool = True,
) -> None:
    """Validate a next plan; raise DomainError with the offending field in `details`."""
    if due is None:
        if required:
            raise DomainError("next_plan_required", "a next plan is required", field="next_due")
        return
    if due < today:
        raise DomainError("plan_in_past", "the plan date is in the past", field="next_due")
    if not (content or "").strip() and required:
        raise DomainError("plan_content_required", "say what you will do", field="next_content")
    if due > latest_allowed_date(grade_code, cadence, today) and not (late_reason or "").strip():
        raise DomainError(
            "late_reason_required",
            "a later date than the cadence needs a reason",
            field="late_reason",
            latest=latest_allowed_date(grade_code, cadence, today),
        )


def next_plan_required(stage_kind: str) -> bool:
    """A next plan is mandatory for every lead that is neither won nor lost."""
    return str(stage_kind) == "open"


def is_effective(result: str, content: str | None) -> bool:
    """An effective follow-up (有效跟进) reached the customer and says what was discussed."""
    return str(result) in EFFECTIVE_RESULTS and bool((content or "").strip())


def regraded_due(current_due: date, new_grade_code: str, cadence: dict[str, int], today: date) -> date:
    """Return the open plan's due date after a grade change.

    A higher grade brings the plan forward to its shorter cadence; a lower grade never pushes
    it later, so lowering the grade cannot hide a plan that is already due.
    """
    return min(current_due, default_plan_date(new_grade_code, cadence, today))


# ---- leave windows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    starts_on: date
    ends_on: date

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def first_working_day_after(day: date, windows: list[Window]) -> date:
    """Return the first day after `day` that falls in none of the leave windows."""
    candidate = day + timedelta(days=1)
    moved = True
    while moved:
        moved = False
        for window in windows:
            if window.covers(candidate):
                candidate = window.ends_on + timedelta(days=1)
                moved = True
    return candidate


def postponed_due(due: date, window: Window, windows: list[Window] | None = None) -> date:
    """Return where a plan due inside the window goes: the first working day after it."""
    if not window.covers(due):
        return due
    return first_working_day_after(window.ends_on, [window, *(windows or [])])


def check_window(starts_on: date, ends_on: date, today: date) -> None:
    """Validate a leave window typed by a user."""
    if ends_on < starts_on:
        raise DomainError("window_reversed", "the end is before the start", field="ends_on")
    if ends_on < today:
        raise DomainError("window_past", "the window is over already", field="ends_on")
    if (ends_on - starts_on).days > 92:
        raise DomainError("window_too_long", "at most three months", field="ends_on")


# ---- reclaim, deadlines -----------------------------------------------------------------------

# The 'no effective follow-up' clock runs from the first of these Lead columns that is set. The list
# is the rule: reclaim_reference reads it in Python, followups.queries.reclaim_clause builds the SQL
# from it. The last one (created_at) is never later than the others (a lead is assigned and followed
# up after it exists), so the SQL may also require it to be past the cutoff, for the index.
RECLAIM_CLOCK = ("last_effective_followup_at", "assigned_at", "created_at")


def reclaim_reference(
    last_effective_at: datetime | None, assigned_at: datetime | None, created_at: datetime
) -> datetime:
    """Return the instant the 'no effective follow-up' clock runs from (the first set, in RECLAIM_CLOCK order)."""
    return next(at for at in (last_effective_at, assigned_at, created_at) if at is not None)


def reclaim_eligible(
    last_effective_at: datetime | None,
    assigned_at: datetime | None,
    created_at: datetime,
    now: datetime,
    days: int = 30,
) -> bool:
    """A lead may be reclaimed once `days` full days passed without an effective follow-up."""
    return now - reclaim_reference(last_effective_at, assigned_at, created_at) >= timedelta(days=days)


def reclaim_cutoff(now: datetime, days: int = 30) -> datetime:
    """Leads whose clock started at or before this instant are eligible."""
    return now - timedelta(days=days)


def first_contact_deadline(assigned_at: datetime, hours: int) -> datetime:
    """Return when the first contact is due after an assignment."""
    return assigned_at + timedelta(hours=hours)


def first_contact_breached(due_at: datetime | None, contacted_at: datetime | None, now: datetime) -> bool:
    """The first contact came after its deadline (or has not come and the deadline passed)."""
    if due_at is None:
        return False
    if contacted_at is None:
        return now > due_at
    return contacted_at > due_at


# ---- assignment suggestions -------------------------------------------------------------------


@dataclass
class Candidate:
    id: int
    region: str = ""
    open_leads: int = 0
    ha_leads: int = 0
    capacity: int = 300
    on_leave: bool = False
    picked: int = 0  # sequence number of the last pick in this run (round-robin)


@dataclass(frozen=True)
class PoolLead:
    id: int
    region: str | None = None
    grade_code: str = "C"
    is_important: bool = False


@dataclass(frozen=True)
class Suggestion:
    lead_id: int
    user_id: int | None
    reason: str  # local | workload | important | no_capacity


@dataclass
class _State:
    seq: int = 0
    candidates: list[Candidate] = field(default_factory=list)


def _region_match(lead_region: str | None, candidate_region: str) -> bool:
    if not lead_region or not candidate_region:
        return False
    return lead_region in candidate_region or candidate_region in lead_region


def suggest_assignments(leads: list[PoolLead], candidates: list[Candidate]) -> list[Suggestion]:
    """Suggest an owner per lead: local first, then the lightest load, round-robin among equals.

    Consultants on leave and at capacity are skipped; important leads are left to the manager.
    """
    state = _State(candidates=[c for c in candidates if not c.on_leave])
    out = []
    for lead in leads:
        if lead.is_important:
            out.append(Suggestion(lead.id, None, "important"))
            continue
        free = [c for c in state.candidates if c.open_leads < c.capacity]
        if not free:
            out.append(Suggestion(lead.id, None, "no_capacity"))
            continue
        local = [c for c in free if _region_match(lead.region, c.region)]
        pool = local or free
        best = min(
            pool, key=lambda c: (Fraction(c.open_leads, max(c.capacity, 1)), c.ha_leads, c.picked, c.id)
        )
        state.seq += 1
        best.picked = state.seq
        best.open_leads += 1
        if lead.grade_code in {"H", "A"}:
            best.ha_leads += 1
        out.append(Suggestion(lead.id, best.id, "local" if local else "workload"))
    return out


# ---- DCC figures ------------------------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    """Return part/whole as a percentage rounded to one decimal, or None without a base."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)


def dcc_figures(calls: int, connected: int, appointments: int, shows: int) -> dict:
    """Connect rate = connected/calls, appointment rate = appointments/connected, show = shows/appointments."""
    return {
        "calls": calls,
        "connected": connected,
        "appointments": appointments,
        "shows": shows,
        "connect_rate": rate(connected, calls),
        "appointment_rate": rate(appointments, connected),
        "show_rate": rate(shows, appointments),
    }
