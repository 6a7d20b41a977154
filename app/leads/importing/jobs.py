"""Import jobs: store the upload, run the analysis and the commit (in a thread, or inline in tests)."""

import json
import logging
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy import select, update

from app.accounts.models import User
from app.core.timeutil import today_for, utcnow
from app.extensions import db
from app.jobs import periodic
from app.leads.importing.commit import analyse, commit_import
from app.leads.importing.mapping import recognise
from app.leads.importing.parse import FileRefused, read_table, sniff_kind
from app.leads.models import ImportJob
from app.web.errors import database_unavailable

log = logging.getLogger(__name__)
PROGRESS_EVERY = 2000
RUNNING = ("validating", "committing")
# The longest a step may run before it is taken for cut off: the largest file is checked and saved
# in about a minute.
STALE_AFTER = timedelta(minutes=30)
RETRY_PAUSE_SECONDS = 1.0


def upload_dir() -> Path:
    """Return the private folder for uploads (under the instance dir, never served)."""
    path = Path(current_app.config["INSTANCE_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


ALLOWED_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx"}


def save_upload(stream, filename: str, user, store_id: int) -> ImportJob:
    """Store the uploaded file, check its name and its content agree and read its header; raise FileRefused."""
    suffix = Path(filename or "").suffix.lower()
    if suffix in {".xlsm", ".xltm", ".xlam"}:
        raise FileRefused("macro")
    if suffix not in ALLOWED_SUFFIXES:
        raise FileRefused("unknown_type")
    tmp = upload_dir() / f"{uuid.uuid4().hex}.upload"
    stream.save(str(tmp))
    try:
        kind = sniff_kind(tmp)
        if kind != ALLOWED_SUFFIXES[suffix]:
            raise FileRefused("unknown_type")
        stored = tmp.with_suffix(f".{kind}")
        tmp.rename(stored)
        header, _rows = read_table(stored, kind)
    except FileRefused:
        for path in (tmp, tmp.with_suffix(".xlsx"), tmp.with_suffix(".csv")):
            path.unlink(missing_ok=True)
        raise
    except Exception as exc:  # a corrupt workbook openpyxl cannot read
        log.warning("unreadable upload %s: %s", filename, exc)
        for path in (tmp, tmp.with_suffix(".xlsx"), tmp.with_suffix(".csv")):
            path.unlink(missing_ok=True)
        raise FileRefused("unreadable") from exc
    mapping = recognise(header)
    job = ImportJob(user_id=user.id, store_id=store_id, filename=(filename or "upload")[:255],
                    stored_path=str(stored), status="uploaded", mapping={str(k): v for k, v in mapping.items()},
                    decisions={"default": "skip", "rows": {}, "header": [str(h or "") for h in header]})
    db.session.add(job)
    db.session.flush()
    return job


def preview_path(job: ImportJob) -> Path:
    return Path(job.stored_path).with_suffix(".preview.json")


def load_preview(job: ImportJob) -> dict:
    path = preview_path(job)
    return json.loads(path.read_text()) if path.exists() else {}


def _set_progress(job_id: int, processed: int) -> None:
    """Write progress outside the import's own transaction so pollers see it."""
    with db.engine.begin() as conn:
        conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(processed_rows=processed))


def run_analysis(job_id: int, user_id: int, today: date | None = None) -> None:
    """Validate the file and store the preview; the database keeps no lead change."""
    job = db.session.get(ImportJob, job_id)
    user = db.session.get(User, user_id)
    try:
        analysis = analyse(job, user, today=today or today_for(user), progress=lambda n: _set_progress(job_id, n))
    except FileRefused as exc:
        db.session.rollback()
        _fail(job_id, exc.code)
        return
    except Exception:
        log.exception("import %s: analysis failed", job_id)
        db.session.rollback()
        _fail(job_id, "crash")
        return
    preview_path(job).write_text(json.dumps({"errors": analysis.errors, "duplicates": analysis.duplicate_rows,
                                             "new": analysis.new, "duplicate_count": analysis.duplicates,
                                             "rejected": analysis.rejected}, ensure_ascii=False))
    db.session.refresh(job)
    job.total_rows, job.processed_rows = analysis.total, analysis.total
    job.ok_rows, job.error_rows, job.updated_rows = analysis.new, analysis.rejected, analysis.duplicates
    job.status = "validated"
    db.session.commit()


def run_commit(job_id: int, user_id: int, today: date | None = None) -> None:
    """Commit the import in one transaction; on any failure nothing is kept and the job says failed."""
    job = db.session.get(ImportJob, job_id)
    user = db.session.get(User, user_id)
    progress = (lambda n: _set_progress(job_id, n)) if db.engine.dialect.name == "postgresql" else None
    stored_path = Path(job.stored_path)  # read now: after a lost connection the row cannot be reloaded
    try:
        commit_import(job, user, today=today or today_for(user), progress=progress)
        db.session.commit()
        # Personal data is kept no longer than needed: only the rejected rows stay, for download.
        stored_path.unlink(missing_ok=True)
        stored_path.with_suffix(".preview.json").unlink(missing_ok=True)
    except Exception as exc:
        log.exception("import %s: commit failed, rolled back", job_id)
        _rollback_quietly()
        stored_path.with_suffix(".result.csv").unlink(missing_ok=True)
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


def start(func, job_id: int, user_id: int) -> None:
    """Run an import step inline (tests, IMPORT_INLINE) or in a background thread."""
    app = current_app._get_current_object()
    if app.config.get("IMPORT_INLINE", app.testing):
        func(job_id, user_id)
        return
    locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])

    def target():
        # No request here: the result file is written in the language of the user who started it.
        with app.app_context(), force_locale(locale):
            try:
                func(job_id, user_id)
            finally:
                db.session.remove()

    threading.Thread(target=target, name=f"import-{job_id}", daemon=True).start()


def begin_step(job: ImportJob, status: str, now: datetime | None = None) -> None:
    """Move the job to a running step (checking rows or saving them) and note when it began."""
    job.status = status
    job.processed_rows = 0
    decisions = dict(job.decisions or {})
    decisions["step_started_at"] = (now or utcnow()).isoformat()
    decisions.pop("failure", None)
    job.decisions = decisions


@periodic("interrupted_imports")
def fail_interrupted_imports(now: datetime) -> dict:
    """Say "failed, nothing saved" for imports whose step was cut off by a restarted web process.

    An import runs in a thread of the web process; if that process goes away, the step's single
    transaction is rolled back, so no lead was saved, but the job would show "saving…" for ever.
    After STALE_AFTER it fails with a message and may be started again.
    """
    interrupted = 0
    for job in db.session.execute(select(ImportJob).where(ImportJob.status.in_(RUNNING))).scalars():
        started = (job.decisions or {}).get("step_started_at")
        began = datetime.fromisoformat(started) if started else job.created_at
        if now - began >= STALE_AFTER:
            job.status = "failed"
            job.decisions = {**(job.decisions or {}), "failure": "interrupted"}
            interrupted += 1
    return {"interrupted": interrupted}
