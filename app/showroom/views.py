"""Showroom reception (信息员): register walk-ins, mark departures, today's traffic and retention."""

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.forms import EmptyForm
from app.accounts.models import Store
from app.admin.reference import grades, vehicle_models
from app.core.errors import DomainError
from app.core.names import vehicle_name
from app.core.params import parse_ids
from app.core.per_request import once_per_request
from app.core.timeutil import local_to_utc, local_today, to_local, utcnow, zone_for
from app.extensions import db
from app.showroom.forms import WalkInForm
from app.showroom.models import ShowroomVisit
from app.showroom.queries import duty_list, store_consultants, todays_visits, traffic_counts
from app.showroom.rules import format_rate, retention_rate
from app.showroom.services import WalkInContact, mark_departure, register_visit, set_duty
from app.web.access import requires
from app.web.permissions import get_scoped_or_404
from app.web.render import is_htmx, render, render_fragment

bp = Blueprint("showroom", __name__, url_prefix="/showroom")


def _store() -> Store:
    if current_user.store_id is None:
        abort(403)
    return db.session.get(Store, current_user.store_id)


def _roster(store: Store, today) -> tuple[list, list, set[int]]:
    """The store's active consultants, the ones a walk-in can be given to and the ids on duty
    today: read once per request (the form and the page both show them)."""

    def read():
        consultants = store_consultants(store.id)
        return (consultants, *duty_list(store.id, today, consultants))

    return once_per_request("reception_roster", (store.id, today), read)


def _walk_in_form(store: Store, today) -> WalkInForm:
    form = WalkInForm()
    _consultants, offered, _duty = _roster(store, today)
    form.consultant_id.choices = [(c.id, c.display_name) for c in offered]
    form.model_id.choices = [(0, _("Not sure yet"))] + [
        (m.id, vehicle_name(m.series, m.name)) for m in vehicle_models() if m.active
    ]
    form.grade.choices = [(g.code, g.code) for g in grades() if g.active]
    if request.method == "GET" and len(form.consultant_id.choices) == 1:
        form.consultant_id.data = form.consultant_id.choices[0][0]  # one on duty: nothing to choose
    if request.method == "GET":
        form.arrived_at.data = to_local(utcnow(), zone_for(store)).time().replace(second=0, microsecond=0)
    return form


def _traffic_context(store: Store, today) -> dict:
    counts = traffic_counts(store.id, today, zone_for(store))
    rate = retention_rate(counts["first_with_contact"], counts["first"])
    return {
        "visits": todays_visits(store.id, today, zone_for(store)),
        "counts": counts,
        "retention": format_rate(rate),
        "action_form": EmptyForm(),
    }


def _page(store: Store, form: WalkInForm, today, status: int = 200, block: str | None = None):
    consultants, _offered, duty = _roster(store, today)
    return render(
        "showroom/reception.html",
        block=block,
        status=status,
        store=store,
        form=form,
        today=today,
        consultants=consultants,
        duty=duty,
        **_traffic_context(store, today),
    )


@bp.get("/reception")
@requires("showroom.reception")
def reception():
    """Show the reception screen: the walk-in form and today's traffic."""
    store = _store()
    today = local_today(tz=zone_for(store))
    return _page(store, _walk_in_form(store, today), today)


@bp.get("/reception/traffic")
@requires("showroom.reception")
def traffic():
    """Return today's traffic list and retention rate (refreshed by HTMX)."""
    if not is_htmx():  # the fragment alone is no page: open the reception screen instead
        return redirect(url_for("showroom.reception"), code=303)
    store = _store()
    today = local_today(tz=zone_for(store))
    return render_fragment(
        "showroom/reception.html",
        "traffic",
        url_for("showroom.reception"),
        store=store,
        today=today,
        **_traffic_context(store, today),
    )


@bp.post("/reception")
@requires("showroom.reception")
def register_walk_in():
    """Register a walk-in; with contact info, link or create the customer."""
    store = _store()
    today = local_today(tz=zone_for(store))
    form = _walk_in_form(store, today)
    if not form.validate():
        return _page(store, form, today, status=422, block="walkin_form")
    contact = None
    if form.left_contact.data == "yes":
        contact = WalkInContact(
            name=form.name.data.strip(),
            phone=form.phone_e164,
            gender=form.gender.data,
            model_id=form.model_id.data or None,
            grade_code=form.grade.data,
        )
    arrived = local_to_utc(datetime.combine(today, form.arrived_at.data), zone_for(store))
    try:
        register_visit(
            store_id=store.id,
            actor=current_user,
            arrived_at=min(arrived, utcnow()),
            party_size=form.party_size.data,
            consultant_id=form.consultant_id.data,
            is_first_visit=form.first_visit.data == "yes",
            contact=contact,
            today=today,
        )
    except DomainError as exc:
        db.session.rollback()
        form.party_size.errors.append(exc.message)
        return _page(store, form, today, status=422, block="walkin_form")
    db.session.commit()
    flash(_("Walk-in registered."), "success")
    return redirect(url_for("showroom.reception"), code=303)


@bp.post("/visits/<int:visit_id>/depart")
@requires("showroom.reception")
def depart(visit_id):
    """Mark that a visitor left the showroom (one tap)."""
    store = _store()
    if not EmptyForm().validate_on_submit():
        abort(400)
    visit = get_scoped_or_404(current_user, ShowroomVisit, visit_id)
    mark_departure(visit, current_user)
    db.session.commit()
    if is_htmx():
        today = local_today(tz=zone_for(store))
        return render(
            "showroom/reception.html",
            block="traffic",
            store=store,
            today=today,
            **_traffic_context(store, today),
        )
    return redirect(url_for("showroom.reception"), code=303)


@bp.post("/reception/duty")
@requires("showroom.reception")
def update_duty():
    """Set who is on duty in the showroom today."""
    store = _store()
    if not EmptyForm().validate_on_submit():
        abort(400)
    today = local_today(tz=zone_for(store))
    allowed = {c.id for c in store_consultants(store.id)}
    chosen = set(parse_ids(request.form.getlist("on_duty"))) & allowed
    set_duty(store.id, today, chosen, current_user)
    db.session.commit()
    flash(_("Today's duty list saved."), "success")
    return redirect(url_for("showroom.reception"), code=303)
