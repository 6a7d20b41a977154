"""Fast bulk inserts for demo data: COPY on PostgreSQL, executemany on SQLite."""

from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from sqlalchemy import text

from app.extensions import db

BATCH = 20_000


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert rows (tuples in `columns` order) as fast as the database allows; return the count."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    raw = connection.connection.dbapi_connection
    count = 0
    if dialect == "postgresql":
        cols = ", ".join(columns)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608 - our names
    cursor = raw.cursor()
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            cursor.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    if batch:
        cursor.executemany(sql, batch)
        count += len(batch)
    cursor.close()
    return count


def max_id(table: str) -> int:
    return db.session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar() or 0  # noqa: S608


def fix_sequences(tables: Sequence[str]) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the maximum."""
    if db.session.connection().dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
            )
        )


def fast_load_settings() -> None:
    """Trade durability for speed on this connection while demo data loads (it can be re-seeded)."""
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(text("SET synchronous_commit = off"))
        db.session.execute(text("SET maintenance_work_mem = '256MB'"))
    else:
        db.session.execute(text("PRAGMA synchronous = OFF"))
        db.session.execute(text("PRAGMA cache_size = -262144"))
        db.session.execute(text("PRAGMA temp_store = MEMORY"))


@contextmanager
def secondary_indexes_dropped(table_names: Sequence[str], enabled: bool = True):
    """Drop the non-unique indexes of these tables for a big load and build them once afterwards.

    Building an index over sorted data is much faster than updating it row by row. Unique
    indexes stay: they guard the data.
    """
    if not enabled:
        yield []
        return
    indexes = [ix for name in table_names for ix in db.metadata.tables[name].indexes if not ix.unique]
    for index in indexes:
        db.session.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
    db.session.commit()
    try:
        yield indexes
    finally:
        db.session.rollback()
        fast_load_settings()
        connection = db.session.connection()
        for index in indexes:
            index.create(bind=connection, checkfirst=True)
        db.session.commit()
