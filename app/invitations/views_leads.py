"""Invitation actions of the lead page: invite to an event, record a call, send the RSVP link.

Routes of the `invitations` blueprint; each goes back to the lead page.
"""

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations import calls, queries, services
from app.invitations.forms import InviteLeadForm, OutcomeForm, SendForm, error_text
from app.invitations.models import Event, Invitation
from app.invitations.views import bp
from app.leads.models import Lead
from app.web.access import requires
from app.web.permissions import get_lead_or_404
from app.web.render import hx_redirect


@bp.post("/leads/<int:lead_id>/invite")
@requires("invitation.send")
def invite_lead(lead_id: int):
    """Invite one customer to an upcoming event from the lead page."""
    lead = get_lead_or_404(current_user, lead_id)
    form = InviteLeadForm()
    form.event_id.choices = [(e.id, e.theme) for e in queries.open_events(lead.store_id, utcnow())]
    if not form.validate_on_submit():
        flash(_("Choose an event."), "error")
    else:
        event = db.session.get(Event, form.event_id.data)
        try:
            services.invite_lead(event, lead, actor=current_user)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Added to the guest list of %(theme)s.", theme=event.theme), "success")
    return hx_redirect(url_for("leads.lead_detail", lead_id=lead.id))


def _lead_invitation_or_404(lead_id: int, invitation_id: int) -> tuple[Invitation, Lead]:
    """An invitation of a lead the user may see (the lead page's invitation panel)."""
    lead = get_lead_or_404(current_user, lead_id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.lead_id != lead.id:
        abort(404)
    return invitation, lead


@bp.post("/leads/<int:lead_id>/invitations/<int:invitation_id>/outcome")
@requires("invitation.send")
def lead_invitation_outcome(lead_id: int, invitation_id: int):
    """Record a call's outcome from the lead page (the same service as the call list), back to the lead."""
    invitation, lead = _lead_invitation_or_404(lead_id, invitation_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        flash(error_text(form), "error")
    else:
        try:
            services.record_outcome(invitation, lead, form.to_outcome(), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Call outcome saved."), "success")
    return hx_redirect(url_for("leads.lead_detail", lead_id=lead_id))


@bp.post("/leads/<int:lead_id>/invitations/<int:invitation_id>/send")
@requires("invitation.send")
def lead_invitation_send(lead_id: int, invitation_id: int):
    """Send the personal RSVP link by SMS or e-mail from the lead page, back to the lead."""
    invitation, lead = _lead_invitation_or_404(lead_id, invitation_id)
    form = SendForm()
    if not (form.validate_on_submit() and form.channel.data in ("sms", "email")):
        flash(_("Choose SMS or email."), "error")
    else:
        event = db.session.get(Event, invitation.event_id)
        message = services.send_invitation(invitation, event, lead, form.channel.data, actor=current_user)
        db.session.commit()
        if message.status == "suppressed":
            flash(calls.suppressed_text(message.last_error), "error")
        else:
            flash(_("The invitation is on its way."), "success")
    return hx_redirect(url_for("leads.lead_detail", lead_id=lead_id))
