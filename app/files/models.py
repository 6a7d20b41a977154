"""Files kept in the database, so that every app server and worker reads the same bytes.

`stored_files` holds uploads (lead imports, their previews and result files) and generated
reports; `generated_files` is a report being produced in the background, with its progress.
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.mixins import TimestampMixin
from app.extensions import db


class StoredFile(TimestampMixin, db.Model):
    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(32))  # import_job | generated_file
    owner_id: Mapped[int]
    role: Mapped[str] = mapped_column(String(16))  # upload | preview | result | report
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)

    __table_args__ = (Index("ix_stored_files_owner", "owner_type", "owner_id", "role"),)


class GeneratedFile(TimestampMixin, db.Model):
    """A report produced by a background task: queued → running (progress) → done | failed."""

    __tablename__ = "generated_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))  # monthly_report
    month: Mapped[date]
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(default=0)  # percent
    step: Mapped[str | None] = mapped_column(String(32))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    error: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_generated_files_user", "user_id", "id"),)
