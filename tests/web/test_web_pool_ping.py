"""Pooled PostgreSQL connections are pinged only when they may be dead: a connection the server
ended is replaced without failing the request, a connection reused at once costs no round trip."""

import time

import psycopg
import pytest
from sqlalchemy import create_engine, text

from app.config import engine_options
from app.extensions import db
from app.web import postgres
from tests.conftest import TEST_DB_URL


def test_connections_are_not_pinged_on_every_checkout_but_recycled():
    options = engine_options("postgresql+psycopg://u@h/db")
    assert "pool_pre_ping" not in options and 0 < options["pool_recycle"] <= 3600


def _engine(monkeypatch):
    """An engine of one pooled connection with the app's ping rule, and a count of its pings."""
    url = db.engine.url.render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=1, max_overflow=0)
    postgres.ping_when_in_doubt(engine)
    pings = []
    real_ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return engine, pings


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


@pytest.mark.postgres_only
def test_a_connection_reused_at_once_is_not_pinged_one_that_rested_is(monkeypatch):
    engine, pings = _engine(monkeypatch)
    try:
        first = _pid(engine)
        assert [_pid(engine) for _ in range(5)] == [first] * 5
        assert pings == []
        monkeypatch.setattr(postgres, "QUIET_SECONDS", 0.0)
        assert _pid(engine) == first and pings == [1]
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_a_connection_the_server_ended_is_replaced_without_an_error(monkeypatch):
    engine, pings = _engine(monkeypatch)
    try:
        ended = _pid(engine)
        with psycopg.connect(
            TEST_DB_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        ) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (ended,)).fetchone()[0] is True
        pooled = engine.pool._pool.queue[0].dbapi_connection
        for _ in range(100):  # the server's goodbye reaches the socket
            if postgres.has_news(pooled):
                break
            time.sleep(0.01)
        assert postgres.has_news(pooled)
        assert _pid(engine) != ended  # no error: the ping failed, the pool connected again
        assert pings == [1]
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_the_app_pings_its_connections_by_this_rule():
    names = [getattr(fn, "__qualname__", "") for fn in db.engine.pool.dispatch.checkout]
    assert any("ping_when_in_doubt" in name for name in names), names
