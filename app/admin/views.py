"""Administration: users, stores, reference data, settings and the audit log."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts import devices
from app.accounts.forms import PASSWORD_MESSAGES, EmptyForm
from app.accounts.models import Store, User
from app.accounts.services import create_user
from app.admin import queries, rules, services
from app.admin.forms import ROLE_LABELS, DeactivateForm, ResetPasswordForm, UserCreateForm, UserEditForm
from app.core.errors import ConflictError, DomainError
from app.extensions import db
from app.web.access import requires
from app.web.render import render

bp = Blueprint("admin", __name__, url_prefix="/admin")

ERROR_MESSAGES = {
    "store_required": lambda: _("This role works in a store: choose one."),
    "username_taken": lambda: _("This username is already taken."),
    "code_taken": lambda: _("This code is already used."),
    "self_deactivation": lambda: _("You cannot deactivate your own account."),
    "bad_successor": lambda: _("Choose another active user as successor."),
    "successor_required": lambda: _("This user still has open leads or plans: choose a successor."),
    "already_inactive": lambda: _("This user is already inactive."),
    "stage_open_missing": lambda: _("At least one active open stage is required."),
    "stage_won_missing": lambda: _("At least one active won stage is required."),
    "stage_lost_missing": lambda: _("At least one active lost stage is required."),
}


def error_message(exc: DomainError) -> str:
    """Return the user's-language message for a domain error code."""
    factory = ERROR_MESSAGES.get(exc.code) or PASSWORD_MESSAGES.get(exc.code)
    return str(factory()) if factory else exc.message


@bp.get("/")
@requires("admin.configure")
def index():
    """Show the administration overview."""
    return render("admin/index.html", stores=queries.stores_with_counts())


@bp.get("/users")
@requires("admin.configure")
def list_users():
    """List users with filters by name, role, store and status."""
    store_id = request.args.get("store", type=int)
    status = request.args.get("status", "active")
    page = queries.users_page(
        request.args.get("q", ""),
        request.args.get("role", ""),
        store_id,
        status,
        request.args.get("page", 1, type=int),
    )
    return render(
        "admin/users.html",
        block="results",
        page=page,
        role_labels=ROLE_LABELS,
        stores=queries.store_choices(include_blank=False, only_active=False),
        filters={
            "q": request.args.get("q", ""),
            "role": request.args.get("role", ""),
            "store": store_id or 0,
            "status": status,
        },
    )


def _user_form(form_class, obj=None):
    form = form_class(obj=obj)
    form.store_id.choices = queries.store_choices()
    if obj is not None and request.method == "GET":
        form.role.data = str(obj.role)
        form.store_id.data = obj.store_id or 0
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.configure")
def create_user_view():
    """Create a user with a role, a store and an initial password."""
    form = _user_form(UserCreateForm)
    if form.validate_on_submit():
        extra = {
            "capacity": form.capacity.data,
            "can_reveal_phone": form.can_reveal_phone.data,
            "can_export": form.can_export.data,
        }
        try:
            rules.check_role_store(form.role.data, form.store_id.data)
            store = db.session.get(Store, form.store_id.data) if form.store_id.data else None
            user = create_user(
                form.username.data,
                form.password.data,
                form.role.data,
                store,
                display_name=form.display_name.data,
                email=form.email.data or None,
                actor=current_user,
                **extra,
            )
        except DomainError as exc:
            field = {"username_taken": form.username, "store_required": form.store_id}.get(
                exc.code, form.password
            )
            field.errors.append(error_message(exc))
            return render("admin/user_new.html", form=form), 422
        db.session.commit()
        flash(_("User %(name)s created.", name=user.username), "success")
        return redirect(url_for("admin.edit_user", user_id=user.id), code=303)
    return render("admin/user_new.html", form=form), 422 if form.errors else 200


def _get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _edit_page(user: User, form=None, deactivate_form=None, reset_form=None, status: int = 200):
    if form is None:
        form = _user_form(UserEditForm, user)
        form.fingerprint.data = rules.fingerprint(services.user_values(user))
    if deactivate_form is None:
        deactivate_form = DeactivateForm()
    deactivate_form.successor_id.choices = [(0, "—")] + queries.successor_choices(user)
    return render(
        "admin/user_edit.html",
        user=user,
        form=form,
        deactivate_form=deactivate_form,
        reset_form=reset_form or ResetPasswordForm(),
        button_form=EmptyForm(),
        work=queries.open_work(user),
        devices=devices.active_devices(user),
        device_label=devices.device_label,
        successor=db.session.get(User, user.successor_id) if user.successor_id else None,
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("admin.configure")
def edit_user(user_id: int):
    """Change a user's role, store, rights and capacity."""
    user = _get_user_or_404(user_id)
    if request.method == "GET":
        return _edit_page(user)
    form = _user_form(UserEditForm, user)
    if form.validate_on_submit():
        values = {f: getattr(form, f).data for f in services.USER_FIELDS}
        values["store_id"] = values["store_id"] or None
        values["email"] = values["email"] or None
        try:
            services.update_user(user, values, current_user, expected=form.fingerprint.data)
        except ConflictError:
            db.session.rollback()
            flash(_("Someone else changed this user meanwhile. The page shows the current values."), "error")
            return _edit_page(_get_user_or_404(user_id), status=409)
        except DomainError as exc:
            form.store_id.errors.append(error_message(exc))
            return _edit_page(user, form=form, status=422)
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("admin.edit_user", user_id=user.id), code=303)
    return _edit_page(user, form=form, status=422)


@bp.post("/users/<int:user_id>/deactivate")
@requires("admin.configure")
def deactivate_user_view(user_id: int):
    """Deactivate a user at once and hand their open leads and plans to a successor."""
    user = _get_user_or_404(user_id)
    form = DeactivateForm()
    form.successor_id.choices = [(0, "—")] + queries.successor_choices(user)
    if form.validate_on_submit():
        successor = db.session.get(User, form.successor_id.data) if form.successor_id.data else None
        try:
            detail = services.deactivate(user, successor, current_user, reason=form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            form.successor_id.errors.append(error_message(exc))
            return _edit_page(_get_user_or_404(user_id), deactivate_form=form, status=422)
        db.session.commit()
        flash(
            _(
                "%(name)s is deactivated; %(leads)s leads and %(plans)s plans were handed over.",
                name=user.username,
                leads=detail["leads"],
                plans=detail["plans"],
            ),
            "success",
        )
        return redirect(url_for("admin.edit_user", user_id=user.id), code=303)
    return _edit_page(user, deactivate_form=form, status=422)


@bp.post("/users/<int:user_id>/reactivate")
@requires("admin.configure")
def reactivate_user_view(user_id: int):
    """Let a deactivated user log in again."""
    user = _get_user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        services.reactivate_user(user, current_user)
        db.session.commit()
        flash(_("%(name)s can log in again.", name=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id), code=303)


@bp.post("/users/<int:user_id>/password")
@requires("admin.configure")
def reset_password_view(user_id: int):
    """Set a new password for a user; their sessions end."""
    user = _get_user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.new_password.data, current_user)
        except DomainError as exc:
            form.new_password.errors.append(error_message(exc))
            return _edit_page(user, reset_form=form, status=422)
        db.session.commit()
        flash(_("The password of %(name)s was changed; tell them in person.", name=user.username), "success")
        return redirect(url_for("admin.edit_user", user_id=user.id), code=303)
    return _edit_page(user, reset_form=form, status=422)


@bp.post("/users/<int:user_id>/logout-everywhere")
@requires("admin.configure")
def revoke_sessions_view(user_id: int):
    """End every open session of a user."""
    user = _get_user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        services.revoke_sessions(user, current_user)
        db.session.commit()
        flash(_("%(name)s has been logged out everywhere.", name=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id), code=303)


@bp.post("/users/<int:user_id>/devices/<int:device_id>/revoke")
@requires("admin.configure")
def revoke_device_view(user_id: int, device_id: int):
    """Sign one remembered device of a user out (a lost phone); audited."""
    user = _get_user_or_404(user_id)
    row = devices.get_device_or_404(user, device_id)
    if EmptyForm().validate_on_submit():
        devices.revoke(row, current_user)
        db.session.commit()
        flash(
            _("%(device)s of %(name)s is signed out.", device=devices.device_label(row), name=user.username),
            "success",
        )
    return redirect(url_for("admin.edit_user", user_id=user.id), code=303)


@bp.post("/users/<int:user_id>/mfa-reset")
@requires("admin.configure")
def reset_mfa_view(user_id: int):
    """Forget a user's second factor (lost phone); they set it up again at their next login."""
    from app.accounts.mfa import reset_mfa

    user = _get_user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        reset_mfa(user, current_user)
        db.session.commit()
        flash(
            _(
                "Two-step verification of %(name)s was reset; they set it up again at their next login.",
                name=user.username,
            ),
            "success",
        )
    return redirect(url_for("admin.edit_user", user_id=user.id), code=303)


def find_user(username: str) -> User | None:
    """Return the user with this username, if any."""
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


from app.admin import audit_views, outbox_views, reference_views  # noqa: E402,F401  (routes on the same blueprint)
