"""Grade and expected purchase date agree (seed 003): H within 7 days, A 15, B 30, C over a month."""

from datetime import date, timedelta

import pytest

from app.leads.rules import grade_date_conflict

WINDOWS = {"H": 7, "A": 15, "B": 30, "C": None}
TODAY = date(2026, 12, 6)


def _in(days: int) -> date:
    return TODAY + timedelta(days=days)


@pytest.mark.parametrize(
    "grade, days", [("H", 0), ("H", 7), ("A", 3), ("A", 15), ("B", 30), ("C", 31), ("C", 365)]
)
def test_agreeing_grade_and_date(grade, days):
    assert grade_date_conflict(grade, _in(days), TODAY, WINDOWS) is None


def test_h_six_months_out_is_too_late():
    assert grade_date_conflict("H", _in(182), TODAY, WINDOWS) == ("too_late", 7, 182)


@pytest.mark.parametrize("grade, days, window", [("H", 8, 7), ("A", 16, 15), ("B", 31, 30)])
def test_later_than_the_grade_window(grade, days, window):
    assert grade_date_conflict(grade, _in(days), TODAY, WINDOWS) == ("too_late", window, days)


def test_c_within_a_month_is_too_early():
    assert grade_date_conflict("C", _in(10), TODAY, WINDOWS) == ("too_early", 30, 10)


def test_no_date_or_unknown_grade_is_no_conflict():
    assert grade_date_conflict("H", None, TODAY, WINDOWS) is None
    assert grade_date_conflict("X", _in(100), TODAY, WINDOWS) is None
