"""Configurable reference data: channels, grades, stages, reasons, vehicles, settings."""

import enum

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.mixins import str_enum
from app.extensions import db


class ChannelCategory(enum.StrEnum):
    OFFLINE = "offline"
    ONLINE = "online"


class StageKind(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class NamedMixin:
    """Reference rows carry a stable code and a name per UI language."""

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def label(self, locale: str | None = "zh_CN") -> str:
        return self.name_en if locale and locale.startswith("en") else self.name_zh


class SourceChannel(NamedMixin, db.Model):
    __tablename__ = "source_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[ChannelCategory] = mapped_column(
        str_enum(ChannelCategory, 16), default=ChannelCategory.OFFLINE
    )


class IntentGrade(NamedMixin, db.Model):
    """H/A/B/C with their follow-up cadence in days (configurable by admin)."""

    __tablename__ = "intent_grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_within_days: Mapped[int | None]
    cadence_days: Mapped[int] = mapped_column(default=7)


class PipelineStage(NamedMixin, db.Model):
    """Kanban columns, ordered; kind says whether a stage is open, won or lost."""

    __tablename__ = "pipeline_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[StageKind] = mapped_column(str_enum(StageKind, 16), default=StageKind.OPEN)
    # Probability (0-100) used for weighted pipeline value.
    probability: Mapped[int] = mapped_column(default=0)


class DefeatReason(NamedMixin, db.Model):
    __tablename__ = "defeat_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)


class VehicleModel(db.Model):
    """The vehicle catalogue: what a customer can be interested in or order."""

    __tablename__ = "vehicle_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[int | None]  # guide price, yuan
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def label(self) -> str:
        from app.core.names import vehicle_name

        return vehicle_name(self.series, self.name)


class Setting(db.Model):
    """Key/value store for admin-configurable rules (penalties, deadlines, caps)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict | list | int | str | None] = mapped_column(JSON)
