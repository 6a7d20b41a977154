"""Login sessions: per-user session version, per-session id, idle and absolute timeouts.

The cookie carries `<user id>:<session version>:<session id>`. Deactivating a user, changing a
password or "log out everywhere" bumps the version, so every open session of the user stops on
its very next request. Logging out revokes only this session's id (a row in revoked_sessions), so
a clerk logging out of one tablet does not log the other tablets out.

A consultant or manager may also keep a device signed in (app/accounts/devices.py): a long-lived
HttpOnly cookie whose token starts a new session here when the ordinary one has ended.
"""

import secrets
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import and_, bindparam, select

from app.accounts.models import RevokedSession, Role, User
from app.audit.services import record
from app.core.timeutil import utcnow
from app.extensions import db, login_manager
from app.web import htmx
from app.web.access import is_public_endpoint, require_login_by_default

SESSION_LOGIN_AT = "login_at"
SESSION_SEEN_AT = "seen_at"
# Requests a page makes by itself (the bell's poll): they do not count as the user being active,
# so a tab left open still ends after the idle timeout.
PASSIVE_ENDPOINTS = frozenset({"notifications.count"})


# Set once the second factor is confirmed (app/accounts/mfa.py); until then a user who needs one
# reaches only the second-factor pages, the language switch and logout.
SESSION_MFA_OK = "mfa_ok"
SESSION_MFA_NEXT = "mfa_next"
# The remembered device this session runs on (its id), when its last use was written, and "create
# one once the second factor is confirmed" (the box was ticked at login).
SESSION_DEVICE = "device_id"
SESSION_DEVICE_SEEN = "device_seen"
SESSION_REMEMBER = "remember_device"
MFA_STEP_ENDPOINTS = frozenset(
    {"accounts.mfa_verify", "accounts.mfa_setup", "accounts.logout", "accounts.set_language"}
)


def init_app(app) -> None:
    secure_cookies(app.config)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(enforce_timeouts)
    app.after_request(_write_device_cookie)
    app.before_request(require_login_by_default)
    app.before_request(require_second_factor)


def secure_cookies(config) -> None:
    """In production (SESSION_COOKIE_SECURE), name the cookies `__Host-…`: the browser then keeps
    them only when Secure, for this exact host (no Domain) and the whole site (Path=/)."""
    if not config.get("SESSION_COOKIE_SECURE"):
        return
    if config.get("SESSION_COOKIE_NAME", "session") == "session":
        config["SESSION_COOKIE_NAME"] = "__Host-session"
    if config.get("DEVICE_COOKIE_NAME", "leadloop_device") == "leadloop_device":
        config["DEVICE_COOKIE_NAME"] = "__Host-leadloop_device"
    if config.get("REMEMBER_COOKIE_NAME", "remember_token") == "remember_token":
        config["REMEMBER_COOKIE_NAME"] = "__Host-remember_token"
    config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_PATH="/",
        REMEMBER_COOKIE_DOMAIN=None,
    )


# The signed-in user and whether this session was revoked: every request's first statement, built
# once (building it and its cache key cost about a third of the read).
_SIGNED_IN = (
    select(User, RevokedSession.session_id)
    .where(User.id == bindparam("uid"))
    .outerjoin(
        RevokedSession,
        and_(RevokedSession.session_id == bindparam("sid"), RevokedSession.user_id == User.id),
    )
)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the user for `<id>:<version>:<session id>`, or None when stale, revoked or inactive."""
    try:
        raw_id, raw_version, sid = user_id.split(":", 2)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    row = db.session.execute(_SIGNED_IN, {"uid": uid, "sid": sid}).first()
    if row is None:
        return None
    user, revoked = row
    if revoked is not None or not user.active or user.session_version != version:
        return None
    return user


def _unauthorized():
    from flask import abort

    if request.blueprint == "api" or request.path.startswith("/api/"):
        abort(401)
    if htmx.from_htmx():
        # An expired session during an HTMX call: send the whole page to the login screen and
        # come back to the page the user was on (htmx names it; Referer is off by policy).
        current = urlsplit(htmx.current_url())
        back = (current.path or "/") + (f"?{current.query}" if current.query else "")
        return htmx.set_redirect(current_app.response_class(status=401), url_for("accounts.login", next=back))
    flash(str(login_manager.login_message), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def idle_limit_for(user: User):
    """The reception and door tablets (clerks) stay logged in all day; everyone else, marketing
    included (they may export), is logged out after the normal idle time."""
    cfg = current_app.config
    if user.role == Role.CLERK:
        return cfg["KIOSK_IDLE_TIMEOUT"]
    return cfg["IDLE_TIMEOUT"]


def enforce_timeouts():
    """before_request: end sessions idle too long or older than the absolute limit; where the
    browser carries a remembered device's cookie, a new session starts in their place."""
    if not current_user.is_authenticated:
        restore_from_device()
        return None
    now = utcnow()
    login_at = _parse(session.get(SESSION_LOGIN_AT))
    seen_at = _parse(session.get(SESSION_SEEN_AT))
    expired = (
        login_at is None
        or now - login_at > current_app.config["ABSOLUTE_TIMEOUT"]
        # A session on a remembered device has no idle limit: the device would only start a new one.
        or (
            seen_at is not None
            and now - seen_at > idle_limit_for(current_user)
            and not session.get(SESSION_DEVICE)
        )
    )
    if expired:
        end_session()
        if restore_from_device():
            return None
        return _unauthorized()
    if session.get(SESSION_DEVICE) and request.endpoint not in PASSIVE_ENDPOINTS and not _touch_device(now):
        end_session()  # the device was revoked (or its time is up): this session ends with it
        clear_device_cookie()
        return _unauthorized()
    # Only rewrite the cookie once a minute: no needless Set-Cookie on every request.
    if request.endpoint in PASSIVE_ENDPOINTS and seen_at is not None:
        return None
    if seen_at is None or (now - seen_at).total_seconds() > 60:
        session[SESSION_SEEN_AT] = now.isoformat()
    return None


def start_session(user: User, remember: bool = False, mfa_ok: bool = False) -> None:
    """Log the user in with a brand-new session (no fixation)."""
    session.clear()
    login_user(user, remember=False)
    session["_user_id"] = f"{user.get_id()}:{secrets.token_hex(16)}"
    now = utcnow().isoformat()
    session[SESSION_LOGIN_AT] = now
    session[SESSION_SEEN_AT] = now
    if mfa_ok:
        session[SESSION_MFA_OK] = True
    session.permanent = True


def current_session_id() -> str | None:
    """The random id of this login session (the cookie's third part), or None."""
    parts = str(session.get("_user_id") or "").split(":", 2)
    return parts[2] if len(parts) == 3 and parts[2] else None


def revoke_current_session(user: User) -> None:
    """End this session only (logout on one device); the caller commits."""
    sid = current_session_id()
    if sid is None:
        user.session_version += 1
        return
    if db.session.get(RevokedSession, sid) is None:
        db.session.add(RevokedSession(session_id=sid, user_id=user.id, revoked_at=utcnow()))


# ---- remembered devices --------------------------------------------------------------------------


def _device_cookie_name() -> str:
    return current_app.config.get("DEVICE_COOKIE_NAME", "leadloop_device")


def device_token() -> str | None:
    """The remembered device's token this browser sent, if any."""
    return request.cookies.get(_device_cookie_name()) or None


def set_device_cookie(token: str, expires_at: datetime) -> None:
    g.device_cookie = (token, expires_at)


def clear_device_cookie() -> None:
    if device_token() is not None or getattr(g, "device_cookie", None):
        g.device_cookie = ("", None)


def _write_device_cookie(response):
    """after_request: send the cookie set or cleared during this request (HttpOnly, SameSite=Lax,
    Secure and `__Host-` with SESSION_COOKIE_SECURE; it expires with the device session)."""
    pending = getattr(g, "device_cookie", None)
    if pending is None:
        return response
    token, expires_at = pending
    name, secure = _device_cookie_name(), bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if not token:
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
        return response
    max_age = max(0, int((expires_at - utcnow()).total_seconds()))
    response.set_cookie(name, token, max_age=max_age, path="/", secure=secure, httponly=True, samesite="Lax")
    return response


def _bind_device(row) -> None:
    """Tie this (new) login session to the remembered device: revoking the device ends it."""
    session[SESSION_DEVICE] = row.id
    session[SESSION_DEVICE_SEEN] = utcnow().isoformat()
    row.current_sid = current_session_id()


def remember_this_device(user: User) -> bool:
    """Keep this browser signed in (after the password and, where needed, the second factor).
    False when the user may not (an administrator, a director, …). The caller commits."""
    from app.accounts import devices

    if not devices.may_remember(user):
        return False
    row, token = devices.remember(
        user, request.user_agent.string, request.remote_addr, second_factor=bool(session.get(SESSION_MFA_OK))
    )
    _bind_device(row)
    set_device_cookie(token, row.expires_at)
    return True


def forget_this_device(actor: User | None) -> None:
    """Logging out (or logging in anew) on this browser: its remembered device, if any, ends. The
    caller commits."""
    from app.accounts import devices
    from app.accounts.models import DeviceSession

    rows = []
    device_id = session.get(SESSION_DEVICE)
    if device_id and actor is not None:
        row = db.session.get(DeviceSession, device_id)
        if row is not None and row.user_id == actor.id and row.revoked_at is None:
            rows.append(row)
    token_row = devices.find_by_token(device_token())
    if token_row is not None and token_row not in rows:
        rows.append(token_row)
    for row in rows:
        devices.revoke(row, actor if actor is not None and actor.id == row.user_id else None)
    session.pop(SESSION_DEVICE, None)
    clear_device_cookie()


def second_factor_confirmed(user: User) -> None:
    """After a correct second-factor code: remember the device if the box was ticked at login, or
    note on the device this session runs on that its login now has the second factor."""
    from app.accounts.models import DeviceSession

    if session.pop(SESSION_REMEMBER, False):
        remember_this_device(user)
        return
    row = db.session.get(DeviceSession, session[SESSION_DEVICE]) if session.get(SESSION_DEVICE) else None
    if row is not None and row.user_id == user.id:
        row.second_factor = True


def rebind_device_after_password_change(user: User, device_id: int | None) -> None:
    """The password change ended every remembered device; the one it was made on stays signed in
    with a new token. The caller commits."""
    from app.accounts.models import DeviceSession

    row = db.session.get(DeviceSession, device_id) if device_id else None
    if row is None or row.user_id != user.id or row.revoked_at is not None or row.expires_at <= utcnow():
        return
    from app.accounts.devices import hash_token

    token = secrets.token_urlsafe(32)
    row.token_hash = hash_token(token)
    row.session_version = user.session_version
    _bind_device(row)
    set_device_cookie(token, row.expires_at)


def restore_from_device() -> bool:
    """Start a new session from a valid remembered device's cookie (the ordinary one has ended).
    A device remembered after the second factor starts a session that has it too; otherwise (the
    user needed none then) the second-factor step comes next as after a password."""
    from app.accounts import devices

    token = device_token()
    if token is None or request.endpoint == "static" or request.path.startswith("/api/"):
        return False
    row = devices.find_by_token(token)
    if row is None:
        clear_device_cookie()
        return False
    user = db.session.get(User, row.user_id)
    start_session(user, mfa_ok=bool(row.second_factor))
    _bind_device(row)
    row.last_used_at = utcnow()
    row.last_ip = devices.mask_ip(request.remote_addr)
    record("auth.device_login", user, "user", user.id, {"device_id": row.id})
    db.session.commit()
    return True


def _touch_device(now: datetime) -> bool:
    """Write the device's last use at most every few minutes; False once it is revoked or expired."""
    from app.accounts import devices

    seen = _parse(session.get(SESSION_DEVICE_SEEN))
    if seen is not None and now - seen < devices.TOUCH_INTERVAL:
        return True
    if not devices.touch(session[SESSION_DEVICE], current_user.id, now):
        db.session.rollback()
        return False
    db.session.commit()
    session[SESSION_DEVICE_SEEN] = now.isoformat()
    return True


def second_factor_pending() -> bool:
    """True while a signed-in user who needs a second factor has not confirmed it this session."""
    from app.accounts.mfa import needs_second_factor

    return bool(
        current_user.is_authenticated
        and not session.get(SESSION_MFA_OK)
        and needs_second_factor(current_user)
    )


def require_second_factor():
    """before_request: a user who needs a second factor confirms it before anything else."""
    from app.accounts.mfa import is_enrolled

    if request.endpoint in MFA_STEP_ENDPOINTS or is_public_endpoint(request.endpoint):
        return None
    if not second_factor_pending():
        return None
    if request.endpoint in PASSIVE_ENDPOINTS:  # the bell's poll on the second-factor page: no redirect loop
        return current_app.response_class(status=204)
    target = url_for("accounts.mfa_verify" if is_enrolled(current_user) else "accounts.mfa_setup")
    if request.blueprint == "api" or request.path.startswith("/api/"):
        from flask import abort

        abort(401)
    if htmx.from_htmx():
        return htmx.set_redirect(current_app.response_class(status=401), target)
    return redirect(target)


def end_session() -> None:
    """Log out and drop everything in the session."""
    logout_user()
    session.clear()


def _parse(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
