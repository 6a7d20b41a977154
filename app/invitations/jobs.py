"""Periodic invitation work: day-before reminders and reconfirmation plans, post-event tasks.

Both are idempotent: reminder_queued_at and followed_up_at mark what was done.
"""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.timeutil import local_today, to_local, today_for, zone_for
from app.extensions import db
from app.followups.models import PlanKind
from app.followups.plans import open_plan
from app.invitations import rules
from app.invitations.models import Event, Invitation
from app.invitations.models import InvitationStatus as S
from app.jobs import periodic
from app.leads.models import Lead
from app.messaging.notify import store_managers
from app.messaging.outbox import queue_sms

BATCH = 2000


@periodic("event_reminders")
def queue_reminders(now: datetime) -> dict:
    """The day before an event: remind accepted guests by SMS and plan a reconfirmation call for inviters."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        return _queue_reminders(now)


def _queue_reminders(now: datetime) -> dict:
    from app.invitations.services import rsvp_link

    events = (
        db.session.execute(
            select(Event).where(
                Event.cancelled_at.is_(None), Event.starts_at > now, Event.starts_at < now + timedelta(days=2)
            )
        )
        .scalars()
        .all()
    )
    reminded = plans = 0
    for event in events:
        tz = zone_for(event)
        today = local_today(now, tz)
        starts = to_local(event.starts_at, tz)
        if not rules.is_reminder_day(starts.date(), today):
            continue
        rows = db.session.execute(
            select(Invitation, Lead)
            .join(Lead, Lead.id == Invitation.lead_id)
            .where(
                Invitation.event_id == event.id,
                Invitation.status == S.ACCEPTED,
                Invitation.is_walk_in.is_(False),
                Invitation.reminder_queued_at.is_(None),
            )
            .limit(BATCH)
            .with_for_update(of=Invitation, skip_locked=True)
        ).all()
        for invitation, lead in rows:
            if lead.phone:
                text = _(
                    "Reminder: %(theme)s tomorrow at %(time)s, %(place)s. Show this code at the door: %(link)s",
                    theme=event.theme,
                    time=starts.strftime("%H:%M"),
                    place=event.place or event.address,
                    link=rsvp_link(invitation),
                )
                queue_sms(
                    lead.phone,
                    text,
                    purpose="transactional",
                    lead=lead,
                    invitation_id=invitation.id,
                    idempotency_key=f"reminder-{invitation.id}",
                    now=now,
                )
                reminded += 1
            if invitation.inviter_id and invitation.confirmed_at is None:
                open_plan(
                    lead,
                    today,
                    _("Reconfirm attendance at %(theme)s", theme=event.theme),
                    kind=PlanKind.RECONFIRM,
                    assignee_id=invitation.inviter_id,
                    event_id=event.id,
                    now=now,
                )
                plans += 1
            invitation.reminder_queued_at = now
        db.session.flush()
    return {"reminders": reminded, "reconfirm_plans": plans}


@periodic("event_followups")
def create_post_event_tasks(now: datetime) -> dict:
    """After an event: a follow-up plan for each attendee's consultant, a re-invitation task for no-shows."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        return _create_post_event_tasks(now)


def _create_post_event_tasks(now: datetime) -> dict:
    events = db.session.execute(
        select(Event.id, Event.theme, Event.store_id).where(
            Event.ends_at <= now, Event.ends_at > now - timedelta(days=30)
        )
    ).all()
    created = 0
    for event_id, theme, store_id in events:
        today = today_for(store_id, now)
        managers = store_managers(store_id)
        rows = db.session.execute(
            select(Invitation, Lead)
            .join(Lead, Lead.id == Invitation.lead_id)
            .where(
                Invitation.event_id == event_id,
                Invitation.followed_up_at.is_(None),
                (Invitation.checked_in_at.is_not(None)) | (Invitation.status == S.ACCEPTED),
            )
            .limit(BATCH)
            .with_for_update(of=Invitation, skip_locked=True)
        ).all()
        for invitation, lead in rows:
            task = rules.post_event_task(
                invitation.checked_in_at is not None,
                invitation.status == S.ACCEPTED,
                lead.owner_id,
                lead.dcc_agent_id,
                invitation.inviter_id,
                managers[0].id if managers else None,
            )
            if task is not None:
                kind, assignee = task
                content = (
                    _("Follow up after %(theme)s", theme=theme)
                    if kind == "post_event"
                    else _("Invite again: did not come to %(theme)s", theme=theme)
                )
                open_plan(
                    lead,
                    today + timedelta(days=1),
                    content,
                    kind=PlanKind(kind),
                    assignee_id=assignee,
                    event_id=event_id,
                    now=now,
                )
                created += 1
            invitation.followed_up_at = now
        db.session.flush()
    return {"plans": created}
