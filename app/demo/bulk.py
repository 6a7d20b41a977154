"""Fast bulk inserts for demo data: COPY on PostgreSQL, executemany on SQLite."""

from collections.abc import Iterable, Sequence

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
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
        ))
