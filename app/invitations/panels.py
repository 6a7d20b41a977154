"""The invitations part of the lead page: a panel (invitations + "invite to event") and timeline entries."""

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations import queries
from app.invitations.calls import block_text
from app.invitations.forms import InviteLeadForm, OutcomeForm, SendForm
from app.invitations.models import CheckIn, Event, Invitation
from app.leads.panels import TimelineEntry, register_panel, register_timeline
from app.messaging.outbox import Reachability, marketing_block_reason


@register_panel(60, "invitations")
def invitations_panel(lead, user):
    """Return the lead's invitations and the form to invite them to an upcoming event."""
    from app.web.permissions import can

    rows = queries.lead_invitations(lead.id)
    form = InviteLeadForm()
    form.event_id.choices = [(e.id, e.theme) for e in queries.open_events(lead.store_id, utcnow())]
    reach = Reachability.of(lead)
    return "invitations/_lead_panel.html", {
        "invitation_rows": rows,
        "invite_form": form,
        "lead": lead,
        "may_work_invitations": can(user, "invitation.send"),
        "outcome_form": OutcomeForm(formdata=None),
        "send_form": SendForm(formdata=None),
        "send_blocks": {
            channel: block_text(marketing_block_reason(reach, channel)) for channel in ("sms", "email")
        },
    }


@register_timeline("invitations")
def invitation_timeline(lead_ids: list[int]) -> list[TimelineEntry]:
    """Answers to invitations and arrivals at events, for the lead timeline (one query)."""
    rows = db.session.execute(
        select(
            Invitation.status,
            Invitation.responded_at,
            Invitation.headcount,
            Invitation.checked_in_at,
            Invitation.actual_headcount,
            Invitation.decline_reason,
            Event.theme,
            Invitation.lead_id,
            CheckIn.id,
        )
        .join(Event, Event.id == Invitation.event_id)
        .outerjoin(CheckIn, CheckIn.invitation_id == Invitation.id)
        .where(
            Invitation.lead_id.in_(lead_ids),
            Invitation.responded_at.is_not(None) | Invitation.checked_in_at.is_not(None),
        )
        .limit(200)
    ).all()
    entries = []
    for status, responded, headcount, arrived, actual, reason, theme, lead_id, _checkin in rows:
        if responded is not None and str(status) in ("accepted", "declined"):
            title = (
                _("Accepted the invitation to %(theme)s (%(count)s people)", theme=theme, count=headcount)
                if str(status) == "accepted"
                else _("Declined the invitation to %(theme)s", theme=theme)
            )
            entries.append(
                TimelineEntry(
                    at=responded,
                    kind="invitation",
                    title=title,
                    body=reason or "",
                    extra={"lead_id": lead_id},
                )
            )
        if arrived is not None:
            entries.append(
                TimelineEntry(
                    at=arrived,
                    kind="checkin",
                    title=_(
                        "Arrived at %(theme)s (%(count)s people)", theme=theme, count=actual or headcount
                    ),
                    extra={"lead_id": lead_id},
                )
            )
    return entries
