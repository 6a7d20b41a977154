"""Operations on events, campaigns and invitations. Callers commit once per operation."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.admin.defaults import get_setting
from app.admin.reference import grades
from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import today_for, utcnow
from app.extensions import db
from app.files.services import delete_files, save_file
from app.invitations import ics, rules
from app.invitations.images import CONTENT_TYPE as IMAGE_TYPE
from app.invitations.images import prepare_image
from app.invitations.models import Campaign, CampaignMember, Event, Invitation
from app.invitations.models import InvitationStatus as S
from app.invitations.targets import MAX_TARGETS, apply_filters
from app.leads.models import Lead
from app.messaging.branding import public_name
from app.messaging.notify import notify
from app.messaging.outbox import queue_email, queue_sms
from app.messaging.window import customer_send_time
from app.pipeline.stages import advance_stage
from app.web.permissions import scoped_leads
from app.web.urls import public_url

# ---- events -----------------------------------------------------------------------------------

EVENT_FIELDS = (
    "theme",
    "type",
    "store_id",
    "starts_at",
    "ends_at",
    "place",
    "address",
    "directions",
    "notes",
    "public_description",
    "capacity",
    "rsvp_cutoff_at",
)


# An event's cover image (WeChat preview and RSVP page header) lives in stored_files.
IMAGE_OWNER = "event"
IMAGE_ROLE = "image"


def save_event(
    event: Event | None,
    data: dict,
    *,
    actor,
    now: datetime | None = None,
    image: bytes | None = None,
    remove_image: bool = False,
) -> Event:
    """Create an event or update one; keep its invitations' token expiry in step with its end.

    `image` (the uploaded bytes) replaces the cover image after it has been checked and re-encoded
    (`images.prepare_image`; ImageRefused, a DomainError on the "image" field, changes nothing);
    `remove_image` deletes it.
    """
    prepared = prepare_image(image) if image is not None else None
    if data["ends_at"] <= data["starts_at"]:
        raise DomainError("ends_before_start", _("The end must be after the start."), field="ends_at")
    if data.get("rsvp_cutoff_at") and data["rsvp_cutoff_at"] > data["starts_at"]:
        raise DomainError(
            "cutoff_after_start", _("The RSVP cut-off must be before the start."), field="rsvp_cutoff_at"
        )
    creating = event is None
    if creating:
        event = Event(created_by_id=actor.id, created_at=now or utcnow())
        db.session.add(event)
    old_end = event.ends_at
    for key in EVENT_FIELDS:
        setattr(event, key, data.get(key))
    db.session.flush()
    if not creating and old_end != event.ends_at:
        db.session.execute(
            update(Invitation)
            .where(Invitation.event_id == event.id)
            .values(token_expires_at=rules.token_expiry(event.ends_at), version=Invitation.version + 1)
            .execution_options(synchronize_session=False)
        )
    detail = None
    if prepared is not None:
        # The name (part of the image's address) changes with the content: see queries.event_image_args.
        name = f"event-{event.id}-{hashlib.sha256(prepared).hexdigest()[:16]}.jpg"
        stored = save_file(IMAGE_OWNER, event.id, IMAGE_ROLE, name, prepared, IMAGE_TYPE)
        detail = {"image": {"file_id": stored.id, "size": stored.size}}
    elif remove_image:
        delete_files(IMAGE_OWNER, event.id, IMAGE_ROLE)
        detail = {"image": None}
    record("event.create" if creating else "event.update", actor, "event", event.id, detail)
    return event


# ---- invitations ------------------------------------------------------------------------------


def new_invitation(
    event: Event,
    lead_id: int,
    store_id: int,
    *,
    inviter_id: int | None,
    campaign_id: int | None = None,
    now: datetime | None = None,
    **kw,
) -> Invitation:
    """Build (not add) an invitation with a fresh token that expires after the event."""
    return Invitation(
        event_id=event.id,
        lead_id=lead_id,
        store_id=store_id,
        inviter_id=inviter_id,
        campaign_id=campaign_id,
        token=rules.new_token(),
        token_expires_at=rules.token_expiry(event.ends_at),
        created_at=now or utcnow(),
        **kw,
    )


def invite_lead(event: Event, lead: Lead, *, actor, now: datetime | None = None) -> Invitation:
    """Put one lead on an event's guest list with the actor as inviter (once per lead and event)."""
    existing = db.session.execute(
        select(Invitation).where(Invitation.event_id == event.id, Invitation.lead_id == lead.id)
    ).scalar_one_or_none()
    if existing is not None:
        raise DomainError(
            "already_invited", _("This customer is already on the guest list."), invitation_id=existing.id
        )
    invitation = new_invitation(event, lead.id, event.store_id, inviter_id=actor.id, now=now)
    db.session.add(invitation)
    db.session.flush()
    return invitation


@dataclass
class Outcome:
    outcome: str
    headcount: int | None = None
    reason: str | None = None
    retry_hours: int = 2
    note: str | None = None


def record_outcome(
    invitation: Invitation, lead: Lead, outcome: Outcome, *, actor, now: datetime | None = None
) -> Invitation:
    """Record what happened on an invitation call: accepted, declined, no answer or wrong number."""
    now = now or utcnow()
    status = rules.call_outcome(
        invitation.status, outcome.outcome, checked_in=invitation.checked_in_at is not None
    )
    invitation.status = status
    invitation.method = invitation.method or "phone"
    invitation.inviter_id = invitation.inviter_id or actor.id
    invitation.retry_at = None
    if outcome.note:
        invitation.note = outcome.note[:500]
    if status in (S.ACCEPTED, S.DECLINED):
        invitation.invited_at = invitation.invited_at or now
        invitation.responded_at = now
        advance_stage(lead, "invited", actor, now=now)
    if status == S.ACCEPTED:
        invitation.headcount = rules.check_headcount(outcome.headcount or 1)
        _check_capacity(invitation, invitation.headcount)
        invitation.decline_reason = None
    elif status == S.DECLINED:
        invitation.decline_reason = (outcome.reason or "")[:255] or None
    elif status == S.NO_ANSWER:
        invitation.retry_at = customer_send_time(
            rules.retry_time(now, outcome.retry_hours), invitation.store_id
        )
    db.session.flush()
    _log_call(invitation, lead, outcome, status, actor=actor, now=now)
    return invitation


def _log_call(
    invitation: Invitation, lead: Lead, outcome: Outcome, status: S, *, actor, now: datetime
) -> None:
    """An invitation call is a follow-up on the lead's timeline (phone, reached or not, the outcome and
    the customer's words), with the next plan at the grade's cadence; the owner hears of a call made
    by someone else."""
    from app.followups import rules as followup_rules
    from app.followups.services import (
        FollowUpInput,
        cadence_table,
        log_followup,
        next_plan_required_for,
    )

    event = db.session.get(Event, invitation.event_id)
    theme = event.theme if event is not None else ""
    words = (outcome.note or "").strip()
    texts = {
        S.ACCEPTED: _(
            "Invitation to %(theme)s: accepted, %(count)s people", theme=theme, count=invitation.headcount
        ),
        S.DECLINED: _(
            "Invitation to %(theme)s: declined (%(reason)s)",
            theme=theme,
            reason=invitation.decline_reason or _("no reason given"),
        ),
        S.NO_ANSWER: _("Invitation to %(theme)s: no answer", theme=theme),
        S.WRONG_NUMBER: _("Invitation to %(theme)s: wrong number", theme=theme),
    }
    content = texts.get(status, theme)
    if words:
        content += "\n" + _("Customer said: %(words)s", words=words)
    next_due = next_content = None
    if next_plan_required_for(lead):
        grade = next((g for g in grades() if g.id == lead.grade_id), None)
        next_due = followup_rules.default_plan_date(
            grade.code if grade else "C", cadence_table(), today_for(lead, now)
        )
        next_content = _("Follow up after the invitation call about %(theme)s", theme=theme)
    log_followup(
        lead,
        FollowUpInput(
            method="phone",
            result=rules.call_followup_result(str(status)),
            content=content[:4000],
            next_due=next_due,
            next_content=next_content or "",
        ),
        actor,
        now=now,
    )
    owner = db.session.get(User, lead.owner_id) if lead.owner_id and lead.owner_id != actor.id else None
    if owner is not None and owner.active:
        notify(
            owner,
            "followup",
            "leads.lead_detail",
            {"lead_id": lead.id},
            _l(
                "%(who)s called %(name)s about %(theme)s", who=actor.display_name, name=lead.name, theme=theme
            ),
            body=content,
            now=now,
        )


def rsvp_link(invitation: Invitation) -> str:
    """The customer's personal RSVP link (absolute)."""
    return public_url("rsvp.show", token=invitation.token)


def last_sent(invitation_id: int, channel: str):
    """The latest invitation message that went (or is going) out on `channel`, or None."""
    from app.messaging.models import Message, MessageStatus

    return db.session.execute(
        select(Message)
        .where(
            Message.invitation_id == invitation_id,
            Message.channel == channel,
            Message.lead_id.is_not(None),
            Message.status.not_in([MessageStatus.SUPPRESSED, MessageStatus.RECEIVED]),
            Message.idempotency_key.like(f"invite-{invitation_id}-%"),
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def send_invitation(
    invitation: Invitation,
    event: Event,
    lead: Lead,
    channel: str,
    *,
    actor,
    now: datetime | None = None,
    resend: bool = False,
):
    """Queue the invitation with the personal RSVP link by SMS or email (marketing: consent checked).

    An invitation already sent on that channel is sent again only with `resend` (the inviter saw
    when it went and confirmed); a resend is audited. Without it, DomainError("already_sent").
    """
    now = now or utcnow()
    if channel not in ("sms", "email"):
        raise DomainError("bad_channel", "sms or email")
    previous = last_sent(invitation.id, channel)
    if previous is not None and not resend:
        raise DomainError("already_sent", "the invitation was already sent on this channel")
    link = rsvp_link(invitation)
    when = _local(event.starts_at, event).strftime("%m-%d %H:%M")
    text = _(
        "%(name)s, you are invited to %(theme)s on %(when)s. Please reply here: %(link)s",
        name=lead.name,
        theme=event.theme,
        when=when,
        link=link,
    )
    key = f"invite-{invitation.id}-{channel}-{invitation.token[:6]}"
    if previous is not None:
        key = f"{key}-{previous.id}"
    if channel == "sms":
        message = queue_sms(
            lead.phone or "",
            text,
            purpose="marketing",
            lead=lead,
            user_id=actor.id,
            invitation_id=invitation.id,
            idempotency_key=key,
            now=now,
        )
    else:
        message = queue_email(
            lead.email or "",
            event.theme,
            invitation_email_text(invitation, event, lead),
            purpose="marketing",
            lead=lead,
            user_id=actor.id,
            invitation_id=invitation.id,
            idempotency_key=key,
            now=now,
            sender_name=public_name(event.store_id),
            attachment_path=_calendar_file(invitation, event, now),
        )
    if previous is not None and message.status != "suppressed":
        record(
            "invitation.resend",
            actor,
            "invitation",
            invitation.id,
            {"channel": channel, "previous_message_id": previous.id, "message_id": message.id},
        )
    if message.status != "suppressed":
        invitation.method = invitation.method or channel
        invitation.invited_at = invitation.invited_at or now
        if invitation.status in (S.TODO, S.NO_ANSWER):
            invitation.status = S.INVITED
        invitation.inviter_id = invitation.inviter_id or actor.id
        db.session.flush()
    return message


def cancel_event(event: Event, *, actor, now: datetime | None = None) -> int:
    """Cancel an event (audited) and tell every accepted guest; return how many guests were told."""
    now = now or utcnow()
    if event.cancelled_at is not None:
        raise DomainError("cancelled", _("This event is already cancelled."))
    event.cancelled_at = now
    event.sequence = (event.sequence or 0) + 1
    record("event.cancel", actor, "event", event.id, {"theme": event.theme})
    return _tell_guests(event, "cancel", actor=actor, now=now)


def postpone_event(
    event: Event, starts_at: datetime, ends_at: datetime, *, actor, now: datetime | None = None
) -> int:
    """Move an event to new (UTC) times (audited) and tell every accepted guest; return how many."""
    now = now or utcnow()
    if event.cancelled_at is not None:
        raise DomainError("cancelled", _("This event is already cancelled."))
    if ends_at <= starts_at:
        raise DomainError("ends_before_start", _("The end must be after the start."), field="ends_at")
    before = [event.starts_at.isoformat(), event.ends_at.isoformat()]
    event.starts_at, event.ends_at = starts_at, ends_at
    if event.rsvp_cutoff_at is not None and event.rsvp_cutoff_at > starts_at:
        event.rsvp_cutoff_at = None
    event.sequence = (event.sequence or 0) + 1
    db.session.execute(
        update(Invitation)
        .where(Invitation.event_id == event.id)
        .values(token_expires_at=rules.token_expiry(ends_at), version=Invitation.version + 1)
        .execution_options(synchronize_session=False)
    )
    record(
        "event.postpone",
        actor,
        "event",
        event.id,
        {"before": before, "after": [starts_at.isoformat(), ends_at.isoformat()]},
    )
    return _tell_guests(event, "postpone", actor=actor, now=now)


def _tell_guests(event: Event, change: str, *, actor, now: datetime) -> int:
    """A service message (SMS and e-mail) to each accepted guest who has not arrived.

    Service messages need no marketing consent, but never go on a channel the customer opted out
    of (outbox purpose "service").
    """
    rows = db.session.execute(
        select(Invitation, Lead)
        .join(Lead, Lead.id == Invitation.lead_id)
        .where(
            Invitation.event_id == event.id,
            Invitation.status == S.ACCEPTED,
            Invitation.checked_in_at.is_(None),
        )
    ).all()
    store = public_name(event.store_id)
    for invitation, lead in rows:
        link = rsvp_link(invitation)
        if change == "cancel":
            text = _(
                "Sorry, %(theme)s on %(when)s is cancelled. We apologise for the inconvenience. %(store)s",
                theme=event.theme,
                when=event_when(event),
                store=store,
            )
            subject = _("Cancelled: %(theme)s", theme=event.theme)
        else:
            text = _(
                "%(theme)s has moved to %(when)s, %(place)s. Please confirm here: %(link)s",
                theme=event.theme,
                when=event_when(event),
                place=event.place or event.address,
                link=link,
            )
            subject = _("New time: %(theme)s", theme=event.theme)
        key = f"event-{change}-{event.id}-{event.sequence}-{invitation.id}"
        queue_sms(
            lead.phone or "",
            text,
            purpose="service",
            lead=lead,
            user_id=actor.id,
            invitation_id=invitation.id,
            idempotency_key=f"{key}-sms",
            now=now,
        )
        if lead.email:
            queue_email(
                lead.email,
                subject,
                text,
                purpose="service",
                lead=lead,
                user_id=actor.id,
                invitation_id=invitation.id,
                idempotency_key=f"{key}-email",
                now=now,
                sender_name=store,
                attachment_path=_calendar_file(invitation, event, now),
            )
    db.session.flush()
    return len(rows)


def event_when(event: Event) -> str:
    """The event's local date and times, e.g. 2030-05-03 14:00–17:00."""
    starts, ends = _local(event.starts_at, event), _local(event.ends_at, event)
    if starts.date() == ends.date():
        return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M}"
    return f"{starts:%Y-%m-%d %H:%M}–{ends:%Y-%m-%d %H:%M}"


def invitation_calendar(invitation: Invitation, event: Event, now: datetime) -> str:
    """The event as an iCalendar file for this guest."""
    location = " ".join(p for p in (event.place, event.address) if p)
    description = "\n".join(
        p for p in (event_when(event), event.public_description or "", event.directions or "") if p
    )
    return ics.event_ics(
        token=invitation.token,
        summary=event.theme,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=location,
        description=description,
        url=rsvp_link(invitation),
        now=now,
        sequence=event.sequence or 0,
        cancelled=event.cancelled_at is not None,
    )


def _calendar_file(invitation: Invitation, event: Event, now: datetime) -> str:
    import os

    folder = os.path.join(current_app.config.get("INSTANCE_DIR") or current_app.instance_path, "calendar")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"event-{event.id}-{invitation.id}-{now:%Y%m%d%H%M%S}.ics")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(invitation_calendar(invitation, event, now))
    return path


def invitation_email_text(invitation: Invitation, event: Event, lead: Lead) -> str:
    """The invitation e-mail: what, when (local), where, how to get there, the RSVP and unsubscribe links."""
    link = rsvp_link(invitation)
    lines = [
        _("Dear %(name)s,", name=lead.name),
        "",
        _("You are invited to %(theme)s.", theme=event.theme),
        _("Time: %(when)s", when=event_when(event)),
        _("Place: %(place)s", place=" ".join(p for p in (event.place, event.address) if p)),
    ]
    if event.directions:
        lines.append(_("How to get there: %(directions)s", directions=event.directions))
    lines += [
        "",
        _("Please tell us whether you can come: %(link)s", link=link),
        _("The calendar entry is attached."),
        "",
        public_name(event.store_id),
        "",
        _("To stop receiving these e-mails: %(link)s", link=f"{link}#unsubscribe"),
    ]
    return "\n".join(lines)


def _local(value: datetime, event: Event) -> datetime:
    from app.core.timeutil import to_local, zone_for

    return to_local(value, zone_for(event))


def accepted_headcount(event_id: int, exclude_invitation_id: int | None = None) -> int:
    """Sum of headcounts already accepted for an event (optionally leaving one invitation out)."""
    stmt = select(func.coalesce(func.sum(Invitation.headcount), 0)).where(
        Invitation.event_id == event_id, Invitation.status == S.ACCEPTED, Invitation.is_walk_in.is_(False)
    )
    if exclude_invitation_id:
        stmt = stmt.where(Invitation.id != exclude_invitation_id)
    return int(db.session.execute(stmt).scalar() or 0)


def lock_event(event_id: int) -> Event:
    """Lock the event row for the rest of the transaction (capacity checks serialise on it)."""
    return db.session.execute(select(Event).where(Event.id == event_id).with_for_update()).scalar_one()


def _check_capacity(invitation: Invitation, headcount: int) -> None:
    event = lock_event(invitation.event_id)
    if event.capacity is None:
        return
    left = event.capacity - accepted_headcount(event.id, invitation.id)
    if headcount > left:
        raise DomainError("full", _("The event is full."), seats_left=max(left, 0))


def answer_rsvp(
    invitation: Invitation,
    answer: str,
    headcount: int | None,
    note: str | None,
    *,
    now: datetime | None = None,
) -> Invitation:
    """Apply a customer's answer from the RSVP page (capacity checked under a lock on the event)."""
    now = now or utcnow()
    event = lock_event(invitation.event_id)
    seats_left = None
    if event.capacity is not None and answer == "accept":
        seats_left = event.capacity - accepted_headcount(event.id, invitation.id)
    cutoff = rules.effective_cutoff(
        event.starts_at,
        event.rsvp_cutoff_at,
        int(get_setting("rsvp_cutoff_hours") or rules.DEFAULT_CUTOFF_HOURS),
    )
    change = rules.rsvp_transition(
        invitation.status,
        answer,
        headcount,
        now=now,
        cutoff=cutoff,
        checked_in=invitation.checked_in_at is not None,
        event_cancelled=event.cancelled_at is not None,
        seats_left=seats_left,
    )
    was = invitation.status
    invitation.status = change.status
    invitation.headcount = change.headcount
    invitation.responded_at = now
    invitation.invited_at = invitation.invited_at or now
    invitation.note = (note or "").strip()[:500] or invitation.note
    if change.status == S.DECLINED:
        invitation.confirmed_at = None
    lead = db.session.get(Lead, invitation.lead_id)
    advance_stage(lead, "invited", None, now=now)
    db.session.flush()
    if invitation.inviter_id and (was != change.status or change.status == S.ACCEPTED):
        inviter = db.session.get(User, invitation.inviter_id)
        if inviter is not None and inviter.active:
            title = (
                _l(
                    "%(name)s accepted %(theme)s (%(count)s people)",
                    name=lead.name,
                    theme=event.theme,
                    count=change.headcount,
                )
                if change.status == S.ACCEPTED
                else _l("%(name)s declined %(theme)s", name=lead.name, theme=event.theme)
            )
            notify(
                inviter,
                "rsvp",
                "invitations.show_event",
                {"event_id": event.id},
                title,
                body=invitation.note or "",
                now=now,
            )
    return invitation


def reconfirm(invitation: Invitation, *, actor, now: datetime | None = None) -> Invitation:
    """Mark an accepted guest as reconfirmed the day before; close the reconfirmation plan."""
    from app.followups.models import Plan, PlanKind, PlanStatus
    from app.followups.plans import close_plan, sync_next_plan_due

    now = now or utcnow()
    if not rules.may_reconfirm(invitation.status, invitation.checked_in_at is not None):
        raise DomainError("not_accepted", _("Only accepted guests can be reconfirmed."))
    invitation.confirmed_at = now
    plans = (
        db.session.execute(
            select(Plan).where(
                Plan.lead_id == invitation.lead_id,
                Plan.event_id == invitation.event_id,
                Plan.kind == PlanKind.RECONFIRM,
                Plan.status == PlanStatus.OPEN,
            )
        )
        .scalars()
        .all()
    )
    for plan in plans:
        close_plan(plan, now=now)
    if plans:
        sync_next_plan_due(db.session.get(Lead, invitation.lead_id))
    db.session.flush()
    return invitation


# ---- campaigns --------------------------------------------------------------------------------

CAMPAIGN_FIELDS = (
    "name",
    "store_id",
    "event_id",
    "starts_on",
    "ends_on",
    "channels",
    "script",
    "benefits",
    "goal_invited",
    "goal_accepted",
    "goal_arrived",
    "target_filters",
    "status",
)


def save_campaign(
    campaign: Campaign | None,
    data: dict,
    *,
    actor,
    member_ids: list[int] | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Create or update a campaign (the invitation plan) and, when given, set its inviters."""
    if data["ends_on"] < data["starts_on"]:
        raise DomainError("ends_before_start", _("The end must be after the start."), field="ends_on")
    creating = campaign is None
    if creating:
        campaign = Campaign(created_by_id=actor.id, created_at=now or utcnow())
        db.session.add(campaign)
    for key in CAMPAIGN_FIELDS:
        if key in data:
            setattr(campaign, key, data[key])
    db.session.flush()
    record("campaign.create" if creating else "campaign.update", actor, "campaign", campaign.id)
    if member_ids is not None:
        set_members(campaign, member_ids)
    return campaign


def set_members(
    campaign: Campaign, user_ids: list[int], goals: dict[int, int] | None = None
) -> list[CampaignMember]:
    """Set the campaign's inviters; goals default to an even split of the campaign's accepted goal."""
    user_ids = list(dict.fromkeys(user_ids))
    existing = {
        m.user_id: m
        for m in db.session.execute(
            select(CampaignMember).where(CampaignMember.campaign_id == campaign.id)
        ).scalars()
    }
    for user_id, member in existing.items():
        if user_id not in user_ids:
            db.session.delete(member)
    even = rules.even_goals(campaign.goal_accepted or 0, len(user_ids))
    members = []
    for user_id, goal in zip(user_ids, even, strict=True):
        member = existing.get(user_id) or CampaignMember(campaign_id=campaign.id, user_id=user_id)
        member.goal_accepted = (goals or {}).get(user_id, goal)
        db.session.add(member)
        members.append(member)
    db.session.flush()
    return members


def set_member_goals(campaign: Campaign, goals: dict[int, int]) -> None:
    """Give inviters of the campaign their individual goals (others keep theirs)."""
    members = (
        db.session.execute(select(CampaignMember).where(CampaignMember.campaign_id == campaign.id))
        .scalars()
        .all()
    )
    for member in members:
        if member.user_id in goals:
            member.goal_accepted = max(0, goals[member.user_id])
    db.session.flush()


def generate_invitations(campaign: Campaign, *, actor, now: datetime | None = None) -> int:
    """Create to-do invitations for the campaign's target leads, dealt evenly among its inviters.

    The campaign must be linked to an event. Leads already invited to the event are skipped; the
    lead's own consultant or DCC agent keeps the customer when they are an inviter of the campaign.
    """
    if not campaign.event_id:
        raise DomainError("no_event", _("Link the campaign to an event first."))
    event = db.session.get(Event, campaign.event_id)
    now = now or utcnow()
    member_ids = list(
        db.session.execute(
            select(CampaignMember.user_id)
            .where(CampaignMember.campaign_id == campaign.id)
            .order_by(CampaignMember.id)
        ).scalars()
    )
    if not member_ids:
        raise DomainError("no_members", _("Choose the inviters first."))
    already = select(Invitation.lead_id).where(Invitation.event_id == event.id)
    stmt = apply_filters(scoped_leads(actor), campaign.target_filters or {})
    stmt = stmt.where(Lead.store_id == campaign.store_id, Lead.id.not_in(already))
    rows = db.session.execute(
        stmt.with_only_columns(Lead.id, Lead.owner_id, Lead.dcc_agent_id, Lead.store_id)
        .order_by(Lead.id)
        .limit(MAX_TARGETS)
    ).all()
    members = set(member_ids)
    own, rest = {}, []
    for lead_id, owner_id, dcc_id, store_id in rows:
        keeper = owner_id if owner_id in members else dcc_id if dcc_id in members else None
        if keeper:
            own[lead_id] = (keeper, store_id)
        else:
            rest.append((lead_id, store_id))
    held = {}
    for keeper, _store in own.values():
        held[keeper] = held.get(keeper, 0) + 1
    dealt = rules.split_evenly(rest, member_ids, held)
    invitations = [
        new_invitation(event, lead_id, store_id, inviter_id=keeper, campaign_id=campaign.id, now=now)
        for lead_id, (keeper, store_id) in own.items()
    ]
    for user_id, items in dealt.items():
        invitations += [
            new_invitation(event, lead_id, store_id, inviter_id=user_id, campaign_id=campaign.id, now=now)
            for lead_id, store_id in items
        ]
    db.session.add_all(invitations)
    db.session.flush()
    record("campaign.generate", actor, "campaign", campaign.id, {"invitations": len(invitations)})
    return len(invitations)
