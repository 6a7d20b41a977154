"""Stores, users and roles."""

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.config import default_timezone
from app.core.mixins import TimestampMixin, str_enum
from app.core.timeutil import utcnow
from app.extensions import db


class Role(enum.StrEnum):
    CONSULTANT = "consultant"
    MANAGER = "manager"
    DIRECTOR = "director"
    DCC = "dcc"
    CLERK = "clerk"
    MARKETING = "marketing"
    ADMIN = "admin"


class Store(TimestampMixin, db.Model):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    timezone: Mapped[str] = mapped_column(String(64), default=default_timezone)
    active: Mapped[bool] = mapped_column(default=True)
    # The store's WeCom (企业微信) group robot: arrivals, new H leads and waiting approvals.
    wecom_webhook_url: Mapped[str | None] = mapped_column(String(500))
    # Customers receive SMS only inside these local hours ("HH:MM"); later ones wait for the opening.
    sms_window_start: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    sms_window_end: Mapped[str] = mapped_column(String(5), default="20:30", server_default="20:30")
    # The 【signature】 of the store's SMS; empty: the brand's (settings), else the store's name.
    sms_signature: Mapped[str | None] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<Store {self.code}>"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[Role] = mapped_column(str_enum(Role, 20))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Bumped on deactivation, password change and "log out everywhere": old sessions die.
    session_version: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(10))
    # Assignment: how many open leads this consultant can carry.
    capacity: Mapped[int] = mapped_column(default=300)
    can_export: Mapped[bool] = mapped_column(default=False)
    can_reveal_phone: Mapped[bool] = mapped_column(default=False)
    # Notifications are always shown in the app; this also sends them by e-mail.
    notify_email: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    last_login_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Second factor (TOTP): the secret is set when enrolment starts and confirmed by the first
    # code (mfa_enrolled_at); the last accepted time step makes every code single-use.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enrolled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    store: Mapped[Store | None] = relationship(lazy="joined", innerjoin=False)

    __table_args__ = (Index("ix_users_store_role", "store_id", "role", "active"),)

    def get_id(self) -> str:
        # The session version is part of the id: bumping it logs the user out everywhere.
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return bool(self.active)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class LeaveWindow(TimestampMixin, db.Model):
    """A period a user is away; assignment skips them and plans can be moved."""

    __tablename__ = "leave_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(255), default="")


class DutyRoster(db.Model):
    """Consultants on duty in the showroom on a given day (the reception's pick list)."""

    __tablename__ = "duty_roster"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date]

    __table_args__ = (UniqueConstraint("store_id", "day", "user_id"),)


class RevokedSession(db.Model):
    """A login session ended by logging out on that device; the user's other sessions go on.

    Rows are needed only while such a session could still be valid (the absolute timeout) and are
    purged after that by the `revoked_sessions` job.
    """

    __tablename__ = "revoked_sessions"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime] = mapped_column(index=True)


class MfaRecoveryCode(db.Model):
    """A one-time recovery code for the second factor, stored as a SHA-256 digest."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateLimitCounter(db.Model):
    """A fixed-window counter shared by every worker and server (app.web.throttle)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class DeviceSession(db.Model):
    """ "Keep me signed in on this device": a long-lived login of one browser (app/accounts/devices.py).

    The browser keeps a random token in an HttpOnly cookie; only its SHA-256 digest is stored. The
    row is valid while it is not revoked, not expired and its `session_version` still equals the
    user's: deactivation, a password change, "log out everywhere", a role change and a second-factor
    reset all bump the user's version and so end every remembered device at once.
    """

    __tablename__ = "device_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_version: Mapped[int]
    # What the user sees in the device list: "Chrome · Android" (from the User-Agent at login).
    browser: Mapped[str] = mapped_column(String(40), default="")
    platform: Mapped[str] = mapped_column(String(40), default="")
    # The client address with its last part dropped (203.0.113.x): enough to recognise a place.
    last_ip: Mapped[str | None] = mapped_column(String(64))
    # Whether the login that remembered the device (or a later one on it) passed the second factor:
    # a session started from the device counts as confirmed only then.
    second_factor: Mapped[bool] = mapped_column(default=False)
    # The login session this device runs now (logged out at once when the device is revoked).
    current_sid: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
