"""Readiness: can this server do its work now? (`/healthz` only says the process is alive.)

`check_readiness()` asks the database, Redis when `REDIS_URL` is set, and reads the backlogs: the
outbox (messages still queued for sending) and the task queue (`queue_backlog()`). A server that
cannot reach its database or Redis is not ready; a backlog makes it not ready only above the
configured ceiling (`READY_MAX_OUTBOX_BACKLOG`, `READY_MAX_QUEUE_BACKLOG`; 0, the default, means
report the number without judging it), because a long queue is the workers' trouble, not a reason
to take a web server out of the load balancer.

The task queue is the object registered as `app.extensions["huey"]` (anything with
`pending_count()`); with no queue registered `queue_backlog()` is None and the answer leaves it out.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select, text

from app.extensions import db

_redis_clients: dict[str, object] = {}


@dataclass
class Readiness:
    ready: bool = True
    checks: dict = field(default_factory=dict)

    def fail(self, name: str, detail) -> None:
        self.ready = False
        self.checks[name] = detail

    def as_json(self) -> dict:
        return {"status": "ready" if self.ready else "not_ready", **self.checks}


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means the database is unreachable
        db.session.rollback()
        return False


def redis_ok(url: str) -> bool:
    import redis

    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        _redis_clients[url] = client
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def outbox_backlog() -> int:
    """Messages waiting in the outbox (queued, not yet sent or given up)."""
    from app.messaging.models import Message, MessageStatus

    return db.session.execute(
        select(func.count()).select_from(Message).where(Message.status == MessageStatus.QUEUED)
    ).scalar_one()


def queue_backlog() -> int | None:
    """Tasks waiting in the task queue, or None when no queue is configured."""
    queue = current_app.extensions.get("huey")
    if queue is None:
        return None
    return int(queue.pending_count())


def check_readiness() -> Readiness:
    result = Readiness()
    config = current_app.config
    if not database_ok():
        result.fail("database", "unreachable")
        return result
    result.checks["database"] = "ok"
    url = config.get("REDIS_URL")
    if url:
        if redis_ok(url):
            result.checks["redis"] = "ok"
        else:
            result.fail("redis", "unreachable")
    _backlog(result, "outbox_backlog", outbox_backlog(), config.get("READY_MAX_OUTBOX_BACKLOG", 0))
    _backlog(result, "queue_backlog", queue_backlog(), config.get("READY_MAX_QUEUE_BACKLOG", 0))
    return result


def _backlog(result: Readiness, name: str, count: int | None, ceiling: int) -> None:
    if count is None:
        return
    result.checks[name] = count
    if ceiling and count > ceiling:
        result.ready = False
        result.checks[f"{name}_over"] = ceiling
