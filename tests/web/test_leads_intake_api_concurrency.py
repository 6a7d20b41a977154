"""Concurrent API calls on PostgreSQL: one customer per phone, one answer per Idempotency-Key."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from app.leads.models import IdempotencyRecord, Lead, LeadTouch
from tests.helpers_intake import bearer, make_api_key

PAYLOAD = {"name": "并发", "phone": "13812345678"}


@pytest.mark.postgres_only
def test_simultaneous_creates_of_one_phone_make_one_lead(live_server, factory, db):
    store = factory.store("BJ01")
    db.session.commit()
    _key, raw = make_api_key(db, store)

    def post(i):
        return requests.post(f"{live_server}/api/v1/leads", json=PAYLOAD, headers=bearer(raw), timeout=30)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 7 + [201]
    assert len({r.json()["reference"] for r in responses}) == 1
    assert db.session.execute(select(func.count()).select_from(Lead)).scalar() == 1
    assert db.session.execute(select(func.count()).select_from(LeadTouch)).scalar() == 8


@pytest.mark.postgres_only
def test_simultaneous_retries_with_one_idempotency_key_give_one_answer(live_server, factory, db):
    store = factory.store("BJ01")
    db.session.commit()
    _key, raw = make_api_key(db, store)

    def post(i):
        return requests.post(
            f"{live_server}/api/v1/leads",
            json=PAYLOAD,
            headers=bearer(raw, **{"Idempotency-Key": "retry-1"}),
            timeout=30,
        )

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["reference"] for r in responses}) == 1
    assert db.session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar() == 1
    assert db.session.execute(select(func.count()).select_from(Lead)).scalar() == 1
