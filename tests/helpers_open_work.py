"""Today's open work counted in Python from the leads (an independent definition of open_work)."""

from collections import Counter

from sqlalchemy import select

from app.accounts.models import Store
from app.admin import reference
from app.admin.models import StageKind
from app.core.timeutil import to_local
from app.leads.models import Lead
from app.reports.models import NEVER_FOLLOWED, OPEN_WORK_COUNTERS, OPEN_WORK_KEYS, OpenWork
from tests.helpers_aggregates import stored_rows


def recount_open_work(db) -> dict:
    zones = {s.id: s.timezone for s in db.session.execute(select(Store)).scalars()}
    open_ids = {s.id for s in reference.stages() if s.kind == StageKind.OPEN}
    out: dict = {}
    for lead in db.session.execute(select(Lead)).scalars():
        if lead.merged_into_id is not None or lead.owner_id is None or lead.stage_id not in open_ids:
            continue
        when = lead.last_effective_followup_at
        month = to_local(when, zones[lead.store_id]).date().replace(day=1) if when else NEVER_FOLLOWED
        key = (lead.store_id, lead.owner_id, lead.grade_id, month)
        counts = out.setdefault(key, Counter())
        counts["open_leads"] += 1
        counts["no_plan"] += lead.next_plan_due is None
    return {k: tuple(v[c] for c in OPEN_WORK_COUNTERS) for k, v in out.items()}


def stored_open_work(db) -> dict:
    return stored_rows(db, OpenWork, OPEN_WORK_KEYS, OPEN_WORK_COUNTERS)


def assert_open_work_current(db) -> None:
    db.session.expire_all()
    stored, expected = stored_open_work(db), recount_open_work(db)
    diff = [
        (k, stored.get(k), expected.get(k))
        for k in set(stored) | set(expected)
        if stored.get(k) != expected.get(k)
    ]
    assert not diff, diff[:10]
