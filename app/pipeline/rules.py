"""Board rules as pure functions: what a move from one stage to another means, card markers,
and the keyset cursor of a column. No request, no database."""

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
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


# ---- answering a move --------------------------------------------------------------------------

# What a move ends as: the first three change the lead (the request commits), the rest do not.
MOVED, REQUESTED = "moved", "requested"
NOOP, DIALOG, REFUSED, CONFLICT = "noop", "dialog", "refused", "conflict"
PLANNED = "move"  # a plan that needs nothing more: move now
CHANGES = {MOVED, REQUESTED}


@dataclass
class MoveResult:
    """What happened to a move (or what a move is going to do, for a plan)."""

    status: str
    lead_id: int
    from_stage_id: int | None = None
    stage_id: int | None = None
    dialog: str | None = None
    reason: str = ""  # refusal code
    invalid: bool = False  # a dialog shown again because its answer was not valid
    details: dict = field(default_factory=dict)


def plan_move(
    lead_id: int,
    lead_version: int,
    current,
    target,
    *,
    version: int,
    role: str,
    dialogs: dict[str, str] | None,
    defeat_pending: Callable[[], bool],
) -> MoveResult:
    """Decide what moving a lead seen at `version` to `target` (None: unknown stage) means now.

    `current` and `target` are stages with `.id`, `.code`, `.kind` and `.active`; `defeat_pending`
    is asked only for a move to lost (a lead has at most one waiting defeat request).
    """
    here = current.id if current is not None else None
    if lead_version != version:
        return MoveResult(CONFLICT, lead_id, here, here)
    if target is None:
        return MoveResult(REFUSED, lead_id, here, here, reason="unknown_stage")
    decision = decide_move(current, target, role=role, dialogs=dialogs)
    if decision.outcome == Outcome.NOOP:
        return MoveResult(NOOP, lead_id, here, here)
    if decision.outcome == Outcome.REFUSED:
        return MoveResult(REFUSED, lead_id, here, here, reason=decision.reason)
    if decision.outcome == Outcome.DEFEAT and defeat_pending():
        return MoveResult(REFUSED, lead_id, here, here, reason="already_pending")
    if decision.needs_dialog:
        return MoveResult(DIALOG, lead_id, here, target.id, dialog=str(decision.outcome))
    return MoveResult(PLANNED, lead_id, here, target.id)


class Step(enum.StrEnum):
    ANSWER = "answer"  # the plan is the answer: nothing to do (noop, refused, conflict)
    ASK = "ask"  # show the dialog the move needs
    ASK_AGAIN = "ask_again"  # the dialog came back with errors: show it again
    APPLY = "apply"  # move now
    FILE = "file"  # carry out the dialog's answer (order, defeat request, visit)


def next_step(plan: MoveResult, answered: str, answer_valid: bool) -> Step:
    """Return what to do with a plan, given the dialog the user answered ("" for none)."""
    if plan.status == PLANNED:
        return Step.APPLY
    if plan.status != DIALOG:
        return Step.ANSWER
    if answered != plan.dialog:
        return Step.ASK
    return Step.FILE if answer_valid else Step.ASK_AGAIN


def http_status(result: MoveResult) -> int:
    """409 for a conflict, 422 for a refusal or a dialog answered wrongly, else 200."""
    if result.status == CONFLICT:
        return 409
    if result.status == REFUSED or (result.status == DIALOG and result.invalid):
        return 422
    return 200


def plain_answer(status: str) -> str:
    """Without JavaScript: 'success' or 'error' (flash and back to the board) or 'page' (the dialog)."""
    if status in {MOVED, NOOP, REQUESTED}:
        return "success"
    return "page" if status == DIALOG else "error"


def stages_to_redraw(seen_at: int | None, dropped_on: int | None, result: MoveResult) -> set[int]:
    """Return the columns a move answer redraws: where the user saw the card, where it was dropped,
    and where it was and is on the server."""
    ids = {seen_at, dropped_on, result.from_stage_id, result.stage_id}
    return {stage_id for stage_id in ids if stage_id}


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
