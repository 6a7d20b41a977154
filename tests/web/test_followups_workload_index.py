"""Each consultant's open leads are counted from the partial index of unmerged leads (no row reads)."""

from datetime import date

import pytest
from sqlalchemy import text

from app.followups.queries import workload
from tests.helpers_plans import captured, other_indexes, plan_without


@pytest.mark.postgres_only
def test_open_leads_per_consultant_are_counted_from_the_index_alone(factory, db):
    first, second = factory.user("consultant"), factory.user("consultant")
    for owner, n in ((first, 3), (second, 2)):
        for _ in range(n):
            factory.lead(owner=owner, stage="contacted")
    db.session.commit()
    counts, (statement, parameters) = captured(
        lambda sql: "FROM leads" in sql and "count(*)" in sql,
        lambda: workload([first.id, second.id], date.today()),
    )
    assert counts[first.id]["open_leads"] == 3 and counts[second.id]["open_leads"] == 2
    # With the leads' other indexes set aside (on a handful of rows the planner's pick between
    # them is a coin toss), what is left must be an index-only scan of the partial index.
    drop = other_indexes("leads", "ix_leads_live_owner_stage")
    plan = plan_without(statement, parameters, drop)
    assert "Index Only Scan using ix_leads_live_owner_stage" in plan, plan


def test_the_index_holds_only_unmerged_leads(db):
    if db.engine.dialect.name == "postgresql":
        definition = db.session.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_live_owner_stage'")
        ).scalar_one()
    else:
        definition = db.session.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_leads_live_owner_stage'")
        ).scalar_one()
    assert "owner_id" in definition and "stage_id" in definition
    assert "merged_into_id IS NULL" in definition
