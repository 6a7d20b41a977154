"""Files made by the task queue (`generated_files`): queued → running (progress, step) → done | failed.

One lifecycle for every kind (the monthly PDF, the lead export):

- a request creates the row (`create`), commits, and queues the kind's task (`enqueue`);
- the task calls `run(generated_id, produce, ready)`: it claims the row (queued → running), lets
  `produce` write the file while reporting its progress on a connection of its own (so the page's
  htmx poll sees it before the task ends), stores the bytes in `stored_files`, marks the row done,
  calls `ready` (the notification) and commits; any error marks the row failed;
- a task cut off with its worker (killed, its machine lost) is queued again (`resume_interrupted`):
  by every worker when it starts, and on PostgreSQL by the periodic `interrupted_files` job once
  nobody holds the row. The runner holds a transaction-scoped advisory lock on the row from its
  claim to its last commit, which the server lets go when the runner's connection dies. A row still
  not finished after STALE_AFTER fails ("try again").

Everything is in the database, so a web restart loses nothing and any app server serves the file.
"""

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, text, update

from app.accounts.models import User
from app.core.timeutil import utcnow
from app.extensions import db
from app.files.models import GeneratedFile
from app.files.services import fill_file, save_file

log = logging.getLogger(__name__)
RUNNING = ("queued", "running")
# The longest a file may take before it is taken for cut off (the largest export takes minutes).
STALE_AFTER = timedelta(hours=1)
# A queued row whose task is not in the queue this long after it was made is queued again.
RESUME_AFTER = timedelta(minutes=1)
# pg_try_advisory_xact_lock(FILE_LOCK, row id): held by the one runner of a generated file.
FILE_LOCK = 7_201_303


class Output(NamedTuple):
    filename: str
    content: bytes
    content_type: str


Progress = Callable[[int, str], None]  # (percent, step)


def create(user, kind: str, month: date, store_id: int | None = None, file_id: int | None = None):
    """Add a queued row (the caller commits, then calls `enqueue`). `file_id`: a stored file the
    output is written into (the export's own file), else the output gets a file of its own."""
    generated = GeneratedFile(
        user_id=user.id,
        kind=kind,
        month=month,
        store_id=store_id,
        status="queued",
        progress=0,
        step="queued",
        file_id=file_id,
    )
    db.session.add(generated)
    db.session.flush()
    return generated


def enqueue(generated: GeneratedFile, locale: str | None = None) -> None:
    """Queue the task of the row's kind (after the commit that made the row)."""
    try:
        _task(generated.kind)(generated.id, locale=locale or None)
    except Exception:  # the row stays queued: a starting worker, or the periodic job, queues it
        log.exception("could not queue generated file %s", generated.id)


def _task(kind: str):
    from app.tasks import GENERATED_FILE_TASKS

    return GENERATED_FILE_TASKS[kind]


def set_progress(generated_id: int, **values) -> None:
    """Write status/progress on a connection of its own, so pollers see it before the task ends."""
    with db.engine.begin() as conn:
        conn.execute(update(GeneratedFile).where(GeneratedFile.id == generated_id).values(**values))


def _claim(generated_id: int) -> bool:
    """Open the runner's transaction (with the row's lock on PostgreSQL) and move the row from
    queued to running; False when another runner holds it or it is not queued any more."""
    db.session.rollback()  # a fresh transaction: the lock is its first statement
    conn = db.session.connection()
    if (
        conn.dialect.name == "postgresql"
        and not conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:lock, :id)"), {"lock": FILE_LOCK, "id": generated_id}
        ).scalar()
    ):
        log.info("generated file %s is being made by another worker", generated_id)
        return False
    with db.engine.begin() as own:
        claimed = own.execute(
            update(GeneratedFile)
            .where(GeneratedFile.id == generated_id, GeneratedFile.status == "queued")
            .values(status="running", step="collecting", progress=5, error=None)
        ).rowcount
    if claimed != 1:
        db.session.rollback()
    return claimed == 1


def run(
    generated_id: int,
    produce: Callable[[GeneratedFile, Progress], Output],
    ready: Callable[[GeneratedFile], None],
) -> str:
    """Make one queued file; return the outcome (done, failed, skipped). A second delivery of the
    task, or one for a row another worker makes, does nothing."""
    if not _claim(generated_id):
        return "skipped"
    generated = db.session.get(GeneratedFile, generated_id)
    kind = generated.kind

    def progress(percent: int, step: str) -> None:
        set_progress(generated_id, progress=max(5, min(int(percent), 95)), step=step)

    try:
        output = produce(generated, progress)
        set_progress(generated_id, progress=95, step="saving")
        if generated.file_id is not None:
            fill_file(generated.file_id, output.filename, output.content, output.content_type)
        else:
            stored = save_file(
                "generated_file", generated.id, "report", output.filename, output.content, output.content_type
            )
            generated.file_id = stored.id
        generated.status, generated.progress, generated.step = "done", 100, "done"
        generated.finished_at = utcnow()
        ready(generated)
        db.session.commit()
        return "done"
    except Exception as exc:
        log.exception("generated file %s (%s) failed", generated_id, kind)
        _rollback_quietly()
        fail(generated_id, str(exc)[:500] or exc.__class__.__name__)
        return "failed"


def _rollback_quietly() -> None:
    for _attempt in range(2):  # on a dead connection the second rollback ends the transaction
        try:
            db.session.rollback()
            return
        except Exception:  # noqa: BLE001, S112 - the connection is gone; the pool replaces it
            continue


def fail(generated_id: int, error: str, now: datetime | None = None) -> bool:
    """Mark a queued or running row failed; False when it had finished meanwhile."""
    with db.engine.begin() as conn:
        return (
            conn.execute(
                update(GeneratedFile)
                .where(GeneratedFile.id == generated_id, GeneratedFile.status.in_(RUNNING))
                .values(status="failed", step="failed", error=error[:500], finished_at=now or utcnow())
            ).rowcount
            == 1
        )


def _held(generated_id: int) -> bool | None:
    """True when a runner holds the row, False when nobody does; None where that cannot be told
    (SQLite). Probes with a session lock released at once, so a runner is never kept out."""
    with db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return None
        params = {"lock": FILE_LOCK, "id": generated_id}
        free = conn.execute(text("SELECT pg_try_advisory_lock(:lock, :id)"), params).scalar()
        if free:
            conn.execute(text("SELECT pg_advisory_unlock(:lock, :id)"), params)
        conn.commit()
    return not free


def _waiting_in_queue() -> set[tuple[str, int]]:
    """(task name, row id) of the generated-file tasks waiting in the queue."""
    from app.tasks import GENERATED_FILE_TASKS, huey

    names = {task.name for task in GENERATED_FILE_TASKS.values()}
    try:
        return {(task.name, task.args[0]) for task in huey.pending() if task.args and task.name in names}
    except Exception:  # noqa: BLE001 - an unreadable queue: a row queued twice is still made once
        log.warning("could not read the task queue", exc_info=True)
        return set()


def resume_interrupted(now: datetime | None = None, starting: bool = False) -> dict:
    """Queue again the files a stopped worker left cut off; fail those older than STALE_AFTER.

    `starting`: a worker is starting, so on SQLite (one machine, one worker) nothing is making a
    file; on PostgreSQL the advisory lock tells, whenever this is called. Returns the counts.
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(GeneratedFile.id, GeneratedFile.kind, GeneratedFile.status, GeneratedFile.created_at).where(
            GeneratedFile.status.in_(RUNNING)
        )
    ).all()
    db.session.commit()  # no read transaction stays open while the files are made
    resumed = interrupted = 0
    waiting = _waiting_in_queue() if rows else set()
    for row in rows:
        held = _held(row.id)
        if now - row.created_at >= STALE_AFTER and not held:
            interrupted += fail(row.id, "interrupted", now)
            continue
        if held or (held is None and not starting):
            continue
        if row.status == "queued" and (
            (_task(row.kind).name, row.id) in waiting
            or (not starting and now - row.created_at < RESUME_AFTER)
        ):
            continue
        with db.engine.begin() as conn:  # running → queued, so the queued task claims it as usual
            back = conn.execute(
                update(GeneratedFile)
                .where(GeneratedFile.id == row.id, GeneratedFile.status == row.status)
                .values(status="queued", step="queued")
            ).rowcount
        if back != 1:
            continue
        generated = db.session.get(GeneratedFile, row.id)
        user = db.session.get(User, generated.user_id)
        log.warning("generated file %s (%s) was cut off, queued again", row.id, row.kind)
        enqueue(generated, locale=getattr(user, "locale", None))
        db.session.commit()
        resumed += 1
    return {"resumed": resumed, "interrupted": interrupted}
