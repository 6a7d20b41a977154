"""Login, logout, password and language."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.forms import PASSWORD_MESSAGES, ChangePasswordForm, EmptyForm, LanguageForm, LoginForm
from app.accounts.services import authenticate, change_password
from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db, limiter
from app.web.access import public
from app.web.sessions import end_session, revoke_current_session, start_session

bp = Blueprint("accounts", __name__)



def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard.index")
    return target


def _login_failed(response) -> bool:
    # Only failed attempts count toward the limit.
    return response.status_code == 200 and request.method == "POST"


def _username_key() -> str:
    return "login-user:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_login_failed)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_username_key,
               deduct_when=_login_failed)
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            start_session(user)
            user.last_login_at = utcnow()
            record("auth.login", user, "user", user.id)
            db.session.commit()
            return redirect(_safe_next(form.next.data), code=303)
        record("auth.login_failed", None, "user", None, {"username": form.username.data[:64]})
        db.session.commit()
        flash(_("Wrong username or password."), "error")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Log out on this device: this session ends, the user's sessions elsewhere go on."""
    form = EmptyForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        revoke_current_session(user)
        record("auth.logout", user, "user", user.id)
        db.session.commit()
        end_session()
        flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password_view():
    """Let the user change their password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            field = form.current_password if exc.code == "wrong_password" else form.new_password
            message = PASSWORD_MESSAGES[exc.code]() if exc.code in PASSWORD_MESSAGES else exc.message
            field.errors.append(message)
            return render_template("accounts/password.html", form=form), 422
        db.session.commit()
        start_session(user)  # keep this session alive with the new version
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("dashboard.index"), code=303)
    status = 422 if form.errors else 200
    return render_template("accounts/password.html", form=form), status


@bp.post("/language")
@public
def set_language():
    """Switch the UI language (kept on the user, or in the session before login)."""
    form = LanguageForm()
    if form.validate_on_submit():
        locale = form.locale.data
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(_safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path), code=303)
