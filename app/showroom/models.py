"""Showroom reception: every walk-in registered by the clerk."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.mixins import TimestampMixin
from app.extensions import db


class ShowroomVisit(TimestampMixin, db.Model):
    __tablename__ = "showroom_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    source_channel_id: Mapped[int | None] = mapped_column(ForeignKey("source_channels.id"))
    arrived_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    party_size: Mapped[int] = mapped_column(default=1)
    is_first_visit: Mapped[bool] = mapped_column(default=True)
    left_contact: Mapped[bool] = mapped_column(default=False)  # 留档
    test_drive: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_showroom_visits_store_arrived", "store_id", "arrived_at"),
        # the group's arrival list, newest first, a page at a time (reports/arrivals)
        Index("ix_showroom_visits_arrived", "arrived_at", "id"),
    )
