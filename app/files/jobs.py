"""Periodic work on generated files: reports and exports whose worker went away."""

from datetime import datetime

from app.files.generated import resume_interrupted
from app.jobs import periodic


@periodic("interrupted_files")
def resume_interrupted_files(now: datetime) -> dict:
    """Queue again the generated files nobody is making any more (PostgreSQL tells by the row's
    lock; on SQLite a worker does it when it starts); fail those cut off for longer than an hour."""
    return resume_interrupted(now)
