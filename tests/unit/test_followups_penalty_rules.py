"""The penalty rule (扣罚): base, doubling within the repeat period, item and monthly caps, manager share."""

import re
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.followups import penalties as p

DEFAULT = p.penalty_rules(None)

rules_st = st.builds(
    lambda base, doubling, item_cap, monthly_cap, share, period: p.penalty_rules(
        {
            "base": base,
            "doubling": doubling,
            "item_cap": item_cap,
            "monthly_cap": monthly_cap,
            "manager_share": share,
            "repeat_period": period,
        }
    ),
    st.integers(0, 500),
    st.booleans(),
    st.integers(0, 5000),
    st.integers(0, 20000),
    st.sampled_from(["0", "0.3", "0.5", "1"]),
    st.sampled_from(["month", "week"]),
)
counts_st = st.lists(st.integers(0, 400), max_size=6)


def days_of(month: date, counts: list[int]) -> dict[date, int]:
    """Spread counts over the first days of a month, one day each (several ISO weeks)."""
    return {month + timedelta(days=i * 5): n for i, n in enumerate(counts)}


def test_the_store_policy_by_hand():
    assert [p.item_amount(n, DEFAULT) for n in range(1, 8)] == [50, 100, 200, 400, 800, 800, 800]
    assert [p.consultant_amount(n, DEFAULT) for n in range(0, 7)] == [0, 50, 150, 350, 750, 1550, 2000]
    assert p.consultant_amount(10**6, DEFAULT) == 2000  # no 38-digit fines, however many
    assert p.manager_amount([350, 50, 0], DEFAULT) == Decimal("200.00")
    assert p.manager_amount([175], DEFAULT) == Decimal("87.50")
    flat = p.penalty_rules({"base": 20, "doubling": False, "manager_share": 0.3})
    assert p.consultant_amount(3, flat) == 60
    no_cap = p.penalty_rules({"item_cap": 0, "monthly_cap": None})
    assert (no_cap["item_cap"], no_cap["monthly_cap"]) == (800, 2000)


def test_weekly_repeat_period_starts_again_each_week():
    weekly = p.penalty_rules({"repeat_period": "week"})
    monday, next_monday = date(2026, 11, 2), date(2026, 11, 9)
    assert p.person_penalty({monday: 2, next_monday: 2}, weekly).amount == 150 + 150
    assert p.person_penalty({monday: 2, next_monday: 2}, DEFAULT).amount == 750


def test_a_range_over_two_months_is_two_monthly_caps():
    days = {date(2026, 10, 31): 20, date(2026, 11, 1): 1}
    assert p.person_penalty(days, DEFAULT).amount == 2000 + 50


def test_the_rule_text_of_the_policy_example():
    month = p.person_penalty({date(2026, 11, 3): 3}, DEFAULT)
    assert p.explain(month, DEFAULT) == (
        "3 violations; violation 3 ×4 = 200 yuan, capped at 800 yuan; total 350 yuan"
    )
    capped = p.person_penalty({date(2026, 11, 3): 9}, DEFAULT)
    assert p.explain(capped, DEFAULT).endswith("total 4,750 yuan, monthly cap 2,000 yuan: 2,000 yuan")
    assert "violation 9: the cap of 800 yuan" in p.explain(capped, DEFAULT)


@settings(deadline=None)  # a loaded machine must not fail a rule
@given(rules_st, counts_st)
def test_never_negative_and_never_above_the_caps(rules, counts):
    penalty = p.person_penalty(days_of(date(2026, 11, 1), counts), rules)
    assert penalty.amount >= 0
    assert isinstance(penalty.amount, int)
    if rules["monthly_cap"]:
        assert penalty.amount <= rules["monthly_cap"]
    if rules["item_cap"]:
        assert penalty.amount <= rules["item_cap"] * sum(counts)
    for n in range(1, 60):
        item = p.item_amount(n, rules)
        assert item >= 0 and (not rules["item_cap"] or item <= rules["item_cap"])


@settings(deadline=None)  # a loaded machine must not fail a rule
@given(rules_st, counts_st, st.integers(0, 6), st.integers(1, 50))
def test_more_violations_never_cost_less(rules, counts, where, more):
    month = date(2026, 11, 1)
    before = p.person_penalty(days_of(month, counts), rules).amount
    grown = list(counts) + [0] * (where + 1 - len(counts)) if where >= len(counts) else list(counts)
    grown[where] += more
    assert p.person_penalty(days_of(month, grown), rules).amount >= before


@settings(deadline=None)  # a loaded machine must not fail a rule
@given(rules_st, st.lists(counts_st, max_size=8))
def test_manager_pays_the_share_of_the_team_total_after_caps(rules, team_counts):
    amounts = [p.person_penalty(days_of(date(2026, 11, 1), c), rules).amount for c in team_counts]
    manager = p.manager_amount(amounts, rules)
    assert manager == (Decimal(sum(amounts)) * rules["manager_share"]).quantize(Decimal("0.01"))
    assert 0 <= manager <= sum(amounts)


@settings(deadline=None)  # a loaded machine must not fail a rule
@given(rules_st, counts_st)
def test_the_text_states_the_amount(rules, counts):
    penalty = p.person_penalty(days_of(date(2026, 11, 1), counts), rules)
    text = p.explain(penalty, rules)
    if penalty.violations == 0:
        assert text == "No violations"
        return
    stated = re.findall(
        r"(?:total|cap) [\d,]+ yuan(?:, monthly cap [\d,]+ yuan)?: ([\d,]+) yuan$|total ([\d,]+) yuan$", text
    )
    figure = next(x for x in stated[-1] if x)
    assert int(figure.replace(",", "")) == penalty.amount
    assert f"{penalty.violations} violations" in text
