"""Rate-limit counters shared by every worker and server.

flask-limiter keeps its counters in process memory unless told otherwise, so with four gunicorn
workers a "10 per 5 minutes" limit allowed 40 attempts. Here the counters live in Redis when
REDIS_URL is set, and otherwise in the application's own database (`leadloop+db://`, the table
`rate_limit_counters`): every worker of `make run` and every app server then count together.

`DatabaseStorage` is a `limits` storage (fixed windows), so flask-limiter and the login throttle
use the same counters. Login failures are counted per account (password guessing) and, with a
much higher ceiling, per address (a whole showroom shares one address behind its router).
"""

import time

from flask import current_app
from limits import parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

DB_STORAGE_URI = "leadloop+db://"
_EXTENSION = "leadloop_throttle"


class DatabaseStorage(Storage):
    """Fixed-window counters in the `rate_limit_counters` table of the current app's database.

    Each operation runs in its own short transaction on its own connection, independent of the
    request's session; the increment is one atomic upsert, so concurrent workers never lose a hit.
    """

    STORAGE_SCHEME = ["leadloop+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _table():
        from app.accounts.models import RateLimitCounter

        return RateLimitCounter.__table__

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        table = self._table()
        now = time.time()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            stmt = insert(table).values(key=key, count=amount, expires_at=now + expiry)
            expired = table.c.expires_at <= now
            from sqlalchemy import case

            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((expired, amount), else_=table.c.count + amount),
                    "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
                },
            ).returning(table.c.count)
            return int(conn.execute(stmt).scalar_one())

    def get(self, key: str) -> int:
        table = self._table()
        with db.engine.connect() as conn:
            value = conn.execute(
                select(table.c.count).where(table.c.key == key, table.c.expires_at > time.time())
            ).scalar_one_or_none()
        return int(value or 0)

    def get_expiry(self, key: str) -> float:
        table = self._table()
        with db.engine.connect() as conn:
            value = conn.execute(
                select(table.c.expires_at).where(table.c.key == key, table.c.expires_at > time.time())
            ).scalar_one_or_none()
        return float(value) if value is not None else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(self._table())).rowcount

    def clear(self, key: str) -> None:
        table = self._table()
        with db.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.key == key))


def purge_expired() -> int:
    """Delete counters whose window has passed (run from `flask jobs run`)."""
    table = DatabaseStorage._table()
    result = db.session.execute(delete(table).where(table.c.expires_at <= time.time()))
    return result.rowcount or 0


class Throttle:
    """Counters for one app: login failures, second-factor failures, single-use tokens."""

    def __init__(self, storage_uri: str):
        self.storage = storage_from_string(storage_uri)
        self.limiter = FixedWindowRateLimiter(self.storage)

    # -- failures under a limit -------------------------------------------------------------
    def blocked(self, limit: str, *key) -> bool:
        """True when the failures counted under `key` have reached `limit`."""
        return not self.limiter.test(parse(limit), *key)

    def fail(self, limit: str, *key) -> None:
        """Count one failure under `key`."""
        self.limiter.hit(parse(limit), *key)

    def clear(self, limit: str, *key) -> None:
        self.limiter.clear(parse(limit), *key)

    def over(self, limit: str, *key) -> bool:
        """Count one event under `key`; True when it goes past `limit` (for ceilings)."""
        return not self.limiter.hit(parse(limit), *key)

    # -- single use ---------------------------------------------------------------------------
    def first_use(self, token_id: str, seconds: int) -> bool:
        """True the first time `token_id` is seen within `seconds`, False on every replay."""
        return self.storage.incr(f"leadloop/once/{token_id}", seconds) == 1


def init_app(app) -> None:
    app.extensions[_EXTENSION] = Throttle(app.config.get("RATELIMIT_STORAGE_URI") or DB_STORAGE_URI)


def throttle() -> Throttle:
    return current_app.extensions[_EXTENSION]


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))
