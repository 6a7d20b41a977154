"""Query plans in tests: the statement a call sends, and PostgreSQL's plan of it with some indexes
taken away (on a handful of rows the planner's pick between indexes is a coin toss)."""

from sqlalchemy import event

from app.extensions import db


def captured(matches, call):
    """Run `call()` and return its result with the first statement it sent for which
    `matches(sql)` holds, and that statement's parameters."""
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if matches(statement):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        result = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    return result, seen[0]


def other_indexes(table: str, keep: str) -> list[str]:
    """Every plain index of `table` but `keep` (not the primary key or unique constraints): what a
    plan test takes away so that the index it is about is the only one left to choose."""
    from sqlalchemy import text

    return list(
        db.session.execute(
            text(
                "SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexname LIKE 'ix\\_%' AND indexname <> :k"
            ),
            {"t": table, "k": keep},
        ).scalars()
    )


def plan_without(statement, parameters, drop_indexes=()) -> str:
    """EXPLAIN of the statement with `drop_indexes` dropped and the scans that need no index off,
    inside the test's transaction (rolled back afterwards)."""
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        for name in drop_indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    db.session.rollback()
    return plan
