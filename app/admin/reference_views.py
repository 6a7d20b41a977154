"""Admin pages for stores, reference lists (channels, grades, stages, reasons, vehicles) and settings."""

from dataclasses import dataclass
from decimal import Decimal

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.accounts.models import Store
from app.admin import queries, reference, services
from app.admin.defaults import DEFAULT_SETTINGS
from app.admin.forms import (
    ChannelForm,
    GradeForm,
    ReasonForm,
    SettingsForm,
    StageForm,
    StoreForm,
    VehicleForm,
)
from app.admin.models import DefeatReason, IntentGrade, PipelineStage, Setting, SourceChannel, VehicleModel
from app.admin.views import bp, error_message
from app.core.errors import DomainError
from app.extensions import db
from app.web.access import requires
from app.web.render import render


@dataclass(frozen=True)
class RefKind:
    model: type
    form: type
    title: object
    columns: tuple  # (attribute, heading)


NAMED = (
    ("code", _l("Code")),
    ("name_zh", _l("Chinese name")),
    ("name_en", _l("English name")),
    ("sort_order", _l("Order")),
)
KINDS = {
    "channels": RefKind(
        SourceChannel, ChannelForm, _l("Source channels"), NAMED + (("category", _l("Category")),)
    ),
    "grades": RefKind(
        IntentGrade,
        GradeForm,
        _l("Intent grades"),
        NAMED
        + (
            ("purchase_within_days", _l("Buys within (days)")),
            ("cadence_days", _l("Follow up every (days)")),
        ),
    ),
    "stages": RefKind(
        PipelineStage,
        StageForm,
        _l("Pipeline stages"),
        NAMED + (("kind", _l("Kind")), ("probability", _l("Win probability (%)"))),
    ),
    "defeat_reasons": RefKind(DefeatReason, ReasonForm, _l("Defeat reasons"), NAMED),
    "vehicles": RefKind(
        VehicleModel,
        VehicleForm,
        _l("Vehicle catalogue"),
        (
            ("brand", _l("Brand")),
            ("series", _l("Series")),
            ("name", _l("Model")),
            ("price", _l("Guide price (yuan)")),
            ("sort_order", _l("Order")),
        ),
    ),
}


# ---- stores -----------------------------------------------------------------------------------


@bp.get("/stores")
@requires("admin.configure")
def list_stores():
    """List stores with their number of active users."""
    return render("admin/stores.html", rows=queries.stores_with_counts(), button_form=EmptyForm())


@bp.route("/stores/new", methods=["GET", "POST"], defaults={"store_id": None})
@bp.route("/stores/<int:store_id>", methods=["GET", "POST"])
@requires("admin.configure")
def edit_store(store_id: int | None):
    """Create a store or change its details."""
    store = None
    if store_id is not None:
        store = db.session.get(Store, store_id) or abort(404)
    form = StoreForm(obj=store)
    if form.validate_on_submit():
        try:
            store = services.save_store(store, form.data, current_user)
        except DomainError as exc:
            form.code.errors.append(error_message(exc))
            return render("admin/store_form.html", form=form, store=store), 422
        db.session.commit()
        flash(_("Store %(code)s saved.", code=store.code), "success")
        return redirect(url_for("admin.list_stores"), code=303)
    return render("admin/store_form.html", form=form, store=store), 422 if form.errors else 200


@bp.post("/stores/<int:store_id>/active")
@requires("admin.configure")
def toggle_store(store_id: int):
    """Close an open store or reopen a closed one."""
    store = db.session.get(Store, store_id) or abort(404)
    if EmptyForm().validate_on_submit():
        services.set_store_active(store, not store.active, current_user)
        db.session.commit()
        flash(
            _("Store %(code)s is open.", code=store.code)
            if store.active
            else _("Store %(code)s is closed.", code=store.code),
            "success",
        )
    return redirect(url_for("admin.list_stores"), code=303)


# ---- reference lists --------------------------------------------------------------------------


def _kind(kind: str) -> RefKind:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


@bp.get("/reference/<kind>")
@requires("admin.configure")
def list_reference(kind: str):
    """List one kind of reference data in its display order."""
    ref = _kind(kind)
    rows = db.session.execute(select(ref.model).order_by(ref.model.sort_order, ref.model.id)).scalars().all()
    return render("admin/reference.html", kind=kind, ref=ref, kinds=KINDS, rows=rows)


@bp.route("/reference/<kind>/new", methods=["GET", "POST"], defaults={"row_id": None})
@bp.route("/reference/<kind>/<int:row_id>", methods=["GET", "POST"])
@requires("admin.configure")
def edit_reference(kind: str, row_id: int | None):
    """Create or change a channel, grade, stage, defeat reason or vehicle."""
    ref = _kind(kind)
    row = None
    if row_id is not None:
        row = db.session.get(ref.model, row_id) or abort(404)
    form = ref.form(obj=row)
    if row is not None and "code" in form:
        form.code.render_kw = {"readonly": True}
        form.code.data = row.code  # codes are referenced by the application and never renamed
    if form.validate_on_submit():
        values = {k: v for k, v in form.data.items() if k != "csrf_token"}
        try:
            services.save_reference(ref.model, row, values, current_user, kind)
        except DomainError as exc:
            db.session.rollback()
            target = form.code if exc.code == "code_taken" else form.active
            target.errors.append(error_message(exc))
            return render("admin/reference_form.html", form=form, kind=kind, ref=ref, row=row), 422
        db.session.commit()
        reference.clear_cache()
        flash(_("Saved."), "success")
        return redirect(url_for("admin.list_reference", kind=kind), code=303)
    return render(
        "admin/reference_form.html", form=form, kind=kind, ref=ref, row=row
    ), 422 if form.errors else 200


# ---- settings ---------------------------------------------------------------------------------


def _current_settings() -> dict:
    stored = {s.key: s.value for s in db.session.execute(select(Setting)).scalars()}
    return {**DEFAULT_SETTINGS, **stored}


@bp.route("/settings", methods=["GET", "POST"])
@requires("admin.configure")
def edit_settings():
    """Change the business rules: deadlines, reclaim, penalty, export cap."""
    current = _current_settings()
    penalty = {**DEFAULT_SETTINGS["penalty"], **(current.get("penalty") or {})}
    form = SettingsForm(
        data={
            **{
                k: current[k]
                for k in (
                    "first_contact_hours",
                    "reclaim_days",
                    "invited_not_arrived_days",
                    "export_row_cap",
                    "rsvp_cutoff_hours",
                    "brand_name",
                    "sms_signature",
                )
            },
            "penalty_base": penalty["base"],
            "penalty_doubling": penalty["doubling"],
            "penalty_manager_share": Decimal(str(penalty["manager_share"])),
            "penalty_repeat_period": penalty["repeat_period"],
            "penalty_item_cap": penalty["item_cap"],
            "penalty_monthly_cap": penalty["monthly_cap"],
        }
    )
    if form.validate_on_submit():
        values = {
            k: getattr(form, k).data
            for k in (
                "first_contact_hours",
                "reclaim_days",
                "invited_not_arrived_days",
                "export_row_cap",
                "rsvp_cutoff_hours",
            )
        }
        for key in ("brand_name", "sms_signature"):
            text = (getattr(form, key).data or "").strip()
            if text != (current.get(key) or ""):
                values[key] = text
        values["penalty"] = {
            "base": form.penalty_base.data,
            "doubling": bool(form.penalty_doubling.data),
            "manager_share": float(form.penalty_manager_share.data),
            "repeat_period": form.penalty_repeat_period.data,
            "item_cap": form.penalty_item_cap.data,
            "monthly_cap": form.penalty_monthly_cap.data,
        }
        services.save_settings(values, current_user)
        db.session.commit()
        reference.clear_cache()
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.edit_settings"), code=303)
    return render("admin/settings.html", form=form), 422 if form.errors else 200
