"""Follow-up pages: log a follow-up on a lead, request a defeat, the plans page and leave."""

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import Role, User
from app.core.errors import ConflictError, DomainError
from app.core.params import parse_ids, parse_int, parse_positive_int
from app.core.timeutil import today_for, utcnow
from app.extensions import db
from app.followups import panels, queries, services
from app.followups.defeats import request_defeat
from app.followups.forms import PLAN_KIND_LABELS, DefeatRequestForm, LeaveForm, MovePlansForm
from app.leads.page_updates import lead_page_updates, sent_from_lead_page
from app.leads.panels import shared_loads
from app.web.access import requires
from app.web.permissions import can, get_lead_or_404, store_scope_ids
from app.web.render import is_htmx, render

bp = Blueprint("followups", __name__)


def _input_from(form) -> services.FollowUpInput:
    def text(field):
        return (field.data or "").strip() if isinstance(field.data, str) else field.data

    plan_id = form.plan_id.data
    version = form.version.data
    return services.FollowUpInput(
        method=form.method.data,
        result=form.result.data,
        content=text(form.content),
        feedback=text(form.feedback),
        recording_url=text(form.recording_url),
        grade_id=form.grade_id.data or None,
        expected_purchase_date=form.expected_purchase_date.data,
        next_due=form.next_due.data,
        next_content=text(form.next_content) or "",
        late_reason=text(form.late_reason),
        version=parse_int(version, minimum=0),
        plan_id=parse_positive_int(plan_id),
        confirm_mismatch=bool(getattr(form, "confirm_mismatch", None) and form.confirm_mismatch.data),
    )


DOMAIN_MESSAGES = {
    "next_plan_required": lambda: _("A next plan is required: choose its date."),
    "plan_in_past": lambda: _("The plan date cannot be in the past."),
    "plan_content_required": lambda: _("Say what you will do next."),
    "late_reason_required": lambda: _("This is later than the grade's cadence allows: give a reason."),
    "content_required": lambda: _("You reached the customer: write what you talked about."),
    "bad_grade": lambda: _("Choose a grade."),
    "bad_method": lambda: _("Choose how you contacted the customer."),
    "bad_result": lambda: _("Choose the result."),
}


def _panel(lead, status=200, page_updates=None, **kw):
    return render(
        "followups/_panel.html",
        status=status,
        page_updates=page_updates,
        **panels.panel_context(lead, current_user, **kw),
    )


@bp.get("/leads/<int:lead_id>/followups/new")
@requires("lead.view")
def new_followup(lead_id: int):
    """Show the follow-up form of a lead on a page of its own."""
    lead = get_lead_or_404(current_user, lead_id)
    if not can(current_user, "followup.log"):
        abort(403)
    return render("followups/new.html", **panels.panel_context(lead, current_user))


@bp.post("/leads/<int:lead_id>/followups")
@requires("lead.view")
def log_followup(lead_id: int):
    """Record a follow-up and its next plan; answer the refreshed panel (422 with errors)."""
    lead = get_lead_or_404(current_user, lead_id)
    if not can(current_user, "followup.log"):
        abort(403)
    now = utcnow()
    form = panels.new_followup_form(lead, now, formdata=request.form)
    if not form.validate():
        return _panel(lead, 422, form=form, now=now)
    try:
        followup = services.log_followup(lead, _input_from(form), current_user, now)
        # Render inside the transaction (the rows are flushed) so nothing is read twice after commit.
        # From the lead page, the answer also brings its timeline, badges and dates up to date.
        with shared_loads():  # the panel reuses the timeline's follow-ups, comments and plans
            updates = lead_page_updates(lead) if is_htmx() and sent_from_lead_page(lead.id) else None
            response = _panel(lead, 200, now=now, saved=followup, page_updates=updates)
        db.session.commit()
    except (ConflictError, StaleDataError):
        db.session.rollback()
        lead = get_lead_or_404(current_user, lead_id)
        return _panel(
            lead,
            409,
            form=form,
            now=now,
            error=_("Someone else changed this customer meanwhile. Reload the page and try again."),
        )
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.details.get("field", ""), None)
        message = DOMAIN_MESSAGES[exc.code]() if exc.code in DOMAIN_MESSAGES else exc.message
        if field is not None:
            field.errors = [*field.errors, message]
        lead = get_lead_or_404(current_user, lead_id)
        return _panel(lead, 422, form=form, now=now, error=None if field is not None else message)
    return response


@bp.post("/leads/<int:lead_id>/defeat")
@requires("lead.view")
def request_lead_defeat(lead_id: int):
    """Ask the manager to mark this lead lost (战败), with a reason."""
    lead = get_lead_or_404(current_user, lead_id)
    if not can(current_user, "defeat.request"):
        abort(403)
    form = DefeatRequestForm(formdata=request.form)
    form.reason_id.choices = panels.reason_choices()
    if not form.validate():
        return _panel(lead, 422, error=_("Choose a reason and say what happened."))
    try:
        request_defeat(lead, form.reason_id.data, form.detail.data, current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        messages = {
            "already_pending": _("A defeat request is already waiting for approval."),
            "not_open": _("Only open leads can be marked lost."),
        }
        return _panel(lead, 422, error=messages.get(exc.code, exc.message))
    return _panel(lead, 200)


# ---- plans --------------------------------------------------------------------------------


@bp.get("/plans")
@requires("plans.view")
def list_plans():
    """Show today's, overdue and upcoming plans, with the leave form."""
    tab = request.args.get("tab", "today")
    if tab not in {"today", "overdue", "upcoming"}:
        tab = "today"
    today = today_for(current_user)
    rows = queries.plans_page(current_user, tab, today)
    counts = queries.plan_counts(current_user, today)
    move_form = None
    if current_user.role in {Role.MANAGER, Role.DIRECTOR}:
        move_form = MovePlansForm()
        move_form.to_user.choices = [
            (u.id, u.display_name) for u in queries.store_consultants(store_scope_ids(current_user))
        ]
    return render(
        "followups/plans.html",
        block="plans",
        rows=rows,
        counts=counts,
        tab=tab,
        today=today,
        leave_form=LeaveForm(),
        move_form=move_form,
        leave_result=None,
        kind_labels=PLAN_KIND_LABELS,
    )


@bp.post("/plans/leave")
@requires("plans.view")
def take_leave():
    """Record my time away and postpone or complete my plans in it."""
    form = LeaveForm()
    today = today_for(current_user)
    status, result = 200, None
    if form.validate_on_submit():
        try:
            _window, moved = services.take_leave(
                current_user, form.starts_on.data, form.ends_on.data, form.mode.data, form.reason.data, today
            )
            db.session.commit()
            result = _("%(n)s plans updated.", n=moved)
            form = LeaveForm(formdata=None)
        except DomainError as exc:
            db.session.rollback()
            messages = {
                "window_reversed": _("The last day is before the first day."),
                "window_past": _("This time is already over."),
                "window_too_long": _("At most three months at a time."),
            }
            getattr(form, exc.details.get("field", "ends_on")).errors = [messages.get(exc.code, exc.message)]
            status = 422
    else:
        status = 422
    return render("followups/_leave.html", status=status, leave_form=form, leave_result=result)


@bp.post("/plans/move")
@requires("team.manage")
def move_plans():
    """Give the selected plans to another consultant of the store."""
    form = MovePlansForm()
    form.to_user.choices = [
        (u.id, u.display_name) for u in queries.store_consultants(store_scope_ids(current_user))
    ]
    ids = parse_ids(request.form.getlist("plan"), limit=500)
    if not form.validate_on_submit() or not ids:
        abort(422)
    to_user = db.session.get(User, form.to_user.data)
    try:
        services.move_plans(ids, to_user, current_user, store_scope_ids(current_user))
        db.session.commit()
    except DomainError:
        db.session.rollback()
        abort(422)
    from app.web.render import hx_redirect

    return hx_redirect(request.referrer or url_for("followups.list_plans"))


from app.followups import views_manager, views_pool  # noqa: E402,F401  (routes of the same blueprint)
