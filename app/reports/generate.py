"""The monthly PDF as background work: requested on a page, rendered by a task into the database.

A request creates a `GeneratedFile` (queued) and queues `render_monthly_report`; the task claims it
(queued → running), writes its progress on its own connection so the page's poll sees it, stores
the PDF in `stored_files` and notifies the user. A web restart loses nothing: the row and the
file are in the database, and any app server can serve the download.
"""

import logging
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app.accounts.models import Role, User
from app.core.timeutil import utcnow
from app.extensions import db
from app.files.models import GeneratedFile
from app.files.services import save_file

log = logging.getLogger(__name__)
KIND = "monthly_report"
RUNNING = ("queued", "running")


def report_store_for(user, requested_store_id: int | None) -> int | None:
    """The store a user's monthly report covers: any (or the group) for directors, else their own."""
    if user.role == Role.DIRECTOR:
        return requested_store_id or None
    return user.store_id


def may_download(user, generated: GeneratedFile) -> bool:
    """Only the person who asked, still allowed to make the report for that store."""
    if generated.user_id != user.id or user.role not in {Role.MANAGER, Role.DIRECTOR, Role.MARKETING}:
        return False
    return user.role == Role.DIRECTOR or generated.store_id == user.store_id


def request_monthly_report(user, month: date, store_id: int | None) -> GeneratedFile:
    """Create the queued job (the caller commits, then calls `enqueue`)."""
    generated = GeneratedFile(
        user_id=user.id, kind=KIND, month=month, store_id=store_id, status="queued", progress=0, step="queued"
    )
    db.session.add(generated)
    db.session.flush()
    return generated


def enqueue(generated: GeneratedFile, locale: str | None = None) -> None:
    from app.tasks import render_monthly_report

    render_monthly_report(generated.id, locale=locale)


def _set(generated_id: int, **values) -> None:
    """Write status/progress on a connection of its own, so pollers see it before the task ends."""
    with db.engine.begin() as conn:
        conn.execute(update(GeneratedFile).where(GeneratedFile.id == generated_id).values(**values))


def _claim(generated_id: int) -> bool:
    result = db.session.execute(
        update(GeneratedFile)
        .where(GeneratedFile.id == generated_id, GeneratedFile.status == "queued")
        .values(status="running", step="collecting", progress=5)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def filename(generated: GeneratedFile) -> str:
    suffix = f"-{generated.store_id}" if generated.store_id else ""
    return f"monthly-{generated.month.strftime('%Y-%m')}{suffix}.pdf"


def render_generated(generated_id: int) -> str:
    """Render a queued monthly report into the database; return the outcome (done, failed, skipped)."""
    from app.messaging.notify import notify
    from app.reports.pdf import monthly_report_pdf

    if not _claim(generated_id):
        return "skipped"
    generated = db.session.get(GeneratedFile, generated_id)
    user = db.session.get(User, generated.user_id)
    try:
        if user is None or not user.active or not may_download(user, generated):
            raise PermissionError("not allowed")

        def progress(percent: int) -> None:
            _set(generated_id, progress=min(percent, 95), step="rendering" if percent >= 75 else "collecting")

        pdf = monthly_report_pdf(user, generated.month, generated.store_id, progress)
        _set(generated_id, progress=95, step="saving")
        stored = save_file(
            "generated_file", generated.id, "report", filename(generated), pdf, "application/pdf"
        )
        generated.file_id = stored.id
        generated.status, generated.progress, generated.step = "done", 100, "done"
        generated.finished_at = utcnow()
        notify(
            user,
            "report_ready",
            "reports.generated_file",
            {"generated_id": generated.id},
            _l("Monthly report %(month)s is ready", month=generated.month.strftime("%Y-%m")),
            body=_l("Open the link to download the PDF."),
        )
        db.session.commit()
        return "done"
    except Exception as exc:
        log.exception("monthly report %s failed", generated_id)
        db.session.rollback()
        generated = db.session.get(GeneratedFile, generated_id)
        generated.status, generated.step = "failed", "failed"
        generated.error = str(exc)[:500] or exc.__class__.__name__
        generated.finished_at = utcnow()
        db.session.commit()
        return "failed"
