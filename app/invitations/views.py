"""Staff pages for events, campaigns, call lists and invitation metrics."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.accounts.models import Role, Store, User
from app.admin.reference import channels, grades, stages
from app.audit.services import record
from app.core.errors import DomainError
from app.core.params import parse_int, parse_positive_int
from app.core.timeutil import local_to_utc, to_local, utcnow, zone_for
from app.extensions import db
from app.invitations import panels as _panels  # noqa: F401  (lead page panel and timeline)
from app.invitations import queries, services
from app.invitations.forms import CampaignForm, EventForm, InviteLeadForm, OutcomeForm, PostponeForm, SendForm
from app.invitations.models import Campaign, Event, Invitation
from app.invitations.rules import percent
from app.invitations.targets import clean_filters
from app.leads.models import Lead
from app.messaging.outbox import marketing_block_reason
from app.web.access import requires
from app.web.permissions import (
    can,
    get_lead_or_404,
    get_scoped_or_404,
    may_reveal_phone,
    may_see_phone,
    store_scope_ids,
)
from app.web.render import hx_redirect, render
from app.web.templating import local_time

bp = Blueprint("invitations", __name__)

BLOCK_REASONS = {
    "no_consent": _l("The customer has not agreed to marketing messages."),
    "opted_out": _l("The customer unsubscribed (replied TD)."),
    "no_phone": _l("No phone number."),
    "no_email": _l("No email address."),
}


def _tz(store_id: int | None = None) -> str:
    """The zone of the event's store (the user's store for a new event)."""
    return zone_for(store_id) if store_id else zone_for(current_user)


def _event_or_404(event_id: int) -> Event:
    return get_scoped_or_404(current_user, Event, event_id)


def _store_choices() -> list[tuple[int, str]]:
    ids = store_scope_ids(current_user)
    stmt = select(Store.id, Store.name).where(Store.active.is_(True)).order_by(Store.code)
    if ids is not None:
        stmt = stmt.where(Store.id.in_(ids or [-1]))
    return [(i, n) for i, n in db.session.execute(stmt).all()]


# ---- events -----------------------------------------------------------------------------------


@bp.get("/events")
@requires("event.view")
def list_events():
    """List the events of the user's stores with their funnel counts."""
    rows = queries.events_for(current_user)
    return render("invitations/events.html", rows=rows, percent=percent)


def _event_data(form: EventForm) -> dict:
    tz = _tz(form.store_id.data)
    return {
        "theme": form.theme.data.strip(),
        "type": form.type.data,
        "store_id": form.store_id.data,
        "starts_at": local_to_utc(form.starts_at.data, tz),
        "ends_at": local_to_utc(form.ends_at.data, tz),
        "rsvp_cutoff_at": local_to_utc(form.rsvp_cutoff_at.data, tz) if form.rsvp_cutoff_at.data else None,
        "place": form.place.data or "",
        "address": form.address.data or "",
        "directions": form.directions.data or None,
        "notes": form.notes.data or None,
        "public_description": form.public_description.data or None,
        "capacity": form.capacity.data,
    }


def _save_event_form(event: Event | None):
    form = EventForm(obj=None if request.method == "POST" else _event_form_obj(event))
    form.store_id.choices = _store_choices()
    if form.validate_on_submit():
        try:
            saved = services.save_event(event, _event_data(form), actor=current_user)
        except DomainError as exc:
            getattr(form, exc.details.get("field", "theme")).errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Event saved."), "success")
            return redirect(url_for("invitations.show_event", event_id=saved.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render("invitations/event_form.html", form=form, event=event, status=status)


def _event_form_obj(event: Event | None):
    if event is None:
        return None
    tz = _tz(event.store_id)

    class Obj:
        pass

    obj = Obj()
    for key in services.EVENT_FIELDS:
        value = getattr(event, key)
        if key in ("starts_at", "ends_at", "rsvp_cutoff_at") and value is not None:
            value = to_local(value, tz).replace(tzinfo=None)
        setattr(obj, key, value)
    obj.type = str(event.type)
    return obj


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
    from app.web.permissions import lead_scope_clause

    event = _event_or_404(event_id)
    status = request.args.get("status", "accepted")
    if status not in queries.GUEST_FILTERS:
        status = "accepted"
    scope = (
        None
        if can(current_user, "event.manage") or current_user.role == Role.CLERK
        else lead_scope_clause(current_user)
    )
    rows = queries.guests(event.id, status, lead_scope=scope)
    funnel = queries.funnel(event.id)
    store = db.session.get(Store, event.store_id)
    block = request.args.get("block") if request.args.get("block") in ("funnel", "guests") else None
    return render(
        "invitations/event.html",
        block=block,
        event=event,
        store=store,
        funnel=funnel,
        rows=rows,
        guest_status=status,
        percent=percent,
        tz=_tz(event.store_id),
        form=EmptyForm(),
        now=utcnow(),
        postpone_form=_postpone_form(event),
    )


def _postpone_form(event: Event, formdata=None) -> PostponeForm:
    tz = _tz(event.store_id)
    return PostponeForm(
        formdata=formdata,
        starts_at=to_local(event.starts_at, tz).replace(tzinfo=None),
        ends_at=to_local(event.ends_at, tz).replace(tzinfo=None),
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
        flash(
            "; ".join(str(e) for errs in form.errors.values() for e in errs) or _("Please check the form."),
            "error",
        )
        return redirect(url_for("invitations.show_event", event_id=event_id), code=303)
    tz = _tz(event.store_id)
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


def _invitation_for_update(invitation_id: int) -> tuple[Invitation, Lead]:
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


@bp.post("/invitations/<int:invitation_id>/reconfirm")
@requires("invitation.send")
def reconfirm_invitation(invitation_id: int):
    """Mark an accepted guest as reconfirmed (called the day before)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    invitation, _lead = _invitation_for_update(invitation_id)
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
        rows = [r for r in rows if group not in ("inviter", "consultant", "dcc") or r.key == current_user.id]
    return render("invitations/metrics.html", rows=rows, group=group, percent=percent)


# ---- campaigns --------------------------------------------------------------------------------


@bp.get("/campaigns")
@requires("invitation.send")
def list_campaigns():
    """List campaigns (inviters see the ones they call for)."""
    return render("invitations/campaigns.html", rows=queries.campaigns_for(current_user))


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = queries.get_campaign_for(current_user, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _campaign_form(campaign: Campaign | None) -> CampaignForm:
    form = CampaignForm(obj=campaign if request.method == "GET" else None)
    stores = _store_choices()
    form.store_id.choices = stores
    store_ids = [s for s, _ in stores]
    events = db.session.execute(
        select(Event.id, Event.theme)
        .where(Event.store_id.in_(store_ids or [-1]), Event.ends_at >= utcnow())
        .order_by(Event.starts_at)
        .limit(100)
    ).all()
    if campaign is not None and campaign.event_id and campaign.event_id not in [e for e, _ in events]:
        events.append((campaign.event_id, db.session.get(Event, campaign.event_id).theme))
    form.event_id.choices = [(0, _("— none —"))] + [(i, t) for i, t in events]
    users = db.session.execute(
        select(User.id, User.display_name, User.role)
        .where(
            User.store_id.in_(store_ids or [-1]),
            User.active.is_(True),
            User.role.in_([Role.CONSULTANT, Role.DCC, Role.MANAGER, Role.MARKETING]),
        )
        .order_by(User.role, User.display_name)
        .limit(300)
    ).all()
    form.members.choices = [(i, f"{n} ({_role_label(r)})") for i, n, r in users]
    locale = str(get_locale())
    form.f_grade.choices = [(g.code, g.label(locale)) for g in grades()]
    form.f_stage.choices = [(s.code, s.label(locale)) for s in stages()]
    form.f_source.choices = [(c.code, c.label(locale)) for c in channels()]
    if request.method == "GET" and campaign is not None:
        from app.invitations.models import CampaignMember

        form.event_id.data = campaign.event_id or 0
        form.members.data = list(
            db.session.execute(
                select(CampaignMember.user_id).where(CampaignMember.campaign_id == campaign.id)
            ).scalars()
        )
        filters = campaign.target_filters or {}
        form.f_grade.data = filters.get("grade", [])
        form.f_stage.data = filters.get("stage", [])
        form.f_source.data = filters.get("source", [])
        form.f_consent.data = "1" if filters.get("consent") else ""
    return form


def _role_label(role) -> str:
    return {
        "consultant": _("Consultant"),
        "dcc": _("DCC agent"),
        "manager": _("Manager"),
        "marketing": _("Marketing"),
    }.get(str(role), str(role))


def _save_campaign_form(campaign: Campaign | None):
    form = _campaign_form(campaign)
    if form.validate_on_submit():
        filters = clean_filters(
            {
                "grade": form.f_grade.data,
                "stage": form.f_stage.data,
                "source": form.f_source.data,
                "expected_from": form.f_expected_from.data,
                "expected_to": form.f_expected_to.data,
                "consent": form.f_consent.data,
            }
        )
        data = {
            "name": form.name.data.strip(),
            "store_id": form.store_id.data,
            "event_id": form.event_id.data or None,
            "starts_on": form.starts_on.data,
            "ends_on": form.ends_on.data,
            "channels": form.channels.data or [],
            "script": form.script.data or None,
            "benefits": form.benefits.data or None,
            "goal_invited": form.goal_invited.data or 0,
            "goal_accepted": form.goal_accepted.data or 0,
            "goal_arrived": form.goal_arrived.data or 0,
            "target_filters": filters,
        }
        try:
            saved = services.save_campaign(campaign, data, actor=current_user)
            services.set_members(saved, form.members.data or [])
        except DomainError as exc:
            getattr(form, exc.details.get("field", "name")).errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for("invitations.show_campaign", campaign_id=saved.id), code=303)
    return render(
        "invitations/campaign_form.html",
        form=form,
        campaign=campaign,
        status=422 if request.method == "POST" else 200,
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires("campaign.manage")
def new_campaign():
    """Create a campaign: event, period, channels, script, goals, targets and inviters."""
    return _save_campaign_form(None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("campaign.manage")
def edit_campaign(campaign_id: int):
    """Edit a campaign."""
    return _save_campaign_form(_campaign_or_404(campaign_id))


@bp.get("/campaigns/<int:campaign_id>")
@requires("invitation.send")
def show_campaign(campaign_id: int):
    """Show a campaign with each inviter's progress against their goal."""
    campaign = _campaign_or_404(campaign_id)
    event = db.session.get(Event, campaign.event_id) if campaign.event_id else None
    progress = queries.progress_by_inviter(campaign.id)
    total = queries.invitation_metrics("campaign", campaign_id=campaign.id)
    return render(
        "invitations/campaign.html",
        campaign=campaign,
        event=event,
        progress=progress,
        total=total[0] if total else None,
        percent=percent,
        form=EmptyForm(),
    )


@bp.post("/campaigns/<int:campaign_id>/goals")
@requires("campaign.manage")
def set_goals(campaign_id: int):
    """Set each inviter's individual goal (accepted invitations)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    campaign = _campaign_or_404(campaign_id)
    goals = {}
    for key, value in request.form.items():
        member_id, goal = parse_positive_int(key.removeprefix("goal-")), parse_int(value, minimum=0)
        if key.startswith("goal-") and member_id is not None and goal is not None:
            goals[member_id] = min(goal, 100000)
    services.set_member_goals(campaign, goals)
    db.session.commit()
    flash(_("Goals saved."), "success")
    return redirect(url_for("invitations.show_campaign", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<int:campaign_id>/generate")
@requires("campaign.manage")
def generate_invitations(campaign_id: int):
    """Create the call list: target leads dealt evenly among the inviters."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    campaign = _campaign_or_404(campaign_id)
    if not campaign.event_id:
        flash(_("Link the campaign to an event first."), "error")
        return redirect(url_for("invitations.show_campaign", campaign_id=campaign.id), code=303)
    try:
        count = services.generate_invitations(
            campaign, db.session.get(Event, campaign.event_id), actor=current_user
        )
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("%(count)s customers added to the call lists.", count=count), "success")
    return redirect(url_for("invitations.show_campaign", campaign_id=campaign.id), code=303)


@bp.get("/campaigns/<int:campaign_id>/calls")
@requires("invitation.send")
def call_list(campaign_id: int):
    """Show the user's call list with the script on screen and one click per outcome."""
    campaign = _campaign_or_404(campaign_id)
    done = request.args.get("done") == "1"
    rows = queries.call_list(campaign.id, current_user.id, utcnow(), done=done)
    event = db.session.get(Event, campaign.event_id) if campaign.event_id else None
    sends = queries.invitation_sends([r[0].id for r in rows])
    return render(
        "invitations/calls.html",
        campaign=campaign,
        event=event,
        rows=[_call_view(r, sends=sends) for r in rows],
        done=done,
        form=OutcomeForm(),
        send_form=SendForm(),
    )


def _call_view(row, revealed: bool = False, sends: dict | None = None) -> dict:
    inv, name, phone, _last4, _grade, owner_id, dcc_id, consent, sms_out, email_out, email = row

    class L:  # what marketing_block_reason reads
        pass

    lead = L()
    lead.marketing_consent, lead.sms_opt_out_at, lead.email_opt_out_at = consent, sms_out, email_out
    lead.phone, lead.email = phone, email
    lead.owner_id, lead.dcc_agent_id = owner_id, dcc_id
    # Full numbers for the owner and the DCC agent; the inviter and those with the reveal right see
    # the masked number and reveal it (audited) when they make the call.
    show_phone = may_see_phone(current_user, lead) or revealed
    sms_block = marketing_block_reason(lead, "sms")
    email_block = marketing_block_reason(lead, "email")
    may_reveal = bool(phone) and not show_phone and _may_reveal_call(inv)
    if sends is None:
        sends = queries.invitation_sends([inv.id])
    return {
        "inv": inv,
        "name": name,
        "phone": phone if show_phone else None,
        "phone_raw": phone,
        "may_reveal": may_reveal,
        "sent_at": sends.get(inv.id, {}),
        "sms_block": str(BLOCK_REASONS[sms_block]) if sms_block else None,
        "email_block": str(BLOCK_REASONS[email_block]) if email_block else None,
    }


def _may_reveal_call(invitation: Invitation) -> bool:
    return invitation.inviter_id == current_user.id or may_reveal_phone(current_user)


@bp.post("/invitations/<int:invitation_id>/reveal")
@requires("invitation.send")
def reveal_call_phone(invitation_id: int):
    """Show the full number of a customer on the call list to the person calling them (audited)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    invitation, lead = _invitation_for_update(invitation_id)
    if not (may_see_phone(current_user, lead) or _may_reveal_call(invitation)):
        abort(403)
    record("lead.reveal_phone", current_user, "lead", lead.id, {"invitation_id": invitation.id})
    db.session.commit()
    return render(
        "invitations/_call.html",
        row=_call_view(queries.call_row(invitation_id), revealed=True),
        form=OutcomeForm(formdata=None),
        send_form=SendForm(),
    )


@bp.post("/invitations/<int:invitation_id>/outcome")
@requires("invitation.send")
def record_outcome(invitation_id: int):
    """Record one call's outcome (accepted with headcount, declined with reason, no answer, wrong number)."""
    invitation, lead = _invitation_for_update(invitation_id)
    form = OutcomeForm()
    error = None
    if form.validate_on_submit():
        try:
            services.record_outcome(
                invitation,
                lead,
                _outcome(form),
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
    else:
        error = "; ".join(str(e) for errs in form.errors.values() for e in errs) or _(
            "Please check the form."
        )
    row = _call_view(queries.call_row(invitation_id))
    return render(
        "invitations/_call.html",
        row=row,
        form=OutcomeForm(formdata=None),
        send_form=SendForm(),
        error=error,
        status=422 if error else 200,
    )


@bp.post("/invitations/<int:invitation_id>/send")
@requires("invitation.send")
def send_invitation(invitation_id: int):
    """Send the personal RSVP link by SMS or email (never to customers who refused marketing)."""
    invitation, lead = _invitation_for_update(invitation_id)
    form = SendForm()
    error = notice = None
    status = 200
    if form.validate_on_submit() and form.channel.data in ("sms", "email"):
        event = db.session.get(Event, invitation.event_id)
        try:
            message = services.send_invitation(
                invitation,
                event,
                lead,
                form.channel.data,
                actor=current_user,
                resend=form.confirm.data == "yes",
            )
        except DomainError as exc:
            if exc.code != "already_sent":
                raise
            db.session.rollback()
            status, error = (
                409,
                _(
                    "This invitation was already sent at %(time)s. Confirm to send it again.",
                    time=local_time(services.last_sent(invitation_id, form.channel.data).created_at),
                ),
            )
        else:
            db.session.commit()
            if message.status == "suppressed":
                status, error = 422, str(BLOCK_REASONS.get(message.last_error or "") or _("Not sent."))
            else:
                notice = _("The invitation is on its way.")
    else:
        status, error = 422, _("Choose SMS or email.")
    row = _call_view(queries.call_row(invitation_id))
    return render(
        "invitations/_call.html",
        row=row,
        form=OutcomeForm(formdata=None),
        send_form=SendForm(),
        error=error,
        notice=notice,
        status=status,
    )


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
        flash(
            "; ".join(str(e) for errs in form.errors.values() for e in errs) or _("Please check the form."),
            "error",
        )
    else:
        try:
            services.record_outcome(
                invitation,
                lead,
                _outcome(form),
                actor=current_user,
            )
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
            flash(str(BLOCK_REASONS.get(message.last_error or "") or _("Not sent.")), "error")
        else:
            flash(_("The invitation is on its way."), "success")
    return hx_redirect(url_for("leads.lead_detail", lead_id=lead_id))


def _outcome(form: OutcomeForm) -> services.Outcome:
    """What the inviter recorded on the call form (no answer: try again in 2 hours unless told)."""
    return services.Outcome(
        form.outcome.data, form.headcount.data, form.reason.data, form.retry_hours.data or 2, form.words.data
    )
