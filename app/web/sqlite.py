"""SQLite tuning so several app processes can share one database file."""

from sqlalchemy import event


def enable_sqlite_pragmas(engine) -> None:
    """Turn on WAL, foreign keys and sane sync on every new SQLite connection."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        # Read pages through the OS page cache without a system call each (256 MB window),
        # and keep 32 MB of hot pages per connection.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()
