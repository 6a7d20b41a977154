"""Periodic report work: last month's PDF to the directors on the 1st; satisfaction surveys."""

from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Role, User
from app.core.timeutil import today_for
from app.extensions import db
from app.followups.models import JobRun
from app.jobs import periodic
from app.messaging.outbox import queue_email
from app.reports.rules import add_months


def _claim(job: str, period: str, now: datetime) -> bool:
    """Record that `job` ran for `period`; False when it already did (idempotent)."""
    if db.session.execute(select(JobRun.id).where(JobRun.job == job, JobRun.period == period)).first():
        return False
    db.session.add(JobRun(job=job, period=period, ran_at=now))
    db.session.flush()
    return True


@periodic("reports.monthly_email")
def email_monthly_report(now: datetime) -> dict:
    """On the first day of a month, e-mail last month's group report to every active director."""
    today = today_for(None, now)  # the group's report: the configured zone
    if today.day != 1:
        return {"skipped": "not the first of the month"}
    month = add_months(today, -1)
    if not _claim("reports.monthly_email", month.strftime("%Y-%m"), now):
        return {"skipped": "already sent"}
    directors = (
        db.session.execute(
            select(User).where(User.role == Role.DIRECTOR, User.active.is_(True), User.email.is_not(None))
        )
        .scalars()
        .all()
    )
    if not directors:
        return {"sent": 0}
    from app.files.services import save_file
    from app.reports.pdf import GroupViewer, monthly_report_pdf

    pdf = monthly_report_pdf(GroupViewer(), month, None)
    label = month.strftime("%Y-%m")
    # Kept in the database: the worker that sends the e-mail may run on another machine.
    stored = save_file(
        "monthly_email",
        month.year * 100 + month.month,
        "report",
        f"monthly-{label}.pdf",
        pdf,
        "application/pdf",
    )
    for director in directors:
        queue_email(
            director.email,
            f"月度经营报告 {label}",
            f"{director.display_name}，您好：\n\n附件是 {label} 的集团月度经营报告。\n\nLeadLoop",
            user_id=director.id,
            attachment_file_id=stored.id,
            idempotency_key=f"monthly-report-{label}-{director.id}",
            now=now,
        )
    return {"sent": len(directors), "month": label}


@periodic("reports.surveys")
def send_surveys(now: datetime) -> dict:
    """Send satisfaction survey links for visits and events that ended in the last two days."""
    from app.reports.survey import send_due_surveys

    return send_due_surveys(now, now - timedelta(days=2))
