"""Cadence, effectiveness, leave windows, reclaim, deadlines and assignment suggestions."""

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from app.core.errors import DomainError
from app.followups import rules
from app.followups.rules import Candidate, PoolLead, Window

CADENCE = {"H": 3, "A": 7, "B": 15, "C": 30}
TODAY = date(2026, 3, 10)


@pytest.mark.parametrize("grade,days", [("H", 3), ("A", 7), ("B", 15), ("C", 30)])
def test_default_plan_date_follows_the_grade_cadence(grade, days):
    assert rules.default_plan_date(grade, CADENCE, TODAY) == TODAY + timedelta(days=days)


def test_cadence_table_is_configurable():
    daily = {"H": 1, "A": 3, "B": 7, "C": 7}
    assert rules.default_plan_date("H", daily, TODAY) == date(2026, 3, 11)
    assert rules.default_plan_date("X", daily, TODAY) == date(2026, 3, 17)  # unknown: slowest


@pytest.mark.parametrize("grade,days", [("H", 3), ("A", 7), ("B", 15), ("C", 30)])
def test_plan_later_than_cadence_needs_a_reason(grade, days):
    on_time = TODAY + timedelta(days=days)
    rules.check_next_plan(on_time, "call", grade, CADENCE, TODAY, None)
    with pytest.raises(DomainError) as err:
        rules.check_next_plan(on_time + timedelta(days=1), "call", grade, CADENCE, TODAY, "")
    assert err.value.code == "late_reason_required"
    assert err.value.details["field"] == "late_reason"
    rules.check_next_plan(on_time + timedelta(days=1), "call", grade, CADENCE, TODAY, "customer abroad")


def test_next_plan_is_mandatory_unless_not_required():
    with pytest.raises(DomainError) as err:
        rules.check_next_plan(None, "", "A", CADENCE, TODAY, None)
    assert err.value.code == "next_plan_required"
    rules.check_next_plan(None, "", "A", CADENCE, TODAY, None, required=False)


def test_plan_in_the_past_and_without_content_are_refused():
    with pytest.raises(DomainError) as err:
        rules.check_next_plan(TODAY - timedelta(days=1), "x", "A", CADENCE, TODAY, None)
    assert err.value.code == "plan_in_past"
    with pytest.raises(DomainError) as err:
        rules.check_next_plan(TODAY, "  ", "A", CADENCE, TODAY, None)
    assert err.value.code == "plan_content_required"


def test_next_plan_required_only_for_open_stages():
    assert rules.next_plan_required("open")
    assert not rules.next_plan_required("won")
    assert not rules.next_plan_required("lost")


@pytest.mark.parametrize(
    "result,content,effective",
    [
        ("reached", "talked about the test drive", True),
        ("reached", "   ", False),
        ("reached", None, False),
        ("not_reached", "rang 5 times", False),
        ("busy", "x", False),
        ("refused", "x", False),
        ("wrong_number", "x", False),
    ],
)
def test_effective_means_reached_with_content(result, content, effective):
    assert rules.is_effective(result, content) is effective


def test_grade_up_brings_the_plan_forward_grade_down_never_postpones():
    due = TODAY + timedelta(days=15)  # B plan
    assert rules.regraded_due(due, "H", CADENCE, TODAY) == TODAY + timedelta(days=3)
    assert rules.regraded_due(due, "A", CADENCE, TODAY) == TODAY + timedelta(days=7)
    assert rules.regraded_due(due, "C", CADENCE, TODAY) == due
    overdue = TODAY - timedelta(days=2)
    assert rules.regraded_due(overdue, "C", CADENCE, TODAY) == overdue


def test_leave_window_postpones_to_first_working_day_after():
    window = Window(date(2026, 3, 12), date(2026, 3, 15))
    assert rules.postponed_due(date(2026, 3, 12), window) == date(2026, 3, 16)
    assert rules.postponed_due(date(2026, 3, 15), window) == date(2026, 3, 16)
    assert rules.postponed_due(date(2026, 3, 11), window) == date(2026, 3, 11)
    assert rules.postponed_due(date(2026, 3, 16), window) == date(2026, 3, 16)


def test_leave_window_skips_a_following_window():
    window = Window(date(2026, 3, 12), date(2026, 3, 15))
    later = Window(date(2026, 3, 16), date(2026, 3, 18))
    assert rules.postponed_due(date(2026, 3, 13), window, [later]) == date(2026, 3, 19)


def test_leave_window_validation():
    with pytest.raises(DomainError) as err:
        rules.check_window(date(2026, 3, 15), date(2026, 3, 12), TODAY)
    assert err.value.code == "window_reversed"
    with pytest.raises(DomainError) as err:
        rules.check_window(date(2026, 3, 1), date(2026, 3, 5), TODAY)
    assert err.value.code == "window_past"
    rules.check_window(TODAY, TODAY, TODAY)


def test_local_date_around_midnight_shanghai():
    # 15:59 UTC is 23:59 in Shanghai, 16:00 UTC is midnight of the next day.
    assert rules.local_date(datetime(2026, 3, 9, 15, 59), "Asia/Shanghai") == date(2026, 3, 9)
    assert rules.local_date(datetime(2026, 3, 9, 16, 0), "Asia/Shanghai") == date(2026, 3, 10)
    assert rules.local_midnight_utc(date(2026, 3, 10), "Asia/Shanghai") == datetime(2026, 3, 9, 16, 0)


def test_plan_logged_just_after_local_midnight_counts_from_the_new_day():
    now = datetime(2026, 3, 9, 16, 30)  # 00:30 on 10 March in Shanghai, still 9 March in UTC
    today = rules.local_date(now, "Asia/Shanghai")
    assert rules.default_plan_date("H", CADENCE, today) == date(2026, 3, 13)
    with pytest.raises(DomainError):  # 9 March is yesterday locally
        rules.check_next_plan(date(2026, 3, 9), "x", "H", CADENCE, today, None)


def test_reclaim_after_exactly_thirty_days():
    start = datetime(2026, 1, 1, 8, 0)
    assert not rules.reclaim_eligible(start, None, start, start + timedelta(days=30, seconds=-1))
    assert rules.reclaim_eligible(start, None, start, start + timedelta(days=30))
    # no effective follow-up ever: the clock runs from the assignment, then from creation
    assert rules.reclaim_eligible(None, start, start - timedelta(days=90), start + timedelta(days=30))
    assert not rules.reclaim_eligible(None, start, start - timedelta(days=90), start + timedelta(days=29))
    assert rules.reclaim_cutoff(start + timedelta(days=30)) == start


def test_first_contact_deadline_breach():
    assigned = datetime(2026, 3, 1, 2, 0)
    due = rules.first_contact_deadline(assigned, 24)
    assert due == datetime(2026, 3, 2, 2, 0)
    assert not rules.first_contact_breached(due, None, due)
    assert rules.first_contact_breached(due, None, due + timedelta(minutes=1))
    assert not rules.first_contact_breached(due, due - timedelta(hours=1), due + timedelta(days=3))
    assert rules.first_contact_breached(due, due + timedelta(hours=1), due + timedelta(days=3))
    assert not rules.first_contact_breached(None, None, due)


def test_dcc_figures():
    figures = rules.dcc_figures(calls=200, connected=120, appointments=30, shows=18)
    assert figures["connect_rate"] == 60.0
    assert figures["appointment_rate"] == 25.0
    assert figures["show_rate"] == 60.0
    assert rules.dcc_figures(0, 0, 0, 0)["connect_rate"] is None


# ---- assignment suggestions ---------------------------------------------------------------


def test_suggestion_prefers_the_local_store():
    c_bj = Candidate(1, region="北京", open_leads=100)
    c_sh = Candidate(2, region="上海", open_leads=0)
    out = rules.suggest_assignments([PoolLead(10, region="北京")], [c_bj, c_sh])
    assert out[0].user_id == 1 and out[0].reason == "local"


def test_suggestion_falls_back_to_workload_without_a_local_consultant():
    out = rules.suggest_assignments(
        [PoolLead(10, region="广州")],
        [Candidate(1, "北京", open_leads=10), Candidate(2, "上海", open_leads=5)],
    )
    assert out[0].user_id == 2 and out[0].reason == "workload"


def test_suggestion_respects_capacity_and_leave():
    full = Candidate(1, "北京", open_leads=300, capacity=300)
    away = Candidate(2, "北京", on_leave=True)
    free = Candidate(3, "北京", open_leads=250, capacity=300)
    out = rules.suggest_assignments([PoolLead(10, "北京")], [full, away, free])
    assert out[0].user_id == 3
    out = rules.suggest_assignments([PoolLead(11, "北京")], [full, away])
    assert out[0].user_id is None and out[0].reason == "no_capacity"


def test_capacity_is_relative_to_each_consultant():
    small = Candidate(1, "北京", open_leads=50, capacity=100)  # half full
    big = Candidate(2, "北京", open_leads=100, capacity=400)  # quarter full
    assert rules.suggest_assignments([PoolLead(1, "北京")], [small, big])[0].user_id == 2


def test_ha_load_breaks_ties():
    a = Candidate(1, "北京", open_leads=10, ha_leads=5)
    b = Candidate(2, "北京", open_leads=10, ha_leads=1)
    assert rules.suggest_assignments([PoolLead(1, "北京", "H")], [a, b])[0].user_id == 2


def test_important_leads_are_left_to_the_manager():
    out = rules.suggest_assignments([PoolLead(1, "北京", is_important=True)], [Candidate(1, "北京")])
    assert out[0].user_id is None and out[0].reason == "important"


def test_round_robin_is_fair_over_a_thousand_leads():
    candidates = [Candidate(i, "北京", capacity=10_000) for i in range(1, 8)]
    leads = [PoolLead(n, "北京", "HABC"[n % 4]) for n in range(1000)]
    out = rules.suggest_assignments(leads, candidates)
    counts = Counter(s.user_id for s in out)
    assert set(counts) == set(range(1, 8))
    assert max(counts.values()) - min(counts.values()) <= 1
    # consecutive equal picks rotate instead of hitting the same consultant twice in a row
    assert all(out[i].user_id != out[i + 1].user_id for i in range(len(out) - 1))


def test_round_robin_evens_out_unequal_starting_loads():
    a = Candidate(1, "北京", open_leads=5)
    b = Candidate(2, "北京", open_leads=0)
    out = rules.suggest_assignments([PoolLead(n, "北京") for n in range(9)], [a, b])
    counts = Counter(s.user_id for s in out)
    assert counts == {2: 7, 1: 2}
