"""The outbox: every SMS and email goes through here, with delivery status and retries."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.mixins import TimestampMixin, str_enum
from app.extensions import db


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by one worker, being handed to the provider
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    DEAD = "dead"  # the provider refused it MAX_ATTEMPTS times; an administrator may retry it
    RECEIVED = "received"  # a customer's SMS reply (app.messaging.replies), never sent


class Message(TimestampMixin, db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms | email | wecom (a store's group robot)
    purpose: Mapped[str] = mapped_column(String(16), default="transactional")  # or marketing
    to_address: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    attachment_path: Mapped[str | None] = mapped_column(String(500))
    attachment_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    sender_name: Mapped[str | None] = mapped_column(String(100))  # e-mail From name (the store's)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus, 16), default=MessageStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)

    __table_args__ = (Index("ix_messages_status_next", "status", "next_attempt_at"),)
