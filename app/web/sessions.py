"""Login sessions: per-user session version, per-session id, idle and absolute timeouts.

The cookie carries `<user id>:<session version>:<session id>`. Deactivating a user, changing a
password or "log out everywhere" bumps the version, so every open session of the user stops on
its very next request. Logging out revokes only this session's id (a row in revoked_sessions), so
a clerk logging out of one tablet does not log the other tablets out.
"""

import secrets
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import and_, select

from app.accounts.models import RevokedSession, Role, User
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
MFA_STEP_ENDPOINTS = frozenset({"accounts.mfa_verify", "accounts.mfa_setup", "accounts.logout",
                                "accounts.set_language"})


def init_app(app) -> None:
    secure_cookies(app.config)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(enforce_timeouts)
    app.before_request(require_login_by_default)
    app.before_request(require_second_factor)


def secure_cookies(config) -> None:
    """In production (SESSION_COOKIE_SECURE), name the cookies `__Host-…`: the browser then keeps
    them only when Secure, for this exact host (no Domain) and the whole site (Path=/)."""
    if not config.get("SESSION_COOKIE_SECURE"):
        return
    if config.get("SESSION_COOKIE_NAME", "session") == "session":
        config["SESSION_COOKIE_NAME"] = "__Host-session"
    if config.get("REMEMBER_COOKIE_NAME", "remember_token") == "remember_token":
        config["REMEMBER_COOKIE_NAME"] = "__Host-remember_token"
    config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/",
                  SESSION_COOKIE_DOMAIN=None, REMEMBER_COOKIE_SECURE=True, REMEMBER_COOKIE_HTTPONLY=True,
                  REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_PATH="/", REMEMBER_COOKIE_DOMAIN=None)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the user for `<id>:<version>:<session id>`, or None when stale, revoked or inactive."""
    try:
        raw_id, raw_version, sid = user_id.split(":", 2)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    row = db.session.execute(
        select(User, RevokedSession.session_id).where(User.id == uid)
        .outerjoin(RevokedSession, and_(RevokedSession.session_id == sid, RevokedSession.user_id == User.id))
    ).first()
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
    """before_request: end sessions idle too long or older than the absolute limit."""
    if not current_user.is_authenticated:
        return None
    now = utcnow()
    login_at = _parse(session.get(SESSION_LOGIN_AT))
    seen_at = _parse(session.get(SESSION_SEEN_AT))
    expired = (
        login_at is None
        or now - login_at > current_app.config["ABSOLUTE_TIMEOUT"]
        or (seen_at is not None and now - seen_at > idle_limit_for(current_user))
    )
    if expired:
        end_session()
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


def require_second_factor():
    """before_request: a user who needs a second factor confirms it before anything else."""
    from app.accounts.mfa import is_enrolled, needs_second_factor

    if request.endpoint in MFA_STEP_ENDPOINTS or is_public_endpoint(request.endpoint):
        return None
    if not current_user.is_authenticated or session.get(SESSION_MFA_OK) or not needs_second_factor(current_user):
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
