"""DCC (call centre) pages: the inbound call screen, the outbound queue and the agent's figures."""

from datetime import timedelta

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.admin.reference import channel_by_code, vehicle_models
from app.core.errors import DomainError
from app.core.names import vehicle_name
from app.core.timeutil import today_for, utcnow, zone_for
from app.dcc import queries, services
from app.dcc.forms import InboundLeadForm, OutcomeForm
from app.extensions import db
from app.followups import rules
from app.followups.panels import grade_choices
from app.followups.queries import store_consultants
from app.leads.queries import check_phone
from app.leads.services import LeadInput
from app.leads.views import phone_check_limit
from app.web.access import requires
from app.web.permissions import get_lead_or_404, get_store_lead_or_404
from app.web.render import hx_redirect, render

bp = Blueprint("dcc", __name__, url_prefix="/dcc")


def _inbound_form(formdata=None) -> InboundLeadForm:
    form = InboundLeadForm(formdata=formdata)
    form.grade_id.choices = grade_choices()
    form.model_id.choices = [(m.id, vehicle_name(m.series, m.name)) for m in vehicle_models() if m.active]
    return form


@bp.get("/inbound")
@requires("dcc.work")
def inbound():
    """The inbound call screen: look the caller up by number, or enter them as a new customer."""
    return render("dcc/inbound.html", block="lookup", result=None, form=_inbound_form())


@bp.post("/inbound/lookup")
@requires("dcc.work")
@phone_check_limit
def lookup():
    """Look the caller up by number (POST: the number stays out of addresses and access logs)."""
    phone = request.form.get("phone", "")
    result = check_phone(current_user, phone) if phone.strip() else None
    form = _inbound_form(formdata=None)
    if result is not None:
        form.phone.data = phone
    return render("dcc/inbound.html", block="lookup", result=result, form=form, phone=phone)


@bp.post("/inbound")
@requires("dcc.work")
def create_inbound():
    """Create the caller as a new customer (source 400 or showroom call) in a few seconds."""
    form = _inbound_form(request.form)
    if not form.validate():
        return render("dcc/inbound.html", block="lookup", status=422, result=None, form=form)
    data = LeadInput(
        name=form.name.data,
        phone=form.phone.data,
        gender=form.gender.data,
        source_channel_id=channel_by_code(form.channel.data).id,
        model_id=form.model_id.data,
        grade_id=form.grade_id.data,
        expected_purchase_date=form.expected_purchase_date.data,
        source_detail=form.note.data or None,
    )
    try:
        lead = services.create_inbound_lead(data, current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.code == "duplicate":
            return render(
                "dcc/inbound.html",
                block="lookup",
                status=409,
                result=check_phone(current_user, form.phone.data),
                form=form,
            )
        form.phone.errors = [_("This is not a valid mobile number.")]
        return render("dcc/inbound.html", block="lookup", status=422, result=None, form=form)
    return hx_redirect(url_for("followups.new_followup", lead_id=lead.id))


@bp.post("/inbound/<int:lead_id>/note")
@requires("dcc.work")
def note_call(lead_id: int):
    """Note the call of another consultant's customer and tell that consultant."""
    lead = get_store_lead_or_404(current_user, lead_id)
    channel = request.form.get("channel", "hotline_400")
    if channel not in services.INBOUND_CHANNELS:
        abort(422)
    services.note_call_for_owner(
        lead, channel_by_code(channel).id, request.form.get("note", "")[:255], current_user
    )
    db.session.commit()
    return render("dcc/_noted.html")


def _outcome_form():
    form = OutcomeForm()
    form.consultant.choices = [(0, "—")] + [
        (u.id, u.display_name)
        for u in store_consultants([current_user.store_id] if current_user.store_id else None)
    ]
    return form


@bp.get("/queue")
@requires("dcc.work")
def outbound_queue():
    """List my DCC leads by due date with an outcome form each, and my figures this month."""
    now = utcnow()
    tz = zone_for(current_user)
    today = today_for(current_user, now)
    month_start = today.replace(day=1)
    figures = queries.figures(
        current_user.id,
        rules.local_midnight_utc(month_start, tz),
        rules.local_midnight_utc(today + timedelta(days=1), tz),
    )
    return render(
        "dcc/queue.html",
        rows=queries.outbound_queue(current_user.id),
        today=today,
        form=_outcome_form(),
        figures=figures,
    )


@bp.post("/queue/<int:lead_id>")
@requires("dcc.work")
def record_outcome(lead_id: int):
    """Record a call outcome; 'appointment booked' hands the customer to a consultant."""
    lead = get_lead_or_404(current_user, lead_id)
    form = _outcome_form()
    if not form.validate_on_submit():
        abort(422)
    try:
        if form.outcome.data == "appointment":
            consultant = db.session.get(User, form.consultant.data or 0)
            services.book_appointment(
                lead, consultant, form.day.data or today_for(current_user), form.note.data or "", current_user
            )
        else:
            services.log_call_outcome(lead, form.outcome.data, form.note.data or "", current_user)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        return render("dcc/_outcome_error.html", status=422)
    return hx_redirect(url_for("dcc.outbound_queue"))
