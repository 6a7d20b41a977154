"""Column helpers shared by models."""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


def str_enum(enum_cls, length: int = 20):
    """An Enum column stored as its lowercase value (not the member name), no native type."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        create_constraint=False,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
