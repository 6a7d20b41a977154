"""First-contact breaches on the discipline figures: which plans count, read from their own index."""

from datetime import datetime, timedelta

from app.core.timeutil import utcnow
from app.followups import queries
from app.followups.models import PlanKind, PlanStatus
from app.followups.plans import open_plan
from tests.helpers_plans import captured, other_indexes, plan_without


def _figures(store, today):
    start = today.replace(day=1)
    now = utcnow()
    day = datetime.combine(start, datetime.min.time())
    return {
        row["id"]: row
        for row in queries.discipline([store.id], start, today, today, now, day, day + timedelta(days=40))
    }


def test_breaches_count_first_contact_plans_overdue_or_marked(factory, db):
    store = factory.store()
    me, other = factory.user("consultant", store), factory.user("consultant", store)
    today = utcnow().date().replace(day=20)
    lead = factory.lead(owner=me)
    open_plan(lead, today - timedelta(days=1), kind=PlanKind.FIRST_CONTACT, assignee_id=me.id)  # breach
    marked = open_plan(lead, today - timedelta(days=5), kind=PlanKind.FIRST_CONTACT, assignee_id=me.id)
    marked.status, marked.overdue_marked_at = PlanStatus.DONE, utcnow()  # done late: a breach
    open_plan(lead, today, kind=PlanKind.FIRST_CONTACT, assignee_id=me.id)  # due today: not yet
    done = open_plan(lead, today - timedelta(days=3), kind=PlanKind.FIRST_CONTACT, assignee_id=me.id)
    done.status = PlanStatus.DONE  # done in time
    open_plan(
        lead, today - timedelta(days=2), kind=PlanKind.FOLLOW_UP, assignee_id=me.id
    )  # overdue, no breach
    open_plan(lead, today - timedelta(days=40), kind=PlanKind.FIRST_CONTACT, assignee_id=me.id)  # last month
    open_plan(
        factory.lead(owner=other),
        today - timedelta(days=1),
        kind=PlanKind.FIRST_CONTACT,
        assignee_id=other.id,
    )
    db.session.commit()
    figures = _figures(store, today)
    assert (figures[me.id]["breaches"], figures[me.id]["overdue"]) == (2, 1)
    assert figures[other.id]["breaches"] == 1


def test_breaches_are_read_from_the_first_contact_index(factory, db):
    """The kind is written into the statement, so the partial index (0038) applies whatever the
    parameters: the plan names it on both databases."""
    store = factory.store()
    me = factory.user("consultant", store)
    today = utcnow().date()
    open_plan(factory.lead(owner=me), today, kind=PlanKind.FIRST_CONTACT, assignee_id=me.id)
    db.session.commit()
    _rows, (statement, parameters) = captured(
        lambda sql: "'first_contact'" in sql, lambda: _figures(store, today)
    )
    if db.engine.dialect.name == "postgresql":
        # the others taken away: the planner may take the partial index only if it applies
        plan = plan_without(statement, parameters, other_indexes("plans", "ix_plans_first_contact_due"))
    else:
        plan = "\n".join(
            str(r)
            for r in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    assert "ix_plans_first_contact_due" in plan, plan
