"""Periodic work: a registry of idempotent job functions.

Each domain registers its jobs with `@periodic("name")`. The task queue schedules each one as a
Huey periodic task (app/tasks.py, `flask worker`); `flask jobs run` runs them all in order, each
in its own transaction, for sites that prefer cron.
"""

import importlib
import logging
from collections.abc import Callable
from datetime import datetime

log = logging.getLogger(__name__)

JOB_MODULES = (
    "app.accounts.jobs",
    "app.followups.jobs",
    "app.invitations.jobs",
    "app.reports.jobs",
    "app.leads.importing.jobs",
    "app.files.jobs",
    "app.messaging.jobs",  # outbox delivery last, so messages queued above go out now
)
_REGISTRY: list[tuple[str, Callable[[datetime], dict]]] = []


def periodic(name: str):
    """Register a job function taking `now` (naive UTC) and returning a summary dict."""

    def decorator(func):
        if name not in [n for n, _ in _REGISTRY]:
            _REGISTRY.append((name, func))
        return func

    return decorator


def registered_jobs() -> list[tuple[str, Callable]]:
    for module in JOB_MODULES:
        importlib.import_module(module)
    return list(_REGISTRY)


def run_all(now: datetime, only: str | None = None) -> dict[str, dict]:
    """Run every registered job (or one), committing after each; return their summaries."""
    from app.extensions import db

    results = {}
    for name, func in registered_jobs():
        if only and name != only:
            continue
        try:
            results[name] = func(now) or {}
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            results[name] = {"error": True}
    return results
