"""Lead pages: list, entry form, detail with timeline, edit, phone reveal, transfer request."""

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.forms import EmptyForm
from app.accounts.models import Role, Store, User
from app.admin.reference import open_stage_ids
from app.audit.services import record
from app.core.errors import ConflictError, DomainError
from app.core.money import yuan
from app.core.names import vehicle_name
from app.core.params import parse_ids, parse_int
from app.core.timeutil import today_for
from app.extensions import db, limiter
from app.leads import timeline as _timeline  # noqa: F401 - registers the lead timeline sources
from app.leads.bulk import run_bulk_action
from app.leads.editing import EDITABLE, form_data, form_values, update_lead
from app.leads.entry import enter_lead
from app.leads.filters import ASCENDING_ONLY, InvalidFilter, LeadFilter
from app.leads.forms import DECISION_ROLES, BulkForm, LeadCreateForm, LeadEditForm, TransferForm
from app.leads.models import Lead
from app.leads.page_updates import reference_maps
from app.leads.panels import panels, shared_loads
from app.leads.queries import check_phone, lead_page
from app.leads.rules import concurrent_changes
from app.leads.services import LeadInput, record_grade_date_override
from app.leads.timeline import lead_timeline
from app.leads.transfers import request_transfer as create_transfer_request
from app.web.access import requires
from app.web.htmx import set_push_url
from app.web.permissions import can, get_lead_or_404, may_reveal_phone, may_see_phone, scoped_leads
from app.web.render import hx_redirect, is_htmx, render
from app.web.urls import paths_for

bp = Blueprint("leads", __name__, url_prefix="/leads")


def _require(action: str) -> None:
    if not can(current_user, action):
        abort(403)


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


# Every answer to "does this number exist?" (entry form, reception, DCC) shares one per-user
# budget: enough for typing, too little to walk through numbers.
phone_check_limit = limiter.shared_limit(
    lambda: current_app.config["PHONE_CHECK_RATE_LIMIT"], scope="phone-check", key_func=_per_user
)


@bp.post("/check-phone", endpoint="check_phone")
@requires("lead.view")
@phone_check_limit
def check_phone_view():
    """Answer, as the phone is typed, whether this customer already exists (HTML fragment).

    POST, so that the number travels in the body and never in an address or an access log.
    """
    result = check_phone(current_user, request.form.get("phone", ""))
    extra = {"transfer_button": False} if request.form.get("context") == "door" else {}
    return render("leads/_phone_check.html", result=result, **extra)


# ---- list ---------------------------------------------------------------------------------------


def _filter_choices(user, flt: LeadFilter) -> dict:
    """Owners and stores the user may filter by (one query each); a director picks a store first."""
    if user.role in {Role.CONSULTANT, Role.DCC}:
        return {"owners": [], "stores": []}
    group = user.role in {Role.DIRECTOR, Role.ADMIN}
    stores_q = select(Store.id, Store.name).order_by(Store.code)
    if not group:
        stores_q = stores_q.where(Store.id == user.store_id)
    owner_store = flt.store if group else user.store_id
    owners = []
    if owner_store:
        owners = db.session.execute(
            select(User.id, User.display_name)
            .where(User.role == Role.CONSULTANT, User.store_id == owner_store)
            .order_by(User.display_name)
        ).all()
    return {"owners": owners, "stores": db.session.execute(stores_q).all()}


def _labels(refs: dict) -> dict[int, str]:
    """Reference labels by id in the user's language, looked up once per page rather than per row."""
    locale = str(get_locale() or "zh_CN")
    return {ref_id: ref.label(locale) for ref_id, ref in refs.items()}


@bp.get("")
@requires("lead.view")
def list_leads():
    """List the leads in the user's scope with filters, search, sort and pages."""
    try:
        flt = LeadFilter.from_args(request.args)
    except InvalidFilter:
        abort(400)
    page_no = parse_int(request.args.get("page"), minimum=1, maximum=10_000) or 1
    page = lead_page(current_user, flt, today_for(current_user), page=page_no)
    bulk = BulkForm() if can(current_user, "lead.assign") else None
    choices = _filter_choices(current_user, flt)
    refs = reference_maps()
    response = render(
        "leads/list.html",
        block="results",
        flt=flt,
        page=page,
        bulk=bulk,
        refs=refs,
        stage_names=_labels(refs["stages"]),
        channel_names=_labels(refs["channels"]),
        lead_path=paths_for("leads.lead_detail", "lead_id"),
        ascending_only=ASCENDING_ONLY,
        may_see_phone=may_see_phone,
        viewer=current_user._get_current_object(),  # the user itself: read per row without the proxy
        today=today_for(current_user),
        open_ids=set(open_stage_ids()),
        **choices,
    )
    if is_htmx():  # the address bar shows the filters without the empty fields of the form
        set_push_url(
            response,
            url_for("leads.list_leads", **flt.to_args(), **({"page": page.page} if page.page > 1 else {})),
        )
    return response


@bp.post("/bulk")
@requires("lead.assign")
def bulk_action():
    """Assign ticked leads to a consultant of their store, or change their grade (managers, directors)."""
    form = BulkForm()
    ids = parse_ids(request.form.getlist("ids"), limit=500)
    if not form.validate_on_submit() or not ids:
        flash(_("Tick at least one lead."), "error")
        return redirect(url_for("leads.list_leads", **_back_args()), code=303)
    leads = db.session.execute(scoped_leads(current_user).where(Lead.id.in_(ids))).scalars().all()
    try:
        done = run_bulk_action(
            form.action.data, leads, owner_id=form.owner.data, grade_id=form.grade.data, actor=current_user
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("leads.list_leads", **_back_args()), code=303)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("leads.list_leads", **_back_args()), code=303)


def _back_args() -> dict:
    """The list filters the bulk form carried back (so the user lands on the same list)."""
    try:
        return json.loads(request.form.get("back") or "{}")
    except ValueError:
        return {}


# ---- entry --------------------------------------------------------------------------------------


def _lead_input(form) -> LeadInput:
    return LeadInput(
        name=form.name.data,
        phone=form.phone.data,
        gender=form.gender.data,
        source_channel_id=form.source_channel.data,
        model_id=form.model.data or None,
        grade_id=form.grade.data,
        expected_purchase_date=form.expected_purchase_date.data,
        email=form.email.data or None,
        birthday=form.birthday.data,
        age=form.age.data,
        region=(form.region.data or "").strip() or None,
        budget_min=form.budget_min.data,
        budget_max=form.budget_max.data,
        preferences=(form.preferences.data or "").strip() or None,
        decision_role=form.decision_role.data or None,
        notes=(form.notes.data or "").strip() or None,
        marketing_consent=form.marketing_consent.data,
        consent_source="staff",
    )


def _entry_target(form) -> tuple[int | None, int | None]:
    """Return (store id, owner id) for a new lead: consultants own theirs, others choose or use the pool."""
    if not can(current_user, "lead.choose_owner"):
        return current_user.store_id, current_user.id
    owner_id = int(form.owner.data) if (form.owner.data or "").isdigit() else None
    if owner_id is not None and owner_id in form.consultant_store:
        return form.consultant_store[owner_id], owner_id
    if current_user.role in {Role.DIRECTOR, Role.ADMIN}:
        return form.store.data or None, None
    return current_user.store_id, None


@bp.route("/new", methods=["GET", "POST"])
@requires("lead.create")
def new_lead():
    """Enter a new lead (the seven mandatory fields, the rest optional) with a live duplicate check."""
    form = LeadCreateForm()
    form.fill_choices()
    form.fill_people(current_user)
    if request.method == "GET":
        form.expected_purchase_date.data = None
        return render("leads/new.html", form=form, duplicate=None)
    if not form.validate_on_submit():
        return render("leads/new.html", block="form", status=422, form=form, duplicate=None)
    overridden = form.check_grade_date(current_user, today_for(current_user))
    if overridden is False:
        return render("leads/new.html", block="form", status=422, form=form, duplicate=None)
    store_id, owner_id = _entry_target(form)
    if not store_id:
        form.store.errors = [_("Choose the store.")]
        return render("leads/new.html", block="form", status=422, form=form, duplicate=None)
    try:
        lead, created = enter_lead(
            _lead_input(form), actor=current_user, store_id=store_id, owner_id=owner_id
        )
    except DomainError as exc:
        if exc.code != "duplicate":
            raise
        db.session.rollback()
        result = check_phone(current_user, form.phone.data)
        form.phone.errors = [_("This customer already exists: log a follow-up or request a transfer.")]
        return render("leads/new.html", block="form", status=422, form=form, duplicate=result)
    if overridden and created:
        record_grade_date_override(lead, current_user, form.grade.data, form.expected_purchase_date.data)
    db.session.commit()
    visible = (
        db.session.execute(
            scoped_leads(current_user).with_only_columns(Lead.id).where(Lead.id == lead.id)
        ).first()
        is not None
    )
    if created:
        flash(_("Lead %(name)s created.", name=lead.name), "success")
    else:
        flash(_("Repeat purchase recorded on the existing customer."), "success")
    target = url_for("leads.lead_detail", lead_id=lead.id) if visible else url_for("leads.new_lead")
    return hx_redirect(target)


# ---- detail -------------------------------------------------------------------------------------


def _load(lead_id: int) -> Lead:
    return get_lead_or_404(
        current_user,
        lead_id,
        joinedload(Lead.owner),
        joinedload(Lead.store),
        joinedload(Lead.model),
        joinedload(Lead.created_by),
    )


def _panels(lead: Lead) -> list[Markup]:
    """Render the panels other domains registered for the lead page, in their order."""
    out = []
    for _order, _name, func in panels():
        result = func(lead, current_user)
        if result:
            template, context = result
            out.append(Markup(render_template(template, **{"lead": lead, **context})))  # noqa: S704 - autoescaped template
    return out


def _detail_context(lead: Lead, revealed: bool = False) -> dict:
    with shared_loads():  # the panels reuse the timeline's follow-ups, comments and plans
        timeline = lead_timeline([lead.id])
        lead_panels = _panels(lead)
    return {
        "lead": lead,
        "refs": reference_maps(),
        "timeline": timeline,
        "panels": lead_panels,
        "sees_phone": may_see_phone(current_user, lead) or revealed,
        "may_reveal": may_reveal_phone(current_user) and not may_see_phone(current_user, lead),
        "today": today_for(current_user),
        "button_form": EmptyForm(),
        "decision_roles": {value: label for value, label in DECISION_ROLES if value},
    }


@bp.get("/<int:lead_id>")
@requires("lead.view")
def lead_detail(lead_id: int):
    """Show every field of the lead, its panels and one timeline, newest first."""
    lead = _load(lead_id)
    return render("leads/detail.html", **_detail_context(lead))


@bp.post("/<int:lead_id>/reveal")
@requires("lead.view")
def reveal_phone(lead_id: int):
    """Show the full phone number to a user allowed to reveal it, and audit that they did."""
    lead = _load(lead_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if not (may_reveal_phone(current_user) or may_see_phone(current_user, lead)):
        abort(403)
    record("lead.reveal_phone", current_user, "lead", lead.id)
    db.session.commit()
    return render("leads/detail.html", block="phone", **_detail_context(lead, revealed=True))


# ---- edit ---------------------------------------------------------------------------------------


def _display(refs: dict, name: str, value) -> str:
    """Show a stored value the way the form shows it (labels, not ids)."""
    from flask_babel import get_locale

    if value in (None, ""):
        return "—"
    locale = str(get_locale() or "zh_CN")
    lookup = {"grade": refs["grades"], "source_channel": refs["channels"]}.get(name)
    if lookup is not None:
        ref = lookup.get(int(value))
        return ref.label(locale) if ref else str(value)
    if name == "model":
        from app.admin.reference import vehicle_models

        models = {m.id: vehicle_name(m.series, m.name) for m in vehicle_models()}
        return models.get(int(value), str(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in ("budget_min", "budget_max"):
        return yuan(value)
    return str(value)


def _edit_form_data(form) -> dict:
    values = {}
    for name in EDITABLE:
        value = getattr(form, name).data
        values[name] = value if value not in ("",) else None
    for name in ("source_channel", "model", "grade"):
        values[name] = values[name] or None
    return values


EDIT_ATTEMPTS = 5  # a save that lost the race for the row is merged again with the newer version


def _lock_for_edit(lead: Lead) -> None:
    """Lock the lead's row until commit and read its latest values (a no-op lock on SQLite)."""
    db.session.execute(
        select(Lead).where(Lead.id == lead.id).with_for_update().execution_options(populate_existing=True)
    )


@bp.route("/<int:lead_id>/edit", methods=["GET", "POST"])
@requires("lead.view")
def edit_lead(lead_id: int):
    """Edit the lead; a save based on an old version keeps the other person's changes and applies this
    user's changes to other fields; the same field changed by both is refused with both values."""
    lead = _load(lead_id)
    _require("lead.edit")
    form = LeadEditForm() if request.method == "POST" else LeadEditForm(data=form_data(lead))
    form.fill_choices()
    if request.method == "GET":
        form.version.data = lead.version
        form.original.data = json.dumps(form_values(lead), ensure_ascii=False)
        return render("leads/edit.html", form=form, lead=lead, changes=[])
    if not form.validate_on_submit():
        return render("leads/edit.html", block="form", status=422, form=form, lead=lead, changes=[])
    overridden = None
    if form.grade.data != lead.grade_id or form.expected_purchase_date.data != lead.expected_purchase_date:
        overridden = form.check_grade_date(current_user, today_for(current_user))
        if overridden is False:
            return render("leads/edit.html", block="form", status=422, form=form, lead=lead, changes=[])
    mine = _edit_form_data(form)
    try:
        expected = int(form.version.data or 0)
    except ValueError:
        abort(400)
    try:
        original = json.loads(form.original.data or "{}")
    except ValueError:
        original = {}
    if not isinstance(original, dict):
        original = {}
    for attempt in range(EDIT_ATTEMPTS):
        try:
            # Edits of one lead queue up on its row (PostgreSQL), so each merges with the last one saved.
            _lock_for_edit(lead)
            update_lead(lead, mine, expected_version=expected, actor=current_user, original=original or None)
            if overridden:
                record_grade_date_override(
                    lead, current_user, form.grade.data, form.expected_purchase_date.data
                )
            db.session.commit()
            break
        except ConflictError as exc:
            db.session.rollback()
            lead = _load(lead_id)
            if exc.details.get("retry") and attempt + 1 < EDIT_ATTEMPTS:
                continue
            current = form_values(lead)
            refs = reference_maps()
            changes = [
                (
                    getattr(form, c.field).label.text,
                    _display(refs, c.field, c.theirs),
                    _display(refs, c.field, _plain_form(c.yours)),
                )
                for c in concurrent_changes(original, current, mine)
            ]
            # The form keeps the user's input; the new version lets them save it over the other change.
            form.version.data = lead.version
            form.original.data = json.dumps(current, ensure_ascii=False)
            return render(
                "leads/edit.html",
                block="form",
                status=409,
                form=form,
                lead=lead,
                changes=changes,
                conflict=True,
            )
    flash(_("Changes saved."), "success")
    return redirect(url_for("leads.lead_detail", lead_id=lead.id), code=303)


def _plain_form(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---- transfer request ---------------------------------------------------------------------------


def _lead_by_phone_token(lead_id: int, phone: str) -> Lead:
    """Load a lead out of the user's scope only for someone who typed its phone number (else 404)."""
    from app.core.phones import InvalidPhone, normalize_phone

    try:
        e164 = normalize_phone(phone or "")
    except InvalidPhone:
        abort(404)
    lead = db.session.execute(
        select(Lead)
        .options(joinedload(Lead.owner), joinedload(Lead.store))
        .where(Lead.id == lead_id, Lead.phone == e164, Lead.merged_into_id.is_(None))
    ).scalar_one_or_none()
    if lead is None:
        abort(404)
    return lead


@bp.post("/<int:lead_id>/transfer")
@requires("lead.create")
def request_transfer(lead_id: int):
    """Ask the store's managers to hand over an existing customer instead of entering a duplicate.

    Reached from the duplicate warning by POST (`start`), so the phone that proves the user is
    talking to the customer never appears in an address.
    """
    form = TransferForm()
    phone = request.form.get("phone", "")
    lead = _lead_by_phone_token(lead_id, phone)
    form.phone.data = phone
    if request.form.get("start"):
        form.reason.data = None
        return render("leads/transfer.html", block="form", form=form, lead=lead)
    if form.validate_on_submit():
        try:
            create_transfer_request(lead, actor=current_user, reason=form.reason.data)
        except DomainError as exc:
            form.reason.errors = [
                _("This customer is already yours.")
                if exc.code == "own_lead"
                else _("You have already asked for this customer; the manager will decide.")
            ]
            return render("leads/transfer.html", block="form", status=422, form=form, lead=lead)
        db.session.commit()
        flash(_("Transfer requested: the store manager will decide."), "success")
        return hx_redirect(url_for("leads.new_lead"))
    return render("leads/transfer.html", block="form", status=422, form=form, lead=lead)


from app.leads import manage_views  # noqa: E402,F401 - export, merge and anonymise routes on this blueprint
