"""Remembered devices: "keep me signed in on this device" for consultants and managers.

A phone that a consultant carries all day should not ask for the password after every 30 idle
minutes. On request at login, the browser gets a random token in a long-lived HttpOnly cookie and
the database keeps only its SHA-256 digest (`DeviceSession`). When the ordinary session has ended
(idle or absolute timeout, or the session cookie is gone) the token starts a new session.

A device session is valid while it is not revoked, not expired (a fixed lifetime from the login:
it does not slide, so a password and, where required, a second-factor code are asked again at
least that often) and its session version still equals the user's. Everything that ends a user's
sessions — deactivation, a password change or reset, "log out everywhere", a role or store change,
a second-factor reset — bumps that version and so ends the remembered devices too.

Never for administrators; directors, DCC agents, marketing and the clerks' shared tablets neither
(see DEVICE_ROLES). The cookie itself is handled in app/web/sessions.py.
"""

import hashlib
import ipaddress
import re
import secrets
from datetime import datetime, timedelta

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update

from app.accounts.models import DeviceSession, RevokedSession, Role, User
from app.audit.services import record
from app.core.timeutil import utcnow
from app.extensions import db

# Who may keep a device signed in: the people who work from their own phone on the showroom floor.
DEVICE_ROLES = frozenset({Role.CONSULTANT, Role.MANAGER})
# last_used_at is written at most this often while a remembered device is in use.
TOUCH_INTERVAL = timedelta(minutes=5)


def may_remember(user: User) -> bool:
    """Whether this user may keep a device signed in (never an administrator)."""
    return bool(user.active) and user.role in DEVICE_ROLES


def lifetime() -> timedelta:
    return timedelta(days=current_app.config["DEVICE_SESSION_DAYS"])


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# (pattern, name) in order: in-app browsers and Edge announce themselves next to "Chrome"/"Safari".
_BROWSERS = (
    (r"wxwork/", "WeCom"),
    (r"MicroMessenger/", "WeChat"),
    (r"DingTalk/", "DingTalk"),
    (r"EdgA?/|EdgiOS/", "Edge"),
    (r"HuaweiBrowser/", "Huawei Browser"),
    (r"MiuiBrowser/", "Mi Browser"),
    (r"UCBrowser/", "UC Browser"),
    (r"QQBrowser/", "QQ Browser"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/", "Chrome"),
    (r"Safari/", "Safari"),
)
_PLATFORMS = (
    (r"HarmonyOS|OpenHarmony", "HarmonyOS"),
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Macintosh|Mac OS X", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def describe_user_agent(user_agent: str | None) -> tuple[str, str]:
    """("Chrome", "Android") from a User-Agent header; empty strings for what is not recognised."""
    ua = (user_agent or "")[:512]
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, ua)), "")
    platform = next((name for pattern, name in _PLATFORMS if re.search(pattern, ua)), "")
    return browser, platform


def mask_ip(address: str | None) -> str | None:
    """The client address without its last part: 203.0.113.x, or the /48 of an IPv6 address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + ".x"
    network = ipaddress.ip_network(f"{ip}/48", strict=False)
    return f"{network.network_address.compressed.rstrip(':')}::/48"


def device_label(row: DeviceSession) -> str:
    """ "Chrome · Android" as the user reads it (in-app browsers and unknown parts translated)."""
    names = {
        "WeChat": _("WeChat"),
        "WeCom": _("WeCom"),
        "DingTalk": _("DingTalk"),
        "Huawei Browser": _("Huawei Browser"),
        "Mi Browser": _("Mi Browser"),
        "QQ Browser": _("QQ Browser"),
        "UC Browser": _("UC Browser"),
    }
    browser = names.get(row.browser, row.browser) or _("Unknown browser")
    platform = row.platform or _("unknown device")
    return f"{browser} · {platform}"


def _plain_label(row: DeviceSession) -> str:
    """The label for the audit log (not translated: it is stored)."""
    return f"{row.browser or '?'} · {row.platform or '?'}"


def remember(
    user: User,
    user_agent: str | None,
    address: str | None,
    second_factor: bool = False,
    now: datetime | None = None,
) -> tuple[DeviceSession, str]:
    """Create a device session for this browser; return it and the token for the cookie (the only
    copy of the token: the database keeps its digest). The caller commits."""
    if not may_remember(user):
        raise PermissionError("this user may not keep a device signed in")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    browser, platform = describe_user_agent(user_agent)
    row = DeviceSession(
        user_id=user.id,
        token_hash=hash_token(token),
        session_version=user.session_version,
        browser=browser,
        platform=platform,
        last_ip=mask_ip(address),
        second_factor=second_factor,
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetime(),
    )
    db.session.add(row)
    db.session.flush()
    record(
        "auth.device_remembered", user, "user", user.id, {"device": _plain_label(row), "device_id": row.id}
    )
    return row, token


def _valid(now: datetime):
    """Conditions of a device session that still signs its user in (joined with User)."""
    return (
        DeviceSession.user_id == User.id,
        DeviceSession.revoked_at.is_(None),
        DeviceSession.expires_at > now,
        DeviceSession.session_version == User.session_version,
        User.active.is_(True),
        User.role.in_(sorted(DEVICE_ROLES)),
    )


def find_by_token(token: str | None, now: datetime | None = None) -> DeviceSession | None:
    """The valid device session of this cookie token, else None."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    return db.session.execute(
        select(DeviceSession)
        .join(User, DeviceSession.user_id == User.id)
        .where(DeviceSession.token_hash == hash_token(token), *_valid(now))
    ).scalar_one_or_none()


def active_devices(user: User, now: datetime | None = None) -> list[DeviceSession]:
    """The user's devices that still keep them signed in, the most recently used first."""
    now = now or utcnow()
    return list(
        db.session.execute(
            select(DeviceSession)
            .join(User, DeviceSession.user_id == User.id)
            .where(DeviceSession.user_id == user.id, *_valid(now))
            .order_by(DeviceSession.last_used_at.desc(), DeviceSession.id.desc())
        ).scalars()
    )


def get_device_or_404(user: User, device_id: int) -> DeviceSession:
    """The user's own valid device session; 404 for anyone else's, a revoked or an expired one."""
    now = utcnow()
    row = db.session.execute(
        select(DeviceSession)
        .join(User, DeviceSession.user_id == User.id)
        .where(DeviceSession.id == device_id, DeviceSession.user_id == user.id, *_valid(now))
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def revoke(row: DeviceSession, actor: User | None, now: datetime | None = None) -> None:
    """End a device session and the login session running on it now; audited. The caller commits."""
    now = now or utcnow()
    if row.revoked_at is None:
        row.revoked_at = now
    if row.current_sid and db.session.get(RevokedSession, row.current_sid) is None:
        db.session.add(RevokedSession(session_id=row.current_sid, user_id=row.user_id, revoked_at=now))
        db.session.flush()
    own = actor is not None and actor.id == row.user_id
    record(
        "auth.device_revoked" if own else "user.device_revoked",
        actor,
        "user",
        row.user_id,
        {"device": _plain_label(row), "device_id": row.id},
    )


def touch(device_id: int, user_id: int, now: datetime | None = None) -> bool:
    """Note that the device is in use; False when it no longer keeps its user signed in."""
    now = now or utcnow()
    result = db.session.execute(
        update(DeviceSession)
        .where(
            DeviceSession.id == device_id,
            DeviceSession.user_id == user_id,
            DeviceSession.revoked_at.is_(None),
            DeviceSession.expires_at > now,
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def purge(now: datetime) -> int:
    """Delete device sessions that can never sign in again (expired, revoked, or of an older
    session version) once the login session they last started would have ended as well."""
    cutoff = now - current_app.config["ABSOLUTE_TIMEOUT"]
    stale_version = select(User.id).where(
        User.id == DeviceSession.user_id, User.session_version != DeviceSession.session_version
    )
    result = db.session.execute(
        delete(DeviceSession)
        .where(
            or_(DeviceSession.expires_at < cutoff, DeviceSession.revoked_at < cutoff, stale_version.exists())
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
