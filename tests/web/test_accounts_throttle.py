"""Login throttling counts across workers and servers: counters in the database or in Redis."""

import re
import time
import uuid
from contextlib import ExitStack, contextmanager

import pytest

from app.accounts.models import Role
from app.audit.models import AuditLog
from app.web.throttle import DatabaseStorage
from tests.factories import TEST_PASSWORD
from tests.helpers_platform import other_app

REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def two_servers(tmpdir, **config):
    """Two separately created apps on the same database, as two gunicorn workers would be."""
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "leadloop+db://",
        "LOGIN_RATE_LIMIT": "4 per 15 minutes",
        **config,
    }
    with ExitStack() as stack:
        first = stack.enter_context(other_app(tmpdir, **settings))
        second = stack.enter_context(other_app(tmpdir, **settings))
        assert first is not second
        yield first, second


def _attempt(application, username, password, ip="10.0.0.1"):
    return application.test_client().post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def test_default_storage_is_shared_not_per_process(monkeypatch):
    from app.config import load_config

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert load_config()["RATELIMIT_STORAGE_URI"] == "leadloop+db://"
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    assert load_config()["RATELIMIT_STORAGE_URI"] == REDIS_URL


def test_failures_on_two_app_instances_add_up_to_the_lock(_tmpdir, factory, db):
    user = factory.user()
    db.session.commit()
    with two_servers(_tmpdir) as (first, second):
        codes = [
            _attempt(app_, user.username, "wrong wrong").status_code
            for app_ in (first, second, first, second)
        ]
        assert codes == [200, 200, 200, 200]
        locked = _attempt(first, user.username, TEST_PASSWORD)
        assert locked.status_code == 429
        assert _attempt(second, user.username, TEST_PASSWORD).status_code == 429
    html = locked.get_data(as_text=True)
    assert "该用户名登录失败尝试次数过多" in html and "请稍等几分钟后再试" in html
    assert db.session.query(AuditLog).filter_by(action="auth.login_locked").count() == 2


def test_lock_message_is_the_same_for_an_unknown_username(_tmpdir, factory, db):
    user = factory.user()
    db.session.commit()
    with two_servers(_tmpdir) as (first, second):
        for name in (user.username, "nobody-here"):
            for i in range(4):
                _attempt(first if i % 2 else second, name, "wrong wrong")
        known = _attempt(first, user.username, "wrong wrong")
        unknown = _attempt(first, "nobody-here", "wrong wrong")
    assert known.status_code == unknown.status_code == 429

    def strip(response):
        html = response.get_data(as_text=True).replace(user.username, "X").replace("nobody-here", "X")
        return re.sub(r"(csrf_token|X-CSRFToken)[^>]*", "", html)

    assert strip(known) == strip(unknown)


def test_a_locked_username_does_not_block_colleagues_behind_the_same_address(_tmpdir, factory, db):
    victim, colleague = factory.user(), factory.user()
    db.session.commit()
    with two_servers(_tmpdir) as (first, second):
        for i in range(4):
            _attempt(first if i % 2 else second, victim.username, "wrong wrong", ip="203.0.113.7")
        assert _attempt(first, victim.username, TEST_PASSWORD, ip="203.0.113.7").status_code == 429
        assert _attempt(second, colleague.username, TEST_PASSWORD, ip="203.0.113.7").status_code == 303


def test_the_address_ceiling_stops_guessing_across_usernames(_tmpdir, factory, db):
    user = factory.user()
    db.session.commit()
    with two_servers(_tmpdir, LOGIN_IP_RATE_LIMIT="6 per 15 minutes") as (first, second):
        for i in range(6):
            assert (
                _attempt(
                    first if i % 2 else second, f"guess{i}", "wrong wrong", ip="198.51.100.1"
                ).status_code
                == 200
            )
        assert _attempt(first, user.username, TEST_PASSWORD, ip="198.51.100.1").status_code == 429
        assert _attempt(first, user.username, TEST_PASSWORD, ip="198.51.100.2").status_code == 303


def test_a_successful_login_clears_the_username_counter(_tmpdir, factory, db):
    user = factory.user()
    db.session.commit()
    with two_servers(_tmpdir) as (first, second):
        for _ in range(3):
            _attempt(first, user.username, "wrong wrong")
        assert _attempt(second, user.username, TEST_PASSWORD).status_code == 303
        for _ in range(3):
            assert _attempt(second, user.username, "wrong wrong").status_code == 200
        assert _attempt(first, user.username, TEST_PASSWORD).status_code == 303


def test_login_failures_are_counted_in_redis_across_instances(_tmpdir, factory, db):
    redis = pytest.importorskip("redis")
    name = f"redis-{uuid.uuid4().hex[:10]}"
    factory.user(username=name)
    db.session.commit()
    with two_servers(_tmpdir, RATELIMIT_STORAGE_URI=REDIS_URL) as (first, second):
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for app_ in (first, second, first, second):
                assert _attempt(app_, name, "wrong wrong").status_code == 200
            assert _attempt(second, name, TEST_PASSWORD).status_code == 429
            assert any(name.encode() in key for key in client.scan_iter(match="LIMITS:*login-user*"))
            assert db.session.query(db.func.count()).select_from(DatabaseStorage._table()).scalar() == 0
        finally:
            for key in client.scan_iter(match=f"LIMITS:*{name}*"):
                client.delete(key)


def test_database_storage_counts_windows_and_expires(app, db):
    storage = DatabaseStorage("leadloop+db://")
    assert storage.incr("k1", expiry=60) == 1
    assert storage.incr("k1", expiry=60, amount=2) == 3
    assert storage.get("k1") == 3 and storage.get("other") == 0
    assert storage.get_expiry("k1") > time.time() + 50
    assert storage.incr("k2", expiry=-1) == 1  # already expired: the next hit starts a new window
    assert storage.incr("k2", expiry=60) == 1
    storage.clear("k1")
    assert storage.get("k1") == 0 and storage.check()


def test_flask_limiter_uses_the_database_storage(_tmpdir, factory, db):
    store = factory.store()
    db.session.commit()
    with two_servers(_tmpdir, PUBLIC_RATE_LIMIT="2 per minute") as (first, second):
        codes = [
            app_.test_client().post(f"/f/{store.code}", data={"phone": "1", "started": "x"}).status_code
            for app_ in (first, second, first)
        ]
    assert codes == [422, 422, 429]


def test_director_needs_mfa_even_when_throttling_is_on(_tmpdir, factory, db):
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    with two_servers(_tmpdir) as (first, _second):
        response = _attempt(first, director.username, TEST_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login/mfa")


def test_the_jobs_delete_expired_counters(app, db):
    from app.core.timeutil import utcnow
    from app.jobs import run_all

    storage = DatabaseStorage("leadloop+db://")
    storage.incr("old", expiry=-5)
    storage.incr("current", expiry=600)
    assert run_all(utcnow(), only="accounts.expired_rate_limits") == {
        "accounts.expired_rate_limits": {"deleted": 1}
    }
    keys = db.session.execute(db.select(DatabaseStorage._table().c.key)).scalars().all()
    assert keys == ["current"]
