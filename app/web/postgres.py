"""PostgreSQL session settings for every pooled connection."""

from contextlib import contextmanager

from sqlalchemy import event, text


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
