"""The monthly PDF as background work: requested on a page, rendered by a task into the database.

A request creates a `GeneratedFile` (queued) and queues `render_monthly_report`; the task makes it
through the shared lifecycle of generated files (app/files/generated.py: claim, progress on a
connection of its own, the PDF stored in `stored_files`, a notification, a resume after a worker
was cut off). A web restart loses nothing, and any app server can serve the download.
"""

from datetime import date

from flask_babel import lazy_gettext as _l

from app.accounts.models import Role, User
from app.extensions import db
from app.files import generated as jobs
from app.files.models import GeneratedFile

KIND = "monthly_report"


def report_store_for(user, requested_store_id: int | None) -> int | None:
    """The store a user's monthly report covers: any (or the group) for directors, else their own."""
    if user.role == Role.DIRECTOR:
        return requested_store_id or None
    return user.store_id


def may_download(user, generated: GeneratedFile) -> bool:
    """Only the person who asked, still allowed to make the report for that store (and only a
    monthly report: other generated files have pages, and rules, of their own)."""
    if generated.kind != KIND or generated.user_id != user.id:
        return False
    if user.role not in {Role.MANAGER, Role.DIRECTOR, Role.MARKETING}:
        return False
    return user.role == Role.DIRECTOR or generated.store_id == user.store_id


def request_monthly_report(user, month: date, store_id: int | None) -> GeneratedFile:
    """Create the queued job (the caller commits, then calls `enqueue`)."""
    return jobs.create(user, KIND, month, store_id)


def enqueue(generated: GeneratedFile, locale: str | None = None) -> None:
    jobs.enqueue(generated, locale=locale)


def filename(generated: GeneratedFile) -> str:
    suffix = f"-{generated.store_id}" if generated.store_id else ""
    return f"monthly-{generated.month.strftime('%Y-%m')}{suffix}.pdf"


def render_generated(generated_id: int) -> str:
    """Render a queued monthly report into the database; return the outcome (done, failed, skipped)."""
    return jobs.run(generated_id, _render, _ready)


def _render(generated: GeneratedFile, progress) -> jobs.Output:
    from app.reports.pdf import monthly_report_pdf

    user = db.session.get(User, generated.user_id)
    if user is None or not user.active or not may_download(user, generated):
        raise PermissionError("not allowed")

    def pdf_progress(percent: int) -> None:
        progress(percent, "rendering" if percent >= 75 else "collecting")

    pdf = monthly_report_pdf(user, generated.month, generated.store_id, pdf_progress)
    return jobs.Output(filename(generated), pdf, "application/pdf")


def _ready(generated: GeneratedFile) -> None:
    from app.messaging.notify import notify

    notify(
        db.session.get(User, generated.user_id),
        "report_ready",
        "reports.generated_file",
        {"generated_id": generated.id},
        _l("Monthly report %(month)s is ready", month=generated.month.strftime("%Y-%m")),
        body=_l("Open the link to download the PDF."),
    )
