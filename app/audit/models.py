"""The audit log: who did what to which object, when (UTC)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))
    # Hash chain (app.audit.chain): each row's hash covers its fields and the previous row's hash.
    prev_hash: Mapped[str] = mapped_column(String(64), server_default="", default="")
    hash: Mapped[str] = mapped_column(String(64), server_default="", default="")

    __table_args__ = (
        Index("ix_audit_log_created", "created_at"),
        Index("ix_audit_log_action", "action", "created_at"),
        Index("ix_audit_log_object", "object_type", "object_id"),
    )
