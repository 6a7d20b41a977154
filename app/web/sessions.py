"""Login sessions: per-user session version, idle and absolute timeouts, fresh id at login.

The cookie carries `<user id>:<session version>`. Deactivating a user or changing a password
bumps the version, so every open session stops working on its very next request.
"""

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from app.accounts.models import Role, User
from app.core.timeutil import utcnow
from app.extensions import db, login_manager
from app.web.access import is_public_endpoint, require_login_by_default

SESSION_LOGIN_AT = "login_at"
SESSION_SEEN_AT = "seen_at"
# Set once the second factor is confirmed (app/accounts/mfa.py); until then a user who needs one
# reaches only the second-factor pages, the language switch and logout.
SESSION_MFA_OK = "mfa_ok"
SESSION_MFA_NEXT = "mfa_next"
MFA_STEP_ENDPOINTS = frozenset({"accounts.mfa_verify", "accounts.mfa_setup", "accounts.logout",
                                "accounts.set_language"})


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(enforce_timeouts)
    app.before_request(require_login_by_default)
    app.before_request(require_second_factor)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the user for a session id `<id>:<version>`, or None when stale or inactive."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def _unauthorized():
    from flask import abort

    if request.blueprint == "api" or request.path.startswith("/api/"):
        abort(401)
    if request.headers.get("HX-Request"):
        # An expired session during an HTMX call: send the whole page to the login screen and
        # come back to the page the user was on (htmx names it; Referer is off by policy).
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = (current.path or "/") + (f"?{current.query}" if current.query else "")
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = url_for("accounts.login", next=back)
        return response
    flash(str(login_manager.login_message), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def idle_limit_for(user: User):
    cfg = current_app.config
    if user.role in {Role.CLERK, Role.MARKETING}:
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
    if seen_at is None or (now - seen_at).total_seconds() > 60:
        session[SESSION_SEEN_AT] = now.isoformat()
    return None


def start_session(user: User, remember: bool = False, mfa_ok: bool = False) -> None:
    """Log the user in with a brand-new session (no fixation)."""
    session.clear()
    login_user(user, remember=False)
    now = utcnow().isoformat()
    session[SESSION_LOGIN_AT] = now
    session[SESSION_SEEN_AT] = now
    if mfa_ok:
        session[SESSION_MFA_OK] = True
    session.permanent = True


def require_second_factor():
    """before_request: a user who needs a second factor confirms it before anything else."""
    from app.accounts.mfa import is_enrolled, needs_second_factor

    if request.endpoint in MFA_STEP_ENDPOINTS or is_public_endpoint(request.endpoint):
        return None
    if not current_user.is_authenticated or session.get(SESSION_MFA_OK) or not needs_second_factor(current_user):
        return None
    target = url_for("accounts.mfa_verify" if is_enrolled(current_user) else "accounts.mfa_setup")
    if request.blueprint == "api" or request.path.startswith("/api/"):
        from flask import abort

        abort(401)
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
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
