"""The penalty board's expired opportunities of a month are read from the (store, stage, expected
purchase date) index alone: it carries the owner and the merge mark (migration 0033)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from app.followups.queries import violation_days
from tests.helpers_plans import captured, other_indexes, plan_without


@pytest.mark.postgres_only
def test_a_month_s_expired_opportunities_are_a_range_of_the_index(factory, db):
    store = factory.store("BJ01")
    owner = factory.user("consultant", store)
    start, today = date(2026, 11, 1), date(2026, 12, 7)
    for day in (3, 3, 17):
        factory.lead(
            owner=owner,
            store=store,
            stage="contacted",
            expected_purchase_date=start + timedelta(days=day - 1),
        )
    factory.lead(owner=owner, store=store, stage="contacted", expected_purchase_date=date(2026, 10, 30))
    db.session.commit()
    days, (statement, parameters) = captured(
        lambda sql: "expected_purchase_date" in sql and "UNION ALL" in sql,
        lambda: violation_days([owner.id], start, date(2026, 11, 30), today, store_ids=[store.id]),
    )
    assert days[owner.id] == {date(2026, 11, 3): 2, date(2026, 11, 17): 1}
    # With the leads' other indexes set aside (on a handful of rows the planner's pick between
    # them is a coin toss), the expected dates come from this index alone.
    plan = plan_without(statement, parameters, other_indexes("leads", "ix_leads_store_stage_expected"))
    assert "Index Only Scan using ix_leads_store_stage_expected" in plan, plan


def test_the_index_keeps_its_key(db):
    """Same key as before (every other reader keeps it); on PostgreSQL the owner and the merge mark
    ride along."""
    if db.engine.dialect.name == "postgresql":
        definition = db.session.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_store_stage_expected'")
        ).scalar_one()
        assert "INCLUDE (owner_id, merged_into_id)" in definition
    else:
        definition = db.session.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_leads_store_stage_expected'")
        ).scalar_one()
    assert "(store_id, stage_id, expected_purchase_date)" in definition
