"""The public booking form refuses replayed start tokens and caps new leads per address and store."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from app.leads.models import Lead
from tests.helpers_platform import other_app
from tests.web.test_leads_public_form import _started, _submit


@pytest.fixture
def store(factory, db):
    s = factory.store("BJ07", name="北京店")
    db.session.commit()
    return s


def _leads(db) -> int:
    return db.session.execute(select(func.count()).select_from(Lead)).scalar()


def _later(seconds=10):
    return freeze_time(datetime.now(UTC) + timedelta(seconds=seconds))


def test_a_start_token_creates_one_lead_only(client, db, store):
    started = _started(client, store)
    with _later():
        assert _submit(client, store, started).status_code == 200
        replay = _submit(client, store, started, phone="139 8765 4321", name="王伟")
    assert replay.status_code == 422
    assert _leads(db) == 1


def test_a_replay_is_refused_by_another_server_too(_tmpdir, db, store):
    with (
        other_app(_tmpdir, RATELIMIT_STORAGE_URI="leadloop+db://") as first,
        other_app(_tmpdir, RATELIMIT_STORAGE_URI="leadloop+db://") as second,
    ):
        started = _started(first.test_client(), store)
        with _later():
            assert _submit(first.test_client(), store, started).status_code == 200
            assert _submit(second.test_client(), store, started, phone="139 8765 4321").status_code == 422
    assert _leads(db) == 1


def test_a_page_with_errors_gets_a_fresh_token(client, db, store):
    started = _started(client, store)
    with _later():
        invalid = _submit(client, store, started, phone="12345")
        assert invalid.status_code == 422
        fresh = invalid.get_data(as_text=True).split('name="started" type="hidden" value="')[1].split('"')[0]
    with _later(20):
        assert _submit(client, store, fresh).status_code == 200
    assert _leads(db) == 1


_phones = iter(range(10_000))


def _flood(application, store, count, ip="198.51.100.9"):
    codes = []
    for _ in range(count):
        c = application.test_client()
        c.environ_base["REMOTE_ADDR"] = ip
        started = _started(c, store)
        with _later():
            codes.append(_submit(c, store, started, phone=f"139 0000 {next(_phones):04d}").status_code)
    return codes


def test_leads_per_address_are_capped_per_hour(_tmpdir, db, store):
    with other_app(
        _tmpdir,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="leadloop+db://",
        PUBLIC_RATE_LIMIT="1000 per minute",
        BOOKING_IP_LEAD_LIMIT="3 per hour",
    ) as application:
        assert _flood(application, store, 4) == [200, 200, 200, 429]
        assert _flood(application, store, 1, ip="198.51.100.10") == [200]
    assert _leads(db) == 4


def test_leads_per_store_are_capped_per_hour(_tmpdir, db, store, factory):
    other = factory.store("BJ08")
    db.session.commit()
    with other_app(
        _tmpdir,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="leadloop+db://",
        PUBLIC_RATE_LIMIT="1000 per minute",
        BOOKING_STORE_LEAD_LIMIT="2 per hour",
    ) as application:
        codes = [_flood(application, store, 1, ip=f"198.51.100.{20 + i}")[0] for i in range(3)]
        assert codes == [200, 200, 429]
        assert _flood(application, other, 1, ip="198.51.100.40") == [200]
    assert _leads(db) == 3
