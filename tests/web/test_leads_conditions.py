"""Lead conditions: which leads each clause of app.leads.conditions matches, on the test database."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.admin.reference import channel_by_code, channels, grade_by_code, grades, stage_by_code
from app.leads import conditions as c
from app.leads.models import Lead
from app.pipeline import queries

TODAY = date(2026, 11, 5)


@pytest.fixture
def matching(db):
    def _matching(*clauses) -> set[int]:
        return set(db.session.execute(select(Lead.id).where(*clauses)).scalars())

    return _matching


def test_codes_to_ids_keeps_known_codes_in_order():
    assert c.codes_to_ids(["B", "nope", "H"], grades()) == [grade_by_code("B").id, grade_by_code("H").id]
    assert c.codes_to_ids(["website"], channels()) == [channel_by_code("website").id]
    assert c.codes_to_ids([], grades()) == []


def test_not_merged_leaves_duplicates_out_and_is_one_shared_object(factory, matching):
    kept = factory.lead()
    gone = factory.lead(merged_into_id=kept.id)
    assert matching(c.not_merged()) == {kept.id} and gone.id not in matching(c.not_merged())
    assert c.not_merged() is c.not_merged() is c.NOT_MERGED
    assert queries.MERGED_CLAUSE is c.not_merged()  # the board drops it by identity for index-only counts


def test_grade_stage_and_source(factory, matching):
    h = factory.lead(grade="H", stage="contacted", channel="website")
    a = factory.lead(grade="A", stage="new", channel="walk_in")
    b = factory.lead(grade="B", stage="won", channel="walk_in")
    assert matching(c.grade_in([grade_by_code("H").id, grade_by_code("B").id])) == {h.id, b.id}
    assert matching(c.stage_in([stage_by_code("new").id])) == {a.id}
    assert matching(c.source_in([channel_by_code("walk_in").id])) == {a.id, b.id}
    assert matching(c.grade_in([])) == set()
    assert matching(c.open_stage()) == {h.id, a.id}


def test_owner_store_and_model(factory, matching):
    s1, s2 = factory.store(), factory.store()
    me = factory.user("consultant", store=s1)
    agent = factory.user("dcc", store=s1)
    mine = factory.lead(owner=me, model_id=1)
    pooled = factory.lead(store=s1, model_id=2, dcc_agent_id=agent.id)
    other = factory.lead(store=s2)
    assert matching(c.owner_is(me.id)) == {mine.id}
    assert matching(c.owner_is(None)) == {pooled.id, other.id}
    assert matching(c.owner_is(agent.id, column=Lead.dcc_agent_id)) == {pooled.id}
    assert matching(c.store_is(s1.id)) == {mine.id, pooled.id}
    assert matching(c.store_in([s1.id, s2.id])) == {mine.id, pooled.id, other.id}
    assert matching(c.store_in([])) == set()
    assert matching(c.model_is(2)) == {pooled.id}


def test_created_between_takes_local_days_with_the_last_one_included(factory, matching):
    def at(*args):
        return factory.lead(created_at=datetime(*args)).id

    oct31_late = at(2026, 10, 31, 15, 59)  # 23:59 on 31 October in Shanghai
    nov1_midnight = at(2026, 10, 31, 16, 0)  # 00:00 on 1 November in Shanghai
    nov1_early = at(2026, 10, 31, 17, 0)  # 01:00 on 1 November in Shanghai
    nov1_last = at(2026, 11, 1, 15, 59, 59)  # 23:59:59 on 1 November in Shanghai
    nov2 = at(2026, 11, 1, 16, 0)  # 00:00 on 2 November in Shanghai
    nov1 = date(2026, 11, 1)
    assert matching(c.created_between(nov1, nov1)) == {nov1_midnight, nov1_early, nov1_last}
    assert matching(c.created_between(nov1, None)) == {nov1_midnight, nov1_early, nov1_last, nov2}
    assert matching(c.created_between(None, date(2026, 10, 31))) == {oct31_late}
    assert matching(c.created_between(None, None)) == {oct31_late, nov1_midnight, nov1_early, nov1_last, nov2}
    # In another zone the same bounds fall elsewhere: UTC days are the stored days.
    assert matching(c.created_between(nov1, nov1, tz="UTC")) == {nov1_last, nov2}


def test_expected_between_includes_both_ends(factory, matching):
    def expecting(day):
        return factory.lead(expected_purchase_date=day).id

    before, first, last, after = (expecting(date(2026, 12, d)) for d in (1, 2, 9, 10))
    nothing = factory.lead(expected_purchase_date=None).id
    assert matching(c.expected_between(date(2026, 12, 2), date(2026, 12, 9))) == {first, last}
    assert matching(c.expected_between(date(2026, 12, 9), None)) == {last, after}
    assert matching(c.expected_between(None, date(2026, 12, 1))) == {before}
    assert nothing in matching(c.expected_between(None, None))


def test_overdue_means_due_before_today(factory, matching):
    late = factory.lead(next_plan_due=date(2026, 11, 4)).id
    factory.lead(next_plan_due=TODAY)
    factory.lead(next_plan_due=None)
    assert matching(c.overdue(TODAY)) == {late}


def test_expired_needs_a_passed_date_and_an_open_stage(factory, matching):
    expired = factory.lead(stage="negotiation", expected_purchase_date=date(2026, 11, 4)).id
    factory.lead(stage="won", expected_purchase_date=date(2026, 11, 4))
    factory.lead(stage="lost", expected_purchase_date=date(2026, 10, 1))
    factory.lead(expected_purchase_date=TODAY)
    factory.lead(expected_purchase_date=None)
    assert matching(c.expired(TODAY)) == {expired}


def test_no_plan_needs_an_open_stage(factory, matching):
    unplanned = factory.lead(stage="contacted", next_plan_due=None).id
    factory.lead(next_plan_due=TODAY)
    factory.lead(stage="lost", next_plan_due=None)
    factory.lead(stage="won", next_plan_due=None)
    assert matching(c.no_plan()) == {unplanned}
    # Another way of writing "no plan date" keeps the open-stage part.
    assert matching(c.no_plan(func.coalesce(Lead.next_plan_due, date.max) == date.max)) == {unplanned}


def test_marketing_reachable_needs_consent_and_no_opt_out(factory, matching):
    reachable = factory.lead(marketing_consent=True).id
    factory.lead(marketing_consent=False)
    factory.lead(marketing_consent=True, sms_opt_out_at=datetime(2026, 1, 1))
    assert matching(c.marketing_reachable()) == {reachable}


def test_search_matches_name_prefix_phone_and_last_four_with_wildcards_taken_literally(factory, matching):
    wang = factory.lead(name="王小明", phone="+8613800138000").id
    underscore = factory.lead(name="王_明").id
    assert matching(c.search_clause("王")) == {wang, underscore}
    assert matching(c.search_clause("王_")) == {underscore}
    assert matching(c.search_clause("138 0013 8000")) == {wang}
    assert matching(c.search_clause("8000")) == {wang}
    assert matching(c.search_clause("小明")) == set()
