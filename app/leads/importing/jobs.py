"""Import jobs: store the upload in the database; the analysis and the commit run as queued tasks.

The file, its preview and the result file live in `stored_files`, so whichever app server or
worker runs the next step reads the same bytes. A task copies the upload to a scratch folder of
its own for the length of one step.

A step runs once, whoever runs it: the task claims it first (`claim_step`) and does nothing when
the job has left that step or another runner holds it. A step whose worker died (killed, its
machine lost) was rolled back with its transaction, and the queue does not hand that task out again;
it is queued again (`resume_interrupted_steps`) when a worker starts and, on PostgreSQL, by the
periodic `interrupted_imports` job once nobody holds it. A step still cut off after STALE_AFTER fails.
"""

import json
import logging
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import has_request_context
from flask_babel import get_locale
from sqlalchemy import select, text, update
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.core.timeutil import today_for, utcnow
from app.extensions import db
from app.files.services import delete_files, file_content, save_file
from app.jobs import periodic
from app.leads.importing.commit import analyse, commit_import
from app.leads.importing.mapping import recognise
from app.leads.importing.parse import FileRefused, read_table, sniff_kind
from app.leads.models import ImportJob
from app.web.errors import database_unavailable
from app.web.logging_setup import current_request_id

log = logging.getLogger(__name__)
RUNNING = ("validating", "committing")
# The longest a step may run before it is taken for cut off: the largest file is checked and saved
# in about a minute.
STALE_AFTER = timedelta(minutes=30)
# A step nobody holds this long after it began is queued again by the periodic job (PostgreSQL).
RESUME_AFTER = timedelta(minutes=1)
RETRY_PAUSE_SECONDS = 1.0
# pg_try_advisory_xact_lock(STEP_LOCK, job id): held by the one runner of a job's current step.
STEP_LOCK = 7_201_302


OWNER = "import_job"


@contextmanager
def scratch_dir():
    """A private folder for one step on this machine, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="leadloop-import-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def local_copy(job: ImportJob):
    """Point `job.stored_path` at a scratch copy of the upload for one step (not saved on the row)."""
    name = job.stored_path
    with scratch_dir() as folder:
        path = folder / Path(name).name
        path.write_bytes(file_content(OWNER, job.id, "upload") or b"")
        set_committed_value(job, "stored_path", str(path))
        try:
            yield path
        finally:
            if job in db.session and job.stored_path == str(path):
                set_committed_value(job, "stored_path", name)


ALLOWED_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx"}


def save_upload(stream, filename: str, user, store_id: int) -> ImportJob:
    """Store the uploaded file, check its name and its content agree and read its header; raise FileRefused."""
    suffix = Path(filename or "").suffix.lower()
    if suffix in {".xlsm", ".xltm", ".xlam"}:
        raise FileRefused("macro")
    if suffix not in ALLOWED_SUFFIXES:
        raise FileRefused("unknown_type")
    with scratch_dir() as folder:
        tmp = folder / "upload"
        stream.save(str(tmp))
        try:
            kind = sniff_kind(tmp)
            if kind != ALLOWED_SUFFIXES[suffix]:
                raise FileRefused("unknown_type")
            tmp = tmp.rename(tmp.with_suffix(f".{kind}"))  # openpyxl goes by the name's suffix
            header, _rows = read_table(tmp, kind)
        except FileRefused:
            raise
        except Exception as exc:  # a corrupt workbook openpyxl cannot read
            log.warning("unreadable upload %s: %s", filename, exc)
            raise FileRefused("unreadable") from exc
        content = tmp.read_bytes()
    mapping = recognise(header)
    # stored_path is the file's name (its suffix tells the kind); the bytes are in stored_files.
    job = ImportJob(
        user_id=user.id,
        store_id=store_id,
        filename=(filename or "upload")[:255],
        stored_path=f"{uuid.uuid4().hex}.{kind}",
        status="uploaded",
        mapping={str(k): v for k, v in mapping.items()},
        decisions={"default": "skip", "rows": {}, "header": [str(h or "") for h in header]},
    )
    db.session.add(job)
    db.session.flush()
    save_file(OWNER, job.id, "upload", job.filename, content)
    return job


def load_preview(job: ImportJob) -> dict:
    content = file_content(OWNER, job.id, "preview")
    return json.loads(content) if content else {}


def result_content(job: ImportJob) -> bytes | None:
    """The rejected rows with their reasons (CSV), kept after the import."""
    return file_content(OWNER, job.id, "result")


def _set_progress(job_id: int, processed: int) -> None:
    """Write progress outside the import's own transaction so pollers see it."""
    with db.engine.begin() as conn:
        conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(processed_rows=processed))


def claim_step(job_id: int, status: str) -> ImportJob | None:
    """Open the step's transaction by claiming it; None when the job is no longer at `status` (the
    step already ran, or failed) or another runner holds it.

    PostgreSQL: a transaction-scoped advisory lock on the job, held until the step commits or rolls
    back, and let go by the server when the runner's connection dies with its process. SQLite (one
    machine): the saving step takes the database's writer lock first, so a second runner waits and
    then finds the step done.
    """
    db.session.rollback()  # a fresh transaction: the claim is its first statement
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        if not conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:lock, :job)"), {"lock": STEP_LOCK, "job": job_id}
        ).scalar():
            log.info("import %s: %s is being run by another worker", job_id, status)
            return None
    elif status == "committing":
        conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(id=ImportJob.id))
    job = db.session.execute(
        select(ImportJob).where(ImportJob.id == job_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if job is None or job.status != status:
        log.info(
            "import %s: not %s any more (%s), nothing to do", job_id, status, job.status if job else "gone"
        )
        db.session.rollback()
        return None
    return job


def run_analysis(job_id: int, user_id: int, today: date | None = None) -> None:
    """Validate the file and store the preview; the database keeps no lead change."""
    job = claim_step(job_id, "validating")
    if job is None:
        return
    user = db.session.get(User, user_id)
    try:
        with local_copy(job):
            analysis = analyse(
                job, user, today=today or today_for(user), progress=lambda n: _set_progress(job_id, n)
            )
    except FileRefused as exc:
        db.session.rollback()
        _fail(job_id, exc.code)
        return
    except Exception:
        log.exception("import %s: analysis failed", job_id)
        db.session.rollback()
        _fail(job_id, "crash")
        return
    db.session.refresh(job)
    save_file(
        OWNER,
        job_id,
        "preview",
        "preview.json",
        json.dumps(
            {
                "errors": analysis.errors,
                "duplicates": analysis.duplicate_rows,
                "new": analysis.new,
                "duplicate_count": analysis.duplicates,
                "rejected": analysis.rejected,
            },
            ensure_ascii=False,
        ).encode(),
        "application/json",
    )
    job.total_rows, job.processed_rows = analysis.total, analysis.total
    job.ok_rows, job.error_rows, job.updated_rows = analysis.new, analysis.rejected, analysis.duplicates
    job.status = "validated"
    db.session.commit()


def run_commit(job_id: int, user_id: int, today: date | None = None) -> None:
    """Commit the import in one transaction; on any failure nothing is kept and the job says failed."""
    job = claim_step(job_id, "committing")
    if job is None:
        return
    user = db.session.get(User, user_id)
    progress = (lambda n: _set_progress(job_id, n)) if db.engine.dialect.name == "postgresql" else None
    try:
        with local_copy(job) as path:
            commit_import(job, user, today=today or today_for(user), progress=progress)
            result = Path(job.result_path)
            save_file(OWNER, job_id, "result", result.name, result.read_bytes(), "text/csv")
            job.result_path = path.with_suffix(".result.csv").name
        # Personal data is kept no longer than needed: only the rejected rows stay, for download.
        delete_files(OWNER, job_id, "upload", "preview")
        db.session.commit()
    except Exception as exc:
        log.exception("import %s: commit failed, rolled back", job_id)
        _rollback_quietly()
        code = "connection_lost" if database_unavailable(exc) else getattr(exc, "code", "crash")
        _fail(job_id, code)


def _rollback_quietly() -> None:
    """Roll back; on a dead connection the first rollback may fail, the second ends the transaction."""
    for _attempt in range(2):
        try:
            db.session.rollback()
            return
        except Exception:  # noqa: BLE001, S112 - the connection is gone; the pool replaces it
            continue


def _fail(job_id: int, code: str, attempts: int = 3) -> None:
    """Mark the job failed at once. A lost connection is retried on a fresh one (the pool pings it);
    if the database stays away, the `interrupted_imports` job marks it later."""
    for attempt in range(attempts):
        try:
            db.session.execute(select(ImportJob.id).where(ImportJob.id == job_id))  # reconnects if needed
            job = db.session.get(ImportJob, job_id)
            if job is None or job.status not in RUNNING:  # another runner finished the step
                db.session.rollback()
                return
            job.status = "failed"
            decisions = dict(job.decisions or {})
            decisions["failure"] = code
            job.decisions = decisions
            db.session.commit()
            return
        except Exception as exc:
            if not database_unavailable(exc) or attempt == attempts - 1:
                log.exception("import %s: could not be marked failed", job_id)
                _rollback_quietly()
                return
            _rollback_quietly()
            time.sleep(RETRY_PAUSE_SECONDS * (attempt + 1))


def _step_task(status: str):
    from app import tasks

    return {"validating": tasks.import_analysis, "committing": tasks.import_commit}[status]


def start(func, job_id: int, user_id: int) -> None:
    """Queue an import step (run_analysis or run_commit) on the task queue, after the caller's commit."""
    task = _step_task({run_analysis: "validating", run_commit: "committing"}[func])
    # The result file is written in the language of the user who started the step.
    task(job_id, user_id, locale=str(get_locale() or "") or None)


def begin_step(job: ImportJob, status: str, now: datetime | None = None, user_id: int | None = None) -> None:
    """Move the job to a running step (checking rows or saving them) and note when it began, who
    started it, in which language and request (what a resumed step runs with)."""
    job.status = status
    job.processed_rows = 0
    decisions = dict(job.decisions or {})
    decisions["step_started_at"] = (now or utcnow()).isoformat()
    decisions["step"] = {
        "user_id": user_id or job.user_id,
        "locale": (str(get_locale() or "") or None) if has_request_context() else None,
        "request_id": current_request_id(),
    }
    decisions.pop("failure", None)
    job.decisions = decisions


def _step_began(job: ImportJob) -> datetime:
    started = (job.decisions or {}).get("step_started_at")
    return datetime.fromisoformat(started) if started else job.created_at


def _step_held(job_id: int) -> bool | None:
    """True when a runner holds the job's step, False when nobody does; None where that cannot be
    told (SQLite). Probes with a session lock released at once, so a runner is never kept out."""
    with db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return None
        free = conn.execute(
            text("SELECT pg_try_advisory_lock(:lock, :job)"), {"lock": STEP_LOCK, "job": job_id}
        ).scalar()
        if free:
            conn.execute(text("SELECT pg_advisory_unlock(:lock, :job)"), {"lock": STEP_LOCK, "job": job_id})
        conn.commit()
    return not free


def _queued_steps() -> set[tuple[str, int]]:
    """(task name, job id) of the import steps waiting in the queue."""
    from app.tasks import huey

    try:
        return {(task.name, task.args[0]) for task in huey.pending() if task.args and "imports." in task.name}
    except Exception:  # noqa: BLE001 - an unreadable queue: a step queued twice still runs once
        log.warning("could not read the task queue", exc_info=True)
        return set()


def resume_step(job: ImportJob) -> None:
    """Queue the job's current step again, for the user, language and request that started it."""
    step = (job.decisions or {}).get("step") or {}
    _step_task(job.status)(
        job.id,
        step.get("user_id") or job.user_id,
        locale=step.get("locale"),
        request_id=step.get("request_id"),
    )


def resume_interrupted_steps(now: datetime | None = None, starting: bool = False) -> int:
    """Queue again the running steps that nobody runs and that are not waiting in the queue.

    `starting`: a worker is starting, so on SQLite (one machine, one worker) nothing runs a step;
    on PostgreSQL the advisory lock tells, whenever this is called. Returns how many were queued.
    """
    now = now or utcnow()
    candidates = [
        (job.id, job.status)
        for job in db.session.execute(select(ImportJob).where(ImportJob.status.in_(RUNNING))).scalars()
        if now - _step_began(job) < STALE_AFTER and (starting or now - _step_began(job) >= RESUME_AFTER)
    ]
    db.session.commit()  # no read transaction stays open while the steps run
    if not candidates:
        return 0
    queued = _queued_steps()
    resumed = 0
    for job_id, status in candidates:
        held = _step_held(job_id)
        if held or (held is None and not starting):
            continue
        if (getattr(_step_task(status), "name", None), job_id) in queued:
            continue
        job = db.session.get(ImportJob, job_id)
        if job is None or job.status != status:
            continue
        log.warning("import %s: %s was cut off, queued again", job_id, status)
        resume_step(job)
        db.session.commit()
        resumed += 1
    return resumed


@periodic("interrupted_imports")
def fail_interrupted_imports(now: datetime) -> dict:
    """Run again, or fail, import steps whose worker went away.

    An import step runs as a task in a worker; if that worker goes away, the step's single
    transaction is rolled back, so no lead was saved, but the job would show "saving…" for ever.
    A step nobody holds is queued again (PostgreSQL; on SQLite the worker does it when it starts);
    one still cut off after STALE_AFTER fails with a message and may be started again.
    """
    interrupted = 0
    for job in db.session.execute(select(ImportJob).where(ImportJob.status.in_(RUNNING))).scalars():
        if now - _step_began(job) >= STALE_AFTER and not _step_held(job.id):
            job.status = "failed"
            job.decisions = {**(job.decisions or {}), "failure": "interrupted"}
            interrupted += 1
    db.session.commit()
    return {"interrupted": interrupted, "resumed": resume_interrupted_steps(now)}
