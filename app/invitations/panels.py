"""The invitations part of the lead page: a panel (invitations + "invite to event") and timeline entries."""

from flask_babel import gettext as _

from app.core.timeutil import utcnow
from app.invitations import queries
from app.invitations.calls import block_text
from app.invitations.forms import InviteLeadForm, OutcomeForm, SendForm
from app.leads.panels import TimelineEntry, keep, register_panel, register_timeline, reused
from app.messaging.outbox import Reachability, marketing_block_reason

PANEL_LIMIT = 20  # invitations the panel lists
TIMELINE_LIMIT = 200  # invitations the timeline reads at most


@register_panel(60, "invitations")
def invitations_panel(lead, user):
    """Return the lead's invitations and the form to invite them to an upcoming event."""
    from app.web.permissions import can

    rows = reused(("invitations", (lead.id,)))  # the timeline's, when the page built it first
    rows = rows[:PANEL_LIMIT] if rows is not None else queries.lead_invitations(lead.id, PANEL_LIMIT)
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
    """Answers to invitations and arrivals at events, for the lead timeline (one query, whose rows
    the lead page's invitations panel reuses)."""
    rows = keep(("invitations", tuple(lead_ids)), queries.lead_invitations(lead_ids, TIMELINE_LIMIT))
    entries = []
    for inv, theme, _starts in rows:
        status, responded, arrived = str(inv.status), inv.responded_at, inv.checked_in_at
        if responded is not None and status in ("accepted", "declined"):
            title = (
                _("Accepted the invitation to %(theme)s (%(count)s people)", theme=theme, count=inv.headcount)
                if status == "accepted"
                else _("Declined the invitation to %(theme)s", theme=theme)
            )
            entries.append(
                TimelineEntry(
                    at=responded,
                    kind="invitation",
                    title=title,
                    body=inv.decline_reason or "",
                    extra={"lead_id": inv.lead_id},
                )
            )
        if arrived is not None:
            entries.append(
                TimelineEntry(
                    at=arrived,
                    kind="checkin",
                    title=_(
                        "Arrived at %(theme)s (%(count)s people)",
                        theme=theme,
                        count=inv.actual_headcount or inv.headcount,
                    ),
                    extra={"lead_id": inv.lead_id},
                )
            )
    return entries
