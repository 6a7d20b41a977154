"""Board transition rules, card markers and the column cursor, without an app."""

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from app.pipeline import rules
from app.pipeline.rules import Outcome


@dataclass(frozen=True)
class S:
    code: str
    kind: str = "open"
    active: bool = True


NEW, CONTACTED, VISITED = S("new"), S("contacted"), S("visited")
WON, LOST = S("won", "won"), S("lost", "lost")


def decide(current, target, role="consultant", dialogs=None):
    return rules.decide_move(current, target, role=role, dialogs=dialogs)


def test_same_stage_is_a_noop():
    assert decide(NEW, NEW).outcome == Outcome.NOOP


def test_open_to_open_moves_forward_and_back():
    assert decide(NEW, CONTACTED).outcome == Outcome.MOVE
    assert decide(CONTACTED, NEW).outcome == Outcome.MOVE


def test_won_asks_for_the_order_and_lost_for_a_defeat_request():
    assert decide(CONTACTED, WON).outcome == Outcome.ORDER
    assert decide(CONTACTED, LOST).outcome == Outcome.DEFEAT
    assert decide(CONTACTED, WON).needs_dialog and decide(CONTACTED, LOST).needs_dialog


def test_won_and_lost_dialogs_cannot_be_configured_away():
    assert decide(CONTACTED, WON, dialogs={}).outcome == Outcome.ORDER
    assert decide(CONTACTED, LOST, dialogs={}).outcome == Outcome.DEFEAT


def test_visited_offers_the_visit_by_default_and_is_configurable():
    assert decide(CONTACTED, VISITED).outcome == Outcome.VISIT
    assert decide(CONTACTED, VISITED, dialogs={}).outcome == Outcome.MOVE
    assert decide(NEW, CONTACTED, dialogs={"contacted": "visit"}).outcome == Outcome.VISIT


@pytest.mark.parametrize("closed", [WON, LOST])
def test_consultants_cannot_drag_out_of_won_or_lost(closed):
    decision = decide(closed, CONTACTED)
    assert decision.outcome == Outcome.REFUSED and decision.reason == "reopen_needs_manager"


@pytest.mark.parametrize("role", ["manager", "director"])
def test_managers_reopen_to_an_open_stage(role):
    assert decide(WON, CONTACTED, role=role).outcome == Outcome.MOVE
    assert decide(LOST, NEW, role=role).outcome == Outcome.MOVE


def test_closed_to_closed_is_refused_even_for_managers():
    decision = decide(WON, LOST, role="manager")
    assert decision.outcome == Outcome.REFUSED and decision.reason == "closed_to_closed"


def test_inactive_stage_is_refused():
    assert decide(NEW, S("old", active=False)).reason == "inactive_stage"


def test_clean_dialogs_keeps_known_kinds_only():
    assert rules.clean_dialogs(None) == {"visited": "visit"}
    assert rules.clean_dialogs({"visited": "visit", "invited": "rocket"}) == {"visited": "visit"}
    assert rules.clean_dialogs({}) == {}


def test_plan_marker():
    today = date(2026, 11, 27)
    assert rules.plan_marker(None, today) == "none"
    assert rules.plan_marker(date(2026, 11, 26), today) == "overdue"
    assert rules.plan_marker(today, today) == "today"
    assert rules.plan_marker(date(2026, 12, 1), today) == "planned"


def test_expired_and_days_since():
    today = date(2026, 11, 27)
    assert rules.is_expired(date(2026, 11, 26), today)
    assert not rules.is_expired(today, today) and not rules.is_expired(None, today)
    assert rules.days_since(datetime(2026, 11, 20, 23, 0), today) == 7
    assert rules.days_since(None, today) is None


def test_weighted_value():
    assert rules.weighted_value(1_000_000, 35) == 350_000
    assert rules.weighted_value(None, 50) == 0


def test_cursor_round_trip_and_garbage():
    assert rules.decode_cursor(rules.encode_cursor(date(2026, 1, 2), 42)) == rules.Cursor(
        date(2026, 1, 2), 42
    )
    assert rules.decode_cursor(rules.encode_cursor(None, 7)) == rules.Cursor(None, 7)
    for bad in (None, "", "x", "2026-13-01.4", "-.abc"):
        assert rules.decode_cursor(bad) is None


def test_sort_key_puts_undated_last_then_id():
    keys = sorted(
        [(None, 1), (date(2026, 1, 2), 9), (date(2026, 1, 1), 5), (date(2026, 1, 2), 3)],
        key=lambda k: rules.sort_key(*k),
    )
    assert keys == [(date(2026, 1, 1), 5), (date(2026, 1, 2), 3), (date(2026, 1, 2), 9), (None, 1)]
