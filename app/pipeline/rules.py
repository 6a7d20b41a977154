"""Board rules as pure functions: what a move from one stage to another means, card markers,
and the keyset cursor of a column. No request, no database."""

import enum
from dataclasses import dataclass
from datetime import date, datetime

# Stage kinds as stored (app.admin.models.StageKind values).
OPEN, WON, LOST = "open", "won", "lost"

# A dialog kind per open stage code: admins may list stages whose move asks something first
# (setting "board_move_dialogs"). Won always asks for the order, lost always for a defeat request.
DIALOG_KINDS = {"visit"}
DEFAULT_MOVE_DIALOGS = {"visited": "visit"}

# Roles that may reopen a won or lost lead by moving it back to an open stage.
REOPEN_ROLES = {"manager", "director"}


class Outcome(enum.StrEnum):
    NOOP = "noop"  # same stage: nothing to do
    MOVE = "move"  # change the stage now
    ORDER = "order"  # ask for the order, then won
    DEFEAT = "defeat"  # ask for a defeat request; the lead does not move
    VISIT = "visit"  # offer to register the showroom visit, then move
    REFUSED = "refused"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str = ""  # refusal code

    @property
    def needs_dialog(self) -> bool:
        return self.outcome in {Outcome.ORDER, Outcome.DEFEAT, Outcome.VISIT}


def may_reopen(role: str) -> bool:
    """Return whether the role may move a won or lost lead back to an open stage."""
    return str(role) in REOPEN_ROLES


def clean_dialogs(value) -> dict[str, str]:
    """Return the admin setting of move dialogs, keeping only known dialog kinds."""
    if not isinstance(value, dict):
        return dict(DEFAULT_MOVE_DIALOGS)
    return {str(code): str(kind) for code, kind in value.items() if str(kind) in DIALOG_KINDS}


def decide_move(current, target, *, role: str, dialogs: dict[str, str] | None = None) -> Decision:
    """Decide what moving a lead from stage `current` to stage `target` means.

    `current` and `target` are anything with `.code`, `.kind` and `.active` (stage rows or refs).
    """
    dialogs = DEFAULT_MOVE_DIALOGS if dialogs is None else dialogs
    if current is not None and current.code == target.code:
        return Decision(Outcome.NOOP)
    if not target.active:
        return Decision(Outcome.REFUSED, "inactive_stage")
    current_kind = str(current.kind) if current is not None else OPEN
    target_kind = str(target.kind)
    if current_kind != OPEN:
        if target_kind != OPEN:
            return Decision(Outcome.REFUSED, "closed_to_closed")
        if not may_reopen(role):
            return Decision(Outcome.REFUSED, "reopen_needs_manager")
        return Decision(Outcome.MOVE)
    if target_kind == WON:
        return Decision(Outcome.ORDER)
    if target_kind == LOST:
        return Decision(Outcome.DEFEAT)
    if dialogs.get(target.code) == "visit":
        return Decision(Outcome.VISIT)
    return Decision(Outcome.MOVE)


# ---- card markers ------------------------------------------------------------------------------


def plan_marker(next_plan_due: date | None, today: date) -> str:
    """Return 'none' (no open plan), 'overdue', 'today' or 'planned'."""
    if next_plan_due is None:
        return "none"
    if next_plan_due < today:
        return "overdue"
    if next_plan_due == today:
        return "today"
    return "planned"


def is_expired(expected_purchase_date: date | None, today: date) -> bool:
    """An open opportunity whose expected purchase date has passed (过期销售机会)."""
    return expected_purchase_date is not None and expected_purchase_date < today


def days_since(moment: datetime | date | None, today: date) -> int | None:
    """Return whole days from `moment` to `today`, or None when it never happened."""
    if moment is None:
        return None
    day = moment.date() if isinstance(moment, datetime) else moment
    return max((today - day).days, 0)


def weighted_value(total_price: int | float | None, probability: int) -> int:
    """Return the pipeline value of a column weighted by its stage probability (yuan)."""
    return int(round((total_price or 0) * probability / 100))


# ---- keyset cursor on (next_plan_due nulls last, id) -------------------------------------------


@dataclass(frozen=True)
class Cursor:
    due: date | None
    id: int


def encode_cursor(due: date | None, lead_id: int) -> str:
    """Return the text form of the position after a card: '2026-11-30.123' or '-.123'."""
    return f"{due.isoformat() if due else '-'}.{lead_id}"


def decode_cursor(text: str | None) -> Cursor | None:
    """Parse a cursor; None for a missing or malformed one (the column starts over)."""
    if not text or "." not in text:
        return None
    due_text, _, id_text = text.rpartition(".")
    try:
        lead_id = int(id_text)
        due = None if due_text == "-" else date.fromisoformat(due_text)
    except ValueError:
        return None
    return Cursor(due, lead_id)


def sort_key(due: date | None, lead_id: int) -> tuple:
    """The column order: by next plan date, leads without a plan last, then by id."""
    return (due is None, due or date.min, lead_id)
