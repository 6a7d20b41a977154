"""PostgreSQL session settings for every pooled connection, and when a pooled connection is pinged."""

import select
import time
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError


def plan_every_execution(engine) -> None:
    """Plan each statement for its own parameters (plan_cache_mode = force_custom_plan).

    psycopg prepares a statement once it has run five times, and PostgreSQL may then switch to a
    generic plan that ignores the parameters. Our data is skewed (a new event with thousands of
    invitations, a store with many times the leads of another), and a generic plan for one of
    them can be ten times slower: the door's phone-tail search went from 3 ms to 9 ms that way.
    Statements are still parsed once; planning costs a fraction of a millisecond.
    """

    @event.listens_for(engine, "connect")
    def _settings(dbapi_connection, _record):  # pragma: no cover - trivial
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()


# A connection back in the pool for less than this is handed out without a ping, unless its socket
# says the server has spoken or hung up meanwhile.
QUIET_SECONDS = 10.0


def ping_when_in_doubt(engine) -> None:
    """Ping a connection taken from the pool only when it may be dead (instead of `pool_pre_ping`,
    which pings on every checkout: one more round trip on every request).

    A database that restarts or ends a connection (`pg_terminate_backend`, an idle timeout) sends
    it a last message and closes it: its socket turns readable, which a zero-wait poll sees
    without a round trip. A connection that rested longer than QUIET_SECONDS is pinged anyway (a
    network path may drop it silently). A failed ping makes the pool discard the connection and
    hand out another (`DisconnectionError`); `pool_recycle` still replaces old connections."""

    def _rested(_dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    event.listen(engine, "connect", _rested)  # a new connection needs no ping
    event.listen(engine, "checkin", _rested)

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy):
        rested = time.monotonic() - record.info.get("checked_in_at", float("-inf"))
        if rested < QUIET_SECONDS and not has_news(dbapi_connection):
            return
        try:
            ok = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's error for a dead connection
            raise DisconnectionError("the pooled connection is gone") from exc
        if not ok:  # pragma: no cover - psycopg's ping raises instead
            raise DisconnectionError("the pooled connection is gone")


def has_news(dbapi_connection) -> bool:
    """Whether an idle psycopg connection is closed or has something to read (a notice, an error,
    the server hanging up), seen without a round trip."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception:  # no socket: closed, or another driver
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


# psycopg rewrites a statement's %(name)s placeholders into $n on every execution unless the
# statement is at most 4 KB with at most 50 parameters (the limits of its conversion cache). The
# aggregates' per-lead statements (10 KB, 80 parameters), the report counters and the door's
# statement are over them, and converting one of them in Python costs about 1.3 ms a time.
LONG_STATEMENT_CHARS = 64 * 1024
LONG_STATEMENT_PARAMS = 1000


def cache_long_statements() -> bool:
    """Let psycopg cache the placeholder conversion of statements up to 64 KB and 1,000 parameters
    (its cache keeps the 128 most recent). Returns False when this psycopg has no such limits."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - another psycopg layout
        return False
    if not hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH"):  # pragma: no cover
        return False
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, LONG_STATEMENT_CHARS)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, LONG_STATEMENT_PARAMS)
    return True


@contextmanager
def generic_plans(session):
    """Inside, PostgreSQL plans a prepared statement once for any parameters (plan_cache_mode =
    force_generic_plan, for this transaction only); on leaving, every statement is planned for its
    parameters again. For statements whose plan cannot depend on their values (a lead's share of
    the aggregates, read by primary and foreign keys): planning one of them costs 1–1.5 ms, more
    than running it. Nothing on other databases. When the block fails, the setting is left to the
    rollback that follows (a transaction or savepoint rolled back undoes a SET LOCAL made in it; a
    failed transaction takes no more statements)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    yield
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
