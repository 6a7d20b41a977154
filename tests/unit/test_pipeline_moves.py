"""Answering a board move without an app: the plan, the next step, the HTTP status, the columns."""

from dataclasses import dataclass

import pytest

from app.pipeline import rules
from app.pipeline.rules import MoveResult, Step


@dataclass(frozen=True)
class S:
    id: int
    code: str
    kind: str = "open"
    active: bool = True


NEW, CONTACTED, VISITED = S(1, "new"), S(2, "contacted"), S(4, "visited")
WON, LOST, OLD = S(8, "won", "won"), S(9, "lost", "lost"), S(7, "old", active=False)


def plan(current=NEW, target=CONTACTED, *, seen=3, now=3, role="consultant", pending=False, asked=None):
    def defeat_pending():
        if asked is not None:
            asked.append(True)
        return pending

    return rules.plan_move(
        10,
        now,
        current,
        target,
        version=seen,
        role=role,
        dialogs=None,
        defeat_pending=defeat_pending,
    )


def test_a_plain_move_is_planned_from_here_to_the_target():
    assert plan() == MoveResult(rules.PLANNED, 10, NEW.id, CONTACTED.id)


def test_a_stale_version_is_a_conflict_before_anything_else():
    result = plan(target=None, seen=2, now=3)
    assert (result.status, result.from_stage_id, result.stage_id) == (rules.CONFLICT, NEW.id, NEW.id)


@pytest.mark.parametrize(
    ("current", "target", "role", "reason"),
    [
        (NEW, None, "consultant", "unknown_stage"),
        (NEW, OLD, "consultant", "inactive_stage"),
        (WON, CONTACTED, "consultant", "reopen_needs_manager"),
        (WON, LOST, "manager", "closed_to_closed"),
    ],
)
def test_refusals_keep_the_card_where_it_is(current, target, role, reason):
    result = plan(current, target, role=role)
    assert (result.status, result.reason) == (rules.REFUSED, reason)
    assert result.from_stage_id == result.stage_id == current.id


def test_the_same_stage_is_a_noop():
    assert plan(CONTACTED, CONTACTED).status == rules.NOOP


@pytest.mark.parametrize(("target", "dialog"), [(WON, "order"), (LOST, "defeat"), (VISITED, "visit")])
def test_won_lost_and_visited_ask_a_dialog_first(target, dialog):
    result = plan(CONTACTED, target)
    assert (result.status, result.dialog, result.stage_id) == (rules.DIALOG, dialog, target.id)


def test_a_waiting_defeat_request_refuses_a_second_one_and_is_only_asked_for_lost():
    asked = []
    assert plan(CONTACTED, WON, pending=True, asked=asked).status == rules.DIALOG
    assert asked == []
    result = plan(CONTACTED, LOST, pending=True, asked=asked)
    assert (result.status, result.reason, asked) == (rules.REFUSED, "already_pending", [True])


def dialog_plan(kind="order"):
    return MoveResult(rules.DIALOG, 10, CONTACTED.id, WON.id, dialog=kind)


@pytest.mark.parametrize(
    ("result", "answered", "valid", "step"),
    [
        (MoveResult(rules.PLANNED, 10, 1, 2), "", False, Step.APPLY),
        (MoveResult(rules.NOOP, 10, 1, 1), "", False, Step.ANSWER),
        (MoveResult(rules.CONFLICT, 10, 1, 1), "order", True, Step.ANSWER),
        (MoveResult(rules.REFUSED, 10, 1, 1), "defeat", True, Step.ANSWER),
        (dialog_plan(), "", False, Step.ASK),
        (dialog_plan(), "visit", True, Step.ASK),  # an answer to another dialog than the one needed
        (dialog_plan(), "order", False, Step.ASK_AGAIN),
        (dialog_plan(), "order", True, Step.FILE),
    ],
)
def test_next_step(result, answered, valid, step):
    assert rules.next_step(result, answered, valid) == step


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (MoveResult(rules.MOVED, 10), 200),
        (MoveResult(rules.REQUESTED, 10), 200),
        (MoveResult(rules.NOOP, 10), 200),
        (dialog_plan(), 200),
        (MoveResult(rules.DIALOG, 10, dialog="order", invalid=True), 422),
        (MoveResult(rules.REFUSED, 10), 422),
        (MoveResult(rules.CONFLICT, 10), 409),
    ],
)
def test_http_status(result, status):
    assert rules.http_status(result) == status


def test_without_javascript_only_a_dialog_is_a_page():
    assert [rules.plain_answer(s) for s in (rules.MOVED, rules.NOOP, rules.REQUESTED)] == ["success"] * 3
    assert [rules.plain_answer(s) for s in (rules.REFUSED, rules.CONFLICT)] == ["error"] * 2
    assert rules.plain_answer(rules.DIALOG) == "page"


def test_columns_to_redraw_after_a_conflict_include_where_the_user_saw_and_dropped_the_card():
    # Seen in new, dropped on invited; someone had moved it to contacted.
    conflict = MoveResult(rules.CONFLICT, 10, CONTACTED.id, CONTACTED.id)
    assert rules.stages_to_redraw(NEW.id, 3, conflict) == {NEW.id, 3, CONTACTED.id}


def test_columns_to_redraw_skip_what_is_unknown():
    assert rules.stages_to_redraw(None, None, MoveResult(rules.REFUSED, 0)) == set()
    assert rules.stages_to_redraw(1, None, MoveResult(rules.MOVED, 10, 1, 2)) == {1, 2}
