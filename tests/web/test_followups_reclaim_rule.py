"""The reclaim rule has one definition: the SQL the reclaim list and the directors' notice use selects
exactly the leads rules.reclaim_eligible says yes to, on both sides of every boundary."""

from datetime import datetime, timedelta
from itertools import product

from sqlalchemy import select

from app.followups import rules
from app.followups.queries import reclaim_clause, reclaim_list
from app.leads.models import Lead

NOW = datetime(2030, 6, 1, 12, 0)
DAYS = 30
CUTOFF = rules.reclaim_cutoff(NOW, DAYS)
SECOND = timedelta(seconds=1)
# Before, exactly at, and just after the cutoff; and long ago.
AROUND = (CUTOFF - timedelta(days=200), CUTOFF - SECOND, CUTOFF, CUTOFF + SECOND)


def _cases():
    """(created_at, assigned_at, last_effective_followup_at) combinations, each later than the one before
    (a lead is assigned, then followed up, after it exists), with the unset ones among them."""
    cases = set()
    for created, assigned, last in product(AROUND, (None, *AROUND), (None, *AROUND)):
        if assigned is not None and assigned < created:
            continue
        if last is not None and last < max(created, assigned or created):
            continue
        cases.add((created, assigned, last))
    return sorted(cases, key=lambda c: tuple(x or datetime.min for x in c))


def test_the_sql_selects_what_the_python_rule_decides(factory, db):
    store = factory.store()
    owner = factory.user("consultant", store)
    expected = {}
    for created, assigned, last in _cases():
        lead = factory.lead(
            owner=owner, created_at=created, assigned_at=assigned, last_effective_followup_at=last
        )
        expected[lead.id] = rules.reclaim_eligible(last, assigned, created, NOW, DAYS)
    db.session.commit()
    assert len(expected) > 30 and any(expected.values()) and not all(expected.values())

    selected = set(db.session.execute(select(Lead.id).where(reclaim_clause(CUTOFF))).scalars())
    assert selected == {lead_id for lead_id, yes in expected.items() if yes}
    listed = {row.id for row in reclaim_list([store.id], CUTOFF, limit=1000)}
    assert listed == selected


def test_the_rule_reads_its_clock_in_the_declared_order():
    at = [CUTOFF - timedelta(days=n) for n in (1, 2, 3)]
    assert rules.RECLAIM_CLOCK == ("last_effective_followup_at", "assigned_at", "created_at")
    assert rules.reclaim_reference(at[0], at[1], at[2]) == at[0]
    assert rules.reclaim_reference(None, at[1], at[2]) == at[1]
    assert rules.reclaim_reference(None, None, at[2]) == at[2]


def test_unowned_closed_and_merged_leads_are_never_selected(factory, db):
    store = factory.store()
    owner = factory.user("consultant", store)
    old = CUTOFF - timedelta(days=90)
    pool = factory.lead(store=store, created_at=old)
    won = factory.lead(owner=owner, stage="won", created_at=old)
    kept = factory.lead(owner=owner, created_at=old)
    merged = factory.lead(owner=owner, created_at=old, merged_into_id=kept.id)
    db.session.commit()
    selected = set(db.session.execute(select(Lead.id).where(reclaim_clause(CUTOFF))).scalars())
    assert selected == {kept.id}
    assert {pool.id, won.id, merged.id}.isdisjoint(selected)
