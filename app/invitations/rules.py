"""Pure invitation rules: tokens, RSVP and call-outcome transitions, cut-offs, reminders, rates.

No Flask, no SQLAlchemy: `now` is passed in, errors are DomainError with stable codes.
"""

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.core.errors import DomainError
from app.core.params import parse_int, parse_positive_int
from app.core.rates import format_percent
from app.core.rates import rate as _rate
from app.invitations.models import InvitationStatus as S

TOKEN_LENGTH = 26  # base32 characters: 130 bits
TOKEN_RE = re.compile(r"^[A-Z2-7]{26}$")
_TAIL_RE = re.compile(r"([A-Z2-7]{26})$")
TOKEN_GRACE = timedelta(days=2)
MAX_HEADCOUNT = 10
DEFAULT_CUTOFF_HOURS = 2

ANSWERS = ("accept", "decline")
OUTCOMES = ("accepted", "declined", "no_answer", "wrong_number")
RESPONDED = {S.ACCEPTED, S.DECLINED}


def new_token() -> str:
    """Return a fresh 26-character uppercase base32 token (130 bits from `secrets`)."""
    return base64.b32encode(secrets.token_bytes(17)).decode("ascii")[:TOKEN_LENGTH]


def is_token(text: str | None) -> bool:
    """Tell whether `text` has the exact shape of a token."""
    return bool(text) and bool(TOKEN_RE.match(text))


def token_from_scan(scanned: str | None) -> str | None:
    """Return the token at the end of scanned text (bare token or a URL ending in it), or None."""
    text = (scanned or "").strip().rstrip("/").upper()
    if text.endswith("/EVENT.ICS"):
        text = text[: -len("/EVENT.ICS")]
    match = _TAIL_RE.search(text)
    return match.group(1) if match else None


def token_expiry(event_ends_at: datetime, grace: timedelta = TOKEN_GRACE) -> datetime:
    """Return when an invitation token stops working: the event's end plus a grace period."""
    return event_ends_at + grace


def token_expired(expires_at: datetime, now: datetime) -> bool:
    return now >= expires_at


def effective_cutoff(
    starts_at: datetime, rsvp_cutoff_at: datetime | None, default_hours: int = DEFAULT_CUTOFF_HOURS
) -> datetime:
    """Return the last moment an RSVP may be changed: the event's own cut-off, else hours before start."""
    return rsvp_cutoff_at or starts_at - timedelta(hours=default_hours)


def check_headcount(headcount: int | None) -> int:
    """Return a valid headcount (1..MAX_HEADCOUNT) or raise 'invalid_headcount'."""
    if headcount is None or headcount < 1 or headcount > MAX_HEADCOUNT:
        raise DomainError("invalid_headcount", f"headcount must be between 1 and {MAX_HEADCOUNT}")
    return headcount


@dataclass(frozen=True)
class RsvpChange:
    status: S
    headcount: int


def rsvp_transition(
    status: S,
    answer: str,
    headcount: int | None,
    *,
    now: datetime,
    cutoff: datetime,
    checked_in: bool,
    event_cancelled: bool,
    seats_left: int | None,
) -> RsvpChange:
    """Return the invitation's new status and headcount for a customer's answer, or raise.

    `seats_left` is the capacity minus the headcount already accepted by *other* guests
    (None: no limit). Codes: cancelled, closed, checked_in, bad_answer, invalid_headcount, full.
    """
    if event_cancelled or status in {S.CANCELLED, S.WRONG_NUMBER}:
        raise DomainError("cancelled", "this invitation is no longer valid")
    if checked_in:
        raise DomainError("checked_in", "you have already arrived")
    if now >= cutoff:
        raise DomainError("closed", "answers can no longer be changed")
    if answer not in ANSWERS:
        raise DomainError("bad_answer", "answer must be accept or decline")
    if answer == "decline":
        return RsvpChange(S.DECLINED, headcount if headcount and headcount > 0 else 1)
    count = check_headcount(headcount)
    if seats_left is not None and count > seats_left:
        raise DomainError("full", "the event is full", seats_left=max(seats_left, 0))
    return RsvpChange(S.ACCEPTED, count)


def call_outcome(status: S, outcome: str, *, checked_in: bool) -> S:
    """Return the status after an inviter's call outcome, or raise."""
    if outcome not in OUTCOMES:
        raise DomainError("bad_outcome", "unknown outcome")
    if checked_in:
        raise DomainError("checked_in", "the guest has already arrived")
    if status == S.CANCELLED:
        raise DomainError("cancelled", "this invitation was cancelled")
    return S(outcome)


def retry_time(now: datetime, hours: int = 2) -> datetime:
    """When to call again after no answer."""
    return now + timedelta(hours=max(1, hours))


def may_reconfirm(status: S, checked_in: bool) -> bool:
    """Only accepted guests who have not arrived yet can be reconfirmed."""
    return status == S.ACCEPTED and not checked_in


def is_reminder_day(event_start_local: date, today_local: date) -> bool:
    """Reminders and reconfirmation calls happen on the day before the event (local date)."""
    return event_start_local - today_local == timedelta(days=1)


def split_evenly(items: list, members: list, already: dict | None = None) -> dict:
    """Deal `items` to `members` so their totals (counting `already` held items) end up even."""
    result = {m: [] for m in members}
    if not members:
        return result
    load = {m: (already or {}).get(m, 0) for m in members}
    for item in items:
        member = min(members, key=lambda m: (load[m], members.index(m)))
        result[member].append(item)
        load[member] += 1
    return result


def even_goals(total: int, count: int) -> list[int]:
    """Split a goal as evenly as possible over `count` inviters (the first ones get the remainder)."""
    if count <= 0:
        return []
    base, extra = divmod(max(total, 0), count)
    return [base + (1 if i < extra else 0) for i in range(count)]


rate = _rate


# ---- the invitation figures -----------------------------------------------------------------
# The counts come from one query (app.invitations.queries.invitation_counts), where
#   invited   = invitations sent (not walk-ins),
#   responded = invited guests who answered (accepted or declined),
#   accepted  = invited guests whose answer is "accepted",
#   arrived   = accepted guests who checked in,
# so responded <= invited, accepted <= invited and arrived <= accepted. Guests who came without
# accepting and walk-ins are counted on their own and are never part of a rate.


def success_rate(accepted: int, invited: int) -> float | None:
    """邀约成功率 = accepted / invited ('—' when nobody was invited)."""
    return rate(accepted, invited)


def feedback_rate(responded: int, invited: int) -> float | None:
    """客户反馈率 = responded / invited."""
    return rate(responded, invited)


def attendance_rate(arrived: int, accepted: int) -> float | None:
    """活动参与率 = accepted guests who came / accepted guests."""
    return rate(arrived, accepted)


def invitation_rates(counts) -> dict:
    """The three rates of a mapping (or object) of counts: success, feedback, attendance."""
    get = counts.get if isinstance(counts, dict) else (lambda key, default=0: getattr(counts, key, default))
    invited, accepted = get("invited", 0) or 0, get("accepted", 0) or 0
    return {
        "success_rate": success_rate(accepted, invited),
        "feedback_rate": feedback_rate(get("responded", 0) or 0, invited),
        "attendance_rate": attendance_rate(get("arrived", 0) or 0, accepted),
    }


def percent(value: float | None) -> str:
    """Format a rate as a percentage ('—' when undefined), as every report prints it."""
    return format_percent(value)


def post_event_task(
    attended: bool,
    accepted: bool,
    owner_id: int | None,
    dcc_agent_id: int | None,
    inviter_id: int | None,
    manager_id: int | None = None,
) -> tuple[str, int | None] | None:
    """Return (plan kind, assignee) after the event: follow up attendees, re-invite no-shows.

    Someone always gets the task: the lead's owner (the DCC agent first for a re-invitation), else
    the inviter, else a manager of the event's store."""
    if attended:
        return ("post_event", owner_id or inviter_id or manager_id)
    if accepted:
        return ("reinvite", dcc_agent_id or owner_id or inviter_id or manager_id)
    return None


CALL_RESULTS = {
    "accepted": "reached",
    "declined": "reached",
    "no_answer": "not_reached",
    "wrong_number": "wrong_number",
}


def call_followup_result(outcome: str) -> str:
    """The follow-up result an invitation call leaves: an answer (yes or no) reached the customer."""
    return CALL_RESULTS.get(str(outcome), "not_reached")


MAX_MEMBER_GOAL = 100_000
PERSON_GROUPS = ("inviter", "consultant", "dcc")  # metrics grouped by a person


def member_goals(fields) -> dict[int, int]:
    """Each inviter's goal from the goal form's (name, value) pairs: "goal-<user id>" = accepted count.

    Other fields, bad ids and bad numbers are left out; a goal is capped at MAX_MEMBER_GOAL.
    """
    goals = {}
    for key, value in fields:
        member_id, goal = parse_positive_int(key.removeprefix("goal-")), parse_int(value, minimum=0)
        if key.startswith("goal-") and member_id is not None and goal is not None:
            goals[member_id] = min(goal, MAX_MEMBER_GOAL)
    return goals


def own_metric_rows(rows: list, group: str, user_id: int) -> list:
    """The metrics rows a consultant or DCC agent sees: only their own row when grouped by person."""
    return [r for r in rows if group not in PERSON_GROUPS or r.key == user_id]
