"""The door screen: scanner input, search by name or phone tail, walk-ins and live counters."""

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.checkin import services
from app.checkin.forms import WalkInForm
from app.core.commit import commit_keeping_loaded
from app.core.errors import DomainError
from app.core.params import parse_positive_int
from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations import queries
from app.invitations.models import Event, Invitation
from app.showroom.queries import store_consultants
from app.web.access import requires
from app.web.permissions import get_scoped_or_404, store_scope_ids
from app.web.render import render

bp = Blueprint("checkin", __name__, url_prefix="/checkin")
MESSAGES = {
    "unknown_token": _l("Unknown code."),
    "other_event": _l("This code is for another event."),
    "expired": _l("This code has expired."),
    "cancelled": _l("This invitation was cancelled."),
    "invalid_headcount": _l("Enter between 1 and 20 people."),
    "invalid_phone": _l("Please enter a valid mobile number."),
    "not_checked_in": _l("The guest has not been checked in."),
    "bad_consultant": _l("Choose a consultant of this store."),
    "client_id_reused": _l(
        "This request id was already used for another guest. Nothing was saved; please try again."
    ),
}


def _event_or_404(event_id: int) -> Event:
    return get_scoped_or_404(current_user, Event, event_id)


def _result(
    event: "Event | services.DoorEvent",
    *,
    invitation_id: int | None,
    outcome: str,
    error: str | None = None,
    details: dict | None = None,
    status: int = 200,
    guest=None,
    counters: dict | None = None,
):
    """The door's answer; `guest` and `counters` are what the check-in already read (else they are read here)."""
    if guest is None and invitation_id:
        guest = queries.door_guest(invitation_id)
    if counters is None:
        counters = queries.door_counters(event.id)
    return render(
        "checkin/_result.html",
        event=event,
        guest=guest,
        outcome=outcome,
        error=error,
        details=details or {},
        counters=counters,
        oob=True,
        status=status,
    )


def _checked_in(event: "Event | services.DoorEvent", result: services.CheckInResult):
    """The answer to a successful scan, from what the check-in already read (no re-read): the
    guest and the door counts with this check-in."""
    outcome = "repeat" if result.repeat else "ok"
    return _result(
        event,
        invitation_id=result.invitation_id,
        outcome=outcome,
        guest=result.guest,
        counters=result.counters,
    )


@bp.get("/<int:event_id>")
@requires("checkin.door")
def door(event_id: int):
    """Show the kiosk screen for one event: scanner field, search, walk-in form, counters."""
    event = _event_or_404(event_id)
    return render(
        "checkin/door.html",
        event=event,
        counters=queries.door_counters(event.id),
        recent=queries.recent_checkins(event.id),
        walk_in=WalkInForm(formdata=None),
        consultants=store_consultants(event.store_id),
    )


@bp.get("/<int:event_id>/search")
@requires("checkin.door")
def search(event_id: int):
    """Return guests matching a name or the last four digits of a phone (fragment)."""
    q = request.args.get("q", "")
    # The event's scope is checked by the search itself; its own read only when nothing matched.
    rows = queries.search_guests(event_id, q, stores=store_scope_ids(current_user))
    event_id = rows[0][0].event_id if rows else _event_or_404(event_id).id
    return render("checkin/_search.html", event_id=event_id, rows=rows, q=q)


@bp.get("/<int:event_id>/counters")
@requires("checkin.door")
def counters(event_id: int):
    """Return the live counters and latest arrivals (polled by the door screen)."""
    event = _event_or_404(event_id)
    return render(
        "checkin/_counters.html",
        event=event,
        counters=queries.door_counters(event.id),
        recent=queries.recent_checkins(event.id),
    )


@bp.post("/<int:event_id>")
@requires("checkin.door")
def check_in(event_id: int):
    """Check a guest in by scanned code or by invitation id; a repeated client id is a no-op.

    The event is read with the guest, in the same statement, and must be in the clerk's stores
    (404 otherwise, as for every door page); when no guest matches, it is read on its own to tell
    an unknown code from an event out of reach."""
    invitation_id = parse_positive_int(request.form.get("invitation_id"))
    try:
        result = services.check_in(
            event_id,
            stores=store_scope_ids(current_user),
            actor=current_user,
            scanned=request.form.get("code"),
            invitation_id=invitation_id,
            client_id=request.form.get("client_id"),
            headcount=request.form.get("headcount") or None,
            device=request.headers.get("User-Agent", "")[:64],
            now=utcnow(),
        )
    except DomainError as exc:
        if exc.code == "unknown_event":
            abort(404)
        if exc.code == "already_checked_in":
            # Answered from the one read that found the guest in: nothing was written, nothing is
            # locked, the request's end closes the transaction.
            return _result(
                exc.details["event"],
                invitation_id=exc.details["invitation_id"],
                outcome="already",
                details=exc.details,
                status=409,
                guest=exc.details.get("guest"),
                counters=exc.details.get("counters"),
            )
        db.session.rollback()
        return _result(
            _event_or_404(event_id),
            invitation_id=None,
            outcome="error",
            error=str(MESSAGES.get(exc.code, exc.message)),
            details={"code": exc.code},
            status=409 if exc.code == "client_id_reused" else 422,
        )
    if not result.repeat:
        commit_keeping_loaded()
    return _checked_in(result.event, result)


@bp.post("/<int:event_id>/arrivals/<int:invitation_id>")
@requires("checkin.door")
def set_arrivals(event_id: int, invitation_id: int):
    """Correct how many people actually came with a checked-in guest."""
    event = _event_or_404(event_id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        abort(404)
    try:
        services.set_arrivals(invitation, request.form.get("headcount"), actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        return _result(
            event,
            invitation_id=invitation_id,
            outcome="error",
            error=str(MESSAGES.get(exc.code, exc.message)),
            status=422,
        )
    db.session.commit()
    return _result(event, invitation_id=invitation_id, outcome="updated")


@bp.post("/<int:event_id>/walk-in")
@requires("checkin.door")
def walk_in(event_id: int):
    """Register an uninvited guest on the spot (existing customers are found by phone)."""
    event = _event_or_404(event_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        return _result(
            event,
            invitation_id=None,
            outcome="error",
            error=_("Please enter the guest's name and mobile number."),
            status=422,
        )
    try:
        result = services.register_walk_in(
            event,
            services.WalkIn(
                form.name.data.strip(),
                form.phone.data,
                form.gender.data,
                form.headcount.data or 1,
                form.consultant_id.data or None,
            ),
            actor=current_user,
            client_id=form.client_id.data,
        )
    except DomainError as exc:
        db.session.rollback()
        if exc.code == "already_checked_in":
            return _result(
                event,
                invitation_id=exc.details.get("invitation_id"),
                outcome="already",
                details=exc.details,
                status=409,
            )
        return _result(
            event,
            invitation_id=None,
            outcome="error",
            error=str(MESSAGES.get(exc.code, exc.message)),
            details={"code": exc.code},
            status=409 if exc.code == "client_id_reused" else 422,
        )
    commit_keeping_loaded()
    return _checked_in(event, result)
