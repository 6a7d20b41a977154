"""Staff pages for events and invitation metrics; the blueprint of all invitation staff pages.

Campaigns and call lists are in `views_campaigns`, the invitation actions of the lead page in
`views_leads` (routes of the same blueprint, same endpoint names).
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.accounts.models import Role, Store
from app.core.errors import DomainError
from app.core.timeutil import local_to_utc, utcnow, zone_for
from app.extensions import db
from app.invitations import panels as _panels  # noqa: F401  (lead page panel and timeline)
from app.invitations import queries, rules, services
from app.invitations.forms import EventForm, PostponeForm, error_text, event_form_data, local_naive
from app.invitations.models import Event, Invitation
from app.invitations.rules import percent
from app.leads.models import Lead
from app.web.access import requires
from app.web.permissions import can, get_scoped_or_404, lead_scope_clause, store_scope_ids
from app.web.render import hx_redirect, render

bp = Blueprint("invitations", __name__)


def tz_of(store_id: int | None = None) -> str:
    """The zone of the event's store (the user's store for a new event)."""
    return zone_for(store_id) if store_id else zone_for(current_user)


def _event_or_404(event_id: int) -> Event:
    return get_scoped_or_404(current_user, Event, event_id)


def store_choices() -> list[tuple[int, str]]:
    """(id, name) of the active stores the user works for."""
    ids = store_scope_ids(current_user)
    stmt = select(Store.id, Store.name).where(Store.active.is_(True)).order_by(Store.code)
    if ids is not None:
        stmt = stmt.where(Store.id.in_(ids or [-1]))
    return [(i, n) for i, n in db.session.execute(stmt).all()]


def invitation_for_update(invitation_id: int) -> tuple[Invitation, Lead]:
    """Load an invitation the user works on: their own, or any in their stores for managers."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        abort(404)
    if invitation.inviter_id != current_user.id:
        ids = store_scope_ids(current_user)
        if not can(current_user, "event.manage") or (ids is not None and invitation.store_id not in ids):
            abort(404)
    lead = db.session.get(Lead, invitation.lead_id)
    return invitation, lead


# ---- events -----------------------------------------------------------------------------------


@bp.get("/events")
@requires("event.view")
def list_events():
    """List the events of the user's stores with their funnel counts."""
    rows = queries.events_for(current_user)
    return render("invitations/events.html", rows=rows, percent=percent)


def _save_event_form(event: Event | None):
    shown = event is not None and request.method != "POST"
    form = EventForm(data=event_form_data(event, tz_of(event.store_id)) if shown else None)
    form.store_id.choices = store_choices()
    if form.validate_on_submit():
        try:
            saved = services.save_event(
                event,
                form.event_data(tz_of(form.store_id.data)),
                actor=current_user,
                image=form.image_bytes(),
                remove_image=form.remove_image.data,
            )
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.details.get("field", "theme")).errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Event saved."), "success")
            return redirect(url_for("invitations.show_event", event_id=saved.id), code=303)
    status = 422 if request.method == "POST" else 200
    image = queries.event_image_args(event.id) if event else None
    return render("invitations/event_form.html", form=form, event=event, image=image, status=status)


@bp.route("/events/new", methods=["GET", "POST"])
@requires("event.manage")
def new_event():
    """Create an event."""
    return _save_event_form(None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@requires("event.manage")
def edit_event(event_id: int):
    """Edit an event."""
    return _save_event_form(_event_or_404(event_id))


@bp.get("/events/<int:event_id>")
@requires("event.view")
def show_event(event_id: int):
    """Show an event with its live funnel and guest list (who accepted, reconfirmed, arrived)."""
    event = _event_or_404(event_id)
    status = request.args.get("status", "accepted")
    if status not in queries.GUEST_FILTERS:
        status = "accepted"
    sees_all_guests = can(current_user, "event.manage") or current_user.role == Role.CLERK
    rows = queries.guests(
        event.id, status, lead_scope=None if sees_all_guests else lead_scope_clause(current_user)
    )
    block = request.args.get("block") if request.args.get("block") in ("funnel", "guests") else None
    return render(
        "invitations/event.html",
        block=block,
        event=event,
        store=db.session.get(Store, event.store_id),
        funnel=queries.funnel(event.id),
        rows=rows,
        guest_status=status,
        percent=percent,
        tz=tz_of(event.store_id),
        form=EmptyForm(),
        now=utcnow(),
        postpone_form=_postpone_form(event),
        image=queries.event_image_args(event.id) if block is None else None,
    )


def _postpone_form(event: Event, formdata=None) -> PostponeForm:
    tz = tz_of(event.store_id)
    return PostponeForm(
        formdata=formdata, starts_at=local_naive(event.starts_at, tz), ends_at=local_naive(event.ends_at, tz)
    )


@bp.post("/events/<int:event_id>/cancel")
@requires("event.manage")
def cancel_event(event_id: int):
    """Cancel an event; every accepted guest is told by SMS and e-mail (audited)."""
    event = _event_or_404(event_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        told = services.cancel_event(event, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The event is cancelled; %(n)s guests are being told.", n=told), "success")
    return redirect(url_for("invitations.show_event", event_id=event_id), code=303)


@bp.post("/events/<int:event_id>/postpone")
@requires("event.manage")
def postpone_event(event_id: int):
    """Move an event to a new time; every accepted guest is told by SMS and e-mail (audited)."""
    event = _event_or_404(event_id)
    form = _postpone_form(event, formdata=request.form)
    if not form.validate_on_submit():
        flash(error_text(form), "error")
        return redirect(url_for("invitations.show_event", event_id=event_id), code=303)
    tz = tz_of(event.store_id)
    try:
        told = services.postpone_event(
            event,
            local_to_utc(form.starts_at.data, tz),
            local_to_utc(form.ends_at.data, tz),
            actor=current_user,
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The event has a new time; %(n)s guests are being told.", n=told), "success")
    return redirect(url_for("invitations.show_event", event_id=event_id), code=303)


@bp.post("/invitations/<int:invitation_id>/reconfirm")
@requires("invitation.send")
def reconfirm_invitation(invitation_id: int):
    """Mark an accepted guest as reconfirmed (called the day before)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    invitation, _lead = invitation_for_update(invitation_id)
    try:
        services.reconfirm(invitation, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
        return hx_redirect(
            request.referrer or url_for("invitations.show_event", event_id=invitation.event_id)
        )
    db.session.commit()
    return hx_redirect(url_for("invitations.show_event", event_id=invitation.event_id))


@bp.get("/events/metrics")
@requires("invitation.send")
def metrics():
    """Show invitation success, feedback and attendance rates by campaign, event, consultant or DCC agent."""
    group = request.args.get("by", "event")
    if group not in queries.GROUPS:
        group = "event"
    rows = queries.invitation_metrics(
        group, store_ids=store_scope_ids(current_user), tz=zone_for(current_user)
    )
    if current_user.role in (Role.CONSULTANT, Role.DCC):
        rows = rules.own_metric_rows(rows, group, current_user.id)
    return render("invitations/metrics.html", rows=rows, group=group, percent=percent)


from app.invitations import views_campaigns, views_leads  # noqa: E402,F401  (routes of the same blueprint)
