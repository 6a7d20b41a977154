"""The task queue: one Huey instance for background work and the periodic jobs.

Storage is chosen by configuration when the app is created (`init_app`):
- `HUEY_URL` or `REDIS_URL` set → Redis: web servers and consumers on several hosts share the queue;
- otherwise SQLite at `instance/huey.db`: one machine, no extra server (`make run` starts a consumer);
- `HUEY_IMMEDIATE` (and every test app) → tasks run at once in the caller, in their own app context.

`flask worker` runs the consumer with the periodic scheduler. Each task runs in a Flask app
context of its own (with its own database session); the app is created once per consumer process.
`flask jobs run` calls the same job functions for sites that prefer cron.

A task queued while a request is served carries that request's id (a `request_id` keyword added
when it is enqueued); the worker runs it, and writes every log line about it, under that id. Tasks
queued elsewhere (the scheduler, a command) get an id of their own when they run.
"""

import functools
import logging
import os
import socket
import threading
from datetime import datetime

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import RedisStorage, SqliteStorage

from app.web.logging_setup import current_request_id, request_id_scope

log = logging.getLogger(__name__)
REQUEST_ID = "request_id"  # the task keyword that carries the id of the request that queued it


class LeadLoopHuey(Huey):
    """Huey that hands the current request id to the tasks it queues and runs them under it."""

    def enqueue(self, task):
        kwargs = getattr(task, "kwargs", None)
        if isinstance(kwargs, dict) and not kwargs.get(REQUEST_ID):
            rid = current_request_id()
            if rid:
                task.kwargs = {**kwargs, REQUEST_ID: rid}
        return super().enqueue(task)

    def execute(self, task, timestamp=None):
        # Huey's own lines ("Executing …", "… executed in", a traceback) are written under the id too.
        kwargs = getattr(task, "kwargs", None) or {}
        with request_id_scope(kwargs.get(REQUEST_ID) or current_request_id()):
            return super().execute(task, timestamp)


huey = LeadLoopHuey("leadloop", results=False, utc=True, immediate=True)
_app: Flask | None = None


def worker_id() -> str:
    """Who claims a row: host, process and thread (two workers never share one)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def init_app(app: Flask) -> None:
    """Point the queue at the configured storage and remember the app tasks run in."""
    global _app
    _app = app
    app.extensions["huey"] = huey  # readiness and metrics read its backlog
    url = app.config.get("HUEY_URL") or app.config.get("REDIS_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
    else:
        folder = app.config.get("INSTANCE_DIR") or app.instance_path
        os.makedirs(folder, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": os.path.join(folder, "huey.db")}
    use_storage(immediate=bool(app.config.get("HUEY_IMMEDIATE") or app.testing))


def use_storage(immediate: bool, storage=None) -> None:
    """Switch between running tasks at once and queueing them (on `storage`, or the configured one)."""
    huey._immediate = immediate
    huey.storage = storage if storage is not None else huey.create_storage()


def _task_app() -> Flask:
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def in_app_context(func):
    """Run a task in a fresh app context (own session), with the caller's language and request id
    when given (`locale=`, `request_id=` keywords, taken off before the task body is called)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from flask_babel import force_locale

        from app.extensions import db

        app = _task_app()
        locale = kwargs.pop("locale", None) or app.config.get("BABEL_DEFAULT_LOCALE", "zh")
        request_id = kwargs.pop(REQUEST_ID, None) or current_request_id()
        with request_id_scope(request_id), app.app_context(), force_locale(locale):
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper


# --- outbox ----------------------------------------------------------------------------------


@huey.task(name="outbox.deliver")
@in_app_context
def deliver_message(message_id: int) -> str:
    """Hand one outbox message to its provider (claimed first, so it is sent once)."""
    from app.messaging.outbox import deliver_one

    outcome, retry_at = deliver_one(message_id, worker=worker_id())
    if retry_at is not None:
        deliver_message.schedule(args=(message_id,), eta=retry_at)
    return outcome


def enqueue_delivery(message_ids) -> None:
    """Queue delivery of outbox rows that were just committed."""
    for message_id in message_ids:
        try:
            deliver_message(message_id)
        except Exception:  # the periodic sweep delivers it if the queue is unreachable
            log.exception("could not queue delivery of message %s", message_id)


# --- lead imports ----------------------------------------------------------------------------


@huey.task(name="imports.analyse")
@in_app_context
def import_analysis(job_id: int, user_id: int) -> None:
    from app.leads.importing.jobs import run_analysis

    run_analysis(job_id, user_id)


@huey.task(name="imports.commit")
@in_app_context
def import_commit(job_id: int, user_id: int) -> None:
    from app.leads.importing.jobs import run_commit

    run_commit(job_id, user_id)


# --- generated files (app/files/generated.py: one lifecycle, a task per kind) ------------------


@huey.task(name="reports.monthly_pdf")
@in_app_context
def render_monthly_report(generated_id: int) -> None:
    from app.reports.generate import render_generated

    render_generated(generated_id)


@huey.task(name="leads.export_xlsx")
@in_app_context
def write_lead_export(generated_id: int) -> None:
    from app.leads.exports import generate_export

    generate_export(generated_id)


# GeneratedFile.kind → the task that makes it (queued again by kind when a worker was cut off).
GENERATED_FILE_TASKS = {"monthly_report": render_monthly_report, "lead_export": write_lead_export}


# --- periodic jobs (the `@periodic` registry of app/jobs.py) ------------------------------------


def local_crontab(minute="0", hour="*", day="*"):
    """A crontab read in the business time zone (LEADLOOP_TIMEZONE) instead of UTC."""
    schedule = crontab(minute=minute, hour=hour, day=day)

    def validate(dt: datetime) -> bool:
        from app.core.timeutil import to_local

        return schedule(to_local(dt).replace(tzinfo=None))

    return validate


# Outbox: every minute is only the sweep (retries that came due, messages queued while no worker
# ran); each message is queued for delivery the moment it is committed.
SCHEDULES = {
    "outbox": crontab(minute="*"),
    "interrupted_imports": crontab(minute="*"),  # steps of a worker that died are queued again
    "interrupted_files": crontab(minute="*"),  # so are the reports and exports it was making
    "first_contact_breaches": crontab(minute="*/5"),
    "overdue_plans": crontab(minute="*/5"),
    "reminders": crontab(minute="*/5"),
    "dcc_queue": crontab(minute="*/5"),
    "event_reminders": crontab(minute="*/5"),
    "event_followups": crontab(minute="*/15"),
    "reports.surveys": crontab(minute="10"),
    "reclaim_notice": local_crontab(minute="0", hour="8"),
    "daily_digest": local_crontab(minute="30", hour="7"),
    "reports.monthly_email": local_crontab(minute="0", hour="8", day="1"),
}
DEFAULT_SCHEDULE = crontab(minute="*/5")
PERIODIC_TASKS: dict = {}


def _periodic_job(name: str):
    def run() -> dict:
        from app.core.timeutil import utcnow
        from app.jobs import run_all

        return run_all(utcnow(), only=name).get(name, {})

    run.__name__ = f"periodic_{name.replace('.', '_')}"
    return huey.periodic_task(SCHEDULES.get(name, DEFAULT_SCHEDULE), name=f"jobs.{name}")(in_app_context(run))


def register_periodic_tasks() -> list[str]:
    """Turn every `@periodic` job into a Huey periodic task (once); return the job names."""
    from app.jobs import registered_jobs

    for name, _func in registered_jobs():
        if name not in PERIODIC_TASKS:
            PERIODIC_TASKS[name] = _periodic_job(name)
    return sorted(PERIODIC_TASKS)


def resume_interrupted_work() -> int:
    """Queue again the import steps and generated files (reports, exports) a stopped worker left
    cut off (called when a worker starts); return how many were queued."""
    from app.files import generated
    from app.leads.importing import jobs

    resumed = 0
    try:
        resumed += jobs.resume_interrupted_steps(starting=True)
    except Exception:  # the periodic job tries again; a worker must start anyway
        log.exception("could not queue interrupted import steps again")
    try:
        resumed += generated.resume_interrupted(starting=True)["resumed"]
    except Exception:
        log.exception("could not queue interrupted generated files again")
    return resumed


def run_consumer(workers: int, periodic: bool = True):
    """Start a consumer (the `flask worker` command); blocks until stopped by a signal."""
    if huey.immediate:
        use_storage(immediate=False)
    register_periodic_tasks()
    resume_interrupted_work()
    consumer = huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        check_worker_health=True,
        initial_delay=0.1,
        max_delay=1.0,
    )
    consumer.run()
