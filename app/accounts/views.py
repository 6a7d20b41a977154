"""Login, logout, password and language."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import devices
from app.accounts.forms import (
    PASSWORD_MESSAGES,
    ChangePasswordForm,
    EmptyForm,
    LanguageForm,
    LoginForm,
    MfaCodeForm,
)
from app.accounts.mfa import (
    begin_enrolment,
    check_second_factor,
    confirm_enrolment,
    is_enrolled,
    needs_second_factor,
    provisioning_uri,
    qr_svg_data_uri,
)
from app.accounts.services import authenticate, change_password
from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.web import throttle
from app.web.access import public, requires
from app.web.sessions import (
    SESSION_DEVICE,
    SESSION_MFA_NEXT,
    SESSION_MFA_OK,
    SESSION_REMEMBER,
    clear_device_cookie,
    end_session,
    forget_this_device,
    rebind_device_after_password_change,
    remember_this_device,
    revoke_current_session,
    second_factor_confirmed,
    start_session,
)

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard.index")
    return target


def _login_key(username: str) -> str:
    return (username or "").strip().lower()[:64]


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and log the user in (failures are throttled per username and address)."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        cfg = current_app.config
        guard = throttle.throttle() if throttle.enabled() else None
        name_key, ip = _login_key(form.username.data), request.remote_addr or "-"
        if guard is not None and guard.blocked(cfg["LOGIN_RATE_LIMIT"], "login-user", name_key):
            # Same answer whether or not the username exists; the password is not even checked.
            record("auth.login_locked", None, "user", None, {"username": form.username.data[:64]})
            db.session.commit()
            flash(
                _(
                    "Too many failed attempts for this username: it is locked for a while. "
                    "Please wait a few minutes and try again."
                ),
                "error",
            )
            return render_template("accounts/login.html", form=form, remember_days=cfg_days()), 429
        if guard is not None and guard.blocked(cfg["LOGIN_IP_RATE_LIMIT"], "login-ip", ip):
            flash(
                _("Too many failed attempts from this network. Please wait a few minutes and try again."),
                "error",
            )
            return render_template("accounts/login.html", form=form, remember_days=cfg_days()), 429
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            if guard is not None:
                guard.clear(cfg["LOGIN_RATE_LIMIT"], "login-user", name_key)
            forget_this_device(user)  # a device remembered earlier in this browser ends here
            start_session(user)
            user.last_login_at = utcnow()
            record("auth.login", user, "user", user.id)
            if form.remember.data and not devices.may_remember(user):
                flash(
                    _(
                        "Staying signed in is not available for your account: you will be logged out "
                        "after a while without activity."
                    ),
                    "info",
                )
            elif form.remember.data and needs_second_factor(user):
                session[SESSION_REMEMBER] = True  # once the second factor is confirmed
            elif form.remember.data:
                remember_this_device(user)
            db.session.commit()
            target = _safe_next(form.next.data)
            if needs_second_factor(user):
                session[SESSION_MFA_NEXT] = target
                step = "accounts.mfa_verify" if is_enrolled(user) else "accounts.mfa_setup"
                return redirect(url_for(step), code=303)
            return redirect(target, code=303)
        if guard is not None:
            guard.fail(cfg["LOGIN_RATE_LIMIT"], "login-user", name_key)
            guard.fail(cfg["LOGIN_IP_RATE_LIMIT"], "login-ip", ip)
        record("auth.login_failed", None, "user", None, {"username": form.username.data[:64]})
        db.session.commit()
        flash(_("Wrong username or password."), "error")
    return render_template("accounts/login.html", form=form, remember_days=cfg_days())


def cfg_days() -> int:
    return current_app.config["DEVICE_SESSION_DAYS"]


# ---- second factor ------------------------------------------------------------------------------


def _after_mfa():
    return redirect(_safe_next(session.pop(SESSION_MFA_NEXT, None)), code=303)


def _mfa_guard():
    """The wrong-code limit and the shared throttle (None when rate limiting is off)."""
    return current_app.config["MFA_RATE_LIMIT"], (throttle.throttle() if throttle.enabled() else None)


def _mfa_blocked(form, guard, limit, user) -> bool:
    """True (with the message next to the code field) when this user has had too many wrong codes."""
    if guard is not None and guard.blocked(limit, "mfa-user", str(user.id)):
        form.code.errors.append(_("Too many wrong codes. Please wait a few minutes and try again."))
        return True
    return False


@bp.route("/login/mfa", methods=["GET", "POST"])
@requires("account.self")
@login_required
def mfa_verify():
    """Ask an enrolled user for a code from their authenticator app (or a recovery code)."""
    user = current_user._get_current_object()
    if session.get(SESSION_MFA_OK) or not needs_second_factor(user):
        return _after_mfa()
    if not is_enrolled(user):
        return redirect(url_for("accounts.mfa_setup"), code=303)
    form = MfaCodeForm()
    status = 200
    if form.validate_on_submit():
        limit, guard = _mfa_guard()
        if _mfa_blocked(form, guard, limit, user):
            return render_template("accounts/mfa_verify.html", form=form), 429
        kind = check_second_factor(user, form.code.data)
        if kind is not None:
            session[SESSION_MFA_OK] = True
            record("auth.mfa_ok", user, "user", user.id, {"with": kind})
            second_factor_confirmed(user)
            db.session.commit()
            if guard is not None:
                guard.clear(limit, "mfa-user", str(user.id))
            return _after_mfa()
        record("auth.mfa_failed", user, "user", user.id)
        db.session.commit()  # before counting: SQLite has one writer, and the counter writes apart
        if guard is not None:
            guard.fail(limit, "mfa-user", str(user.id))
        form.code.errors.append(_("This code is wrong or has already been used."))
        status = 422
    elif form.errors:
        status = 422
    return render_template("accounts/mfa_verify.html", form=form), status


@bp.route("/account/mfa/setup", methods=["GET", "POST"])
@requires("account.self")
@login_required
def mfa_setup():
    """Enrol an authenticator app: scan the QR code, confirm one code, keep the recovery codes."""
    user = current_user._get_current_object()
    if is_enrolled(user):
        return redirect(url_for("accounts.mfa_verify"), code=303)
    form = MfaCodeForm()
    status = 200
    if form.validate_on_submit():
        limit, guard = _mfa_guard()
        if _mfa_blocked(form, guard, limit, user):
            status = 429
        else:
            codes = confirm_enrolment(user, form.code.data)
            if codes is not None:
                session[SESSION_MFA_OK] = True
                second_factor_confirmed(user)
                db.session.commit()
                return render_template(
                    "accounts/mfa_recovery_codes.html",
                    codes=codes,
                    next_url=_safe_next(session.pop(SESSION_MFA_NEXT, None)),
                )
            db.session.commit()  # before counting: SQLite has one writer, and the counter writes apart
            if guard is not None:
                guard.fail(limit, "mfa-user", str(user.id))
            form.code.errors.append(_("This code is wrong or has already been used."))
            status = 422
    elif form.errors:
        status = 422
    secret = begin_enrolment(user)
    db.session.commit()
    uri = provisioning_uri(user)
    return render_template(
        "accounts/mfa_setup.html", form=form, secret=secret, qr=qr_svg_data_uri(uri)
    ), status


@bp.post("/logout")
@requires("account.self")
@login_required
def logout():
    """Log out on this device: this session ends, the user's sessions elsewhere go on."""
    form = EmptyForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        revoke_current_session(user)
        forget_this_device(user)
        record("auth.logout", user, "user", user.id)
        db.session.commit()
        end_session()
        flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account.self")
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
        device_id = session.get(SESSION_DEVICE)
        db.session.commit()
        start_session(user, mfa_ok=bool(session.get(SESSION_MFA_OK)))  # keep this session alive
        rebind_device_after_password_change(user, device_id)  # and this device, with a new token
        db.session.commit()
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
    return redirect(
        _safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path), code=303
    )


# ---- remembered devices ---------------------------------------------------------------------------


@bp.get("/account/devices")
@requires("account.self")
@login_required
def devices_page():
    """The devices that keep the user signed in, with their last use; each can be signed out."""
    user = current_user._get_current_object()
    return render_template(
        "accounts/devices.html",
        devices=devices.active_devices(user),
        current_device=session.get(SESSION_DEVICE),
        may_remember=devices.may_remember(user),
        remember_days=cfg_days(),
        label=devices.device_label,
        form=EmptyForm(),
    )


@bp.post("/account/devices/<int:device_id>/revoke")
@requires("account.self")
@login_required
def revoke_device(device_id: int):
    """Sign one of the user's own devices out (404 for anyone else's); this device: log out here."""
    user = current_user._get_current_object()
    row = devices.get_device_or_404(user, device_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("accounts.devices_page"), code=303)
    devices.revoke(row, user)
    if row.id == session.get(SESSION_DEVICE):
        revoke_current_session(user)
        record("auth.logout", user, "user", user.id)
        db.session.commit()
        end_session()
        clear_device_cookie()
        flash(_("You have logged out."), "info")
        return redirect(url_for("accounts.login"), code=303)
    db.session.commit()
    flash(_("%(device)s is signed out.", device=devices.device_label(row)), "success")
    return redirect(url_for("accounts.devices_page"), code=303)
