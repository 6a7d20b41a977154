"""Staff pages for campaigns and their call lists (routes of the `invitations` blueprint)."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.forms import EmptyForm
from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations import calls, queries, rules, services
from app.invitations.forms import CampaignForm, OutcomeForm, SendForm, error_text
from app.invitations.models import Campaign, Event
from app.invitations.rules import percent
from app.invitations.views import bp, invitation_for_update, store_choices
from app.web.access import requires
from app.web.permissions import may_see_phone
from app.web.render import render
from app.web.templating import local_time


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
    stores = store_choices()
    store_ids = [s for s, _name in stores]
    form.fill_choices(
        stores,
        queries.campaign_event_choices(store_ids, utcnow(), campaign.event_id if campaign else None),
        queries.campaign_member_choices(store_ids),
    )
    if request.method == "GET" and campaign is not None:
        form.show(campaign, queries.campaign_member_ids(campaign.id))
    return form


def _save_campaign_form(campaign: Campaign | None):
    form = _campaign_form(campaign)
    if form.validate_on_submit():
        try:
            saved = services.save_campaign(
                campaign, form.campaign_data(), actor=current_user, member_ids=form.members.data or []
            )
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
    total = queries.invitation_metrics("campaign", campaign_id=campaign.id)
    return render(
        "invitations/campaign.html",
        campaign=campaign,
        event=db.session.get(Event, campaign.event_id) if campaign.event_id else None,
        progress=queries.progress_by_inviter(campaign.id),
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
    services.set_member_goals(campaign, rules.member_goals(request.form.items()))
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
    try:
        count = services.generate_invitations(campaign, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("%(count)s customers added to the call lists.", count=count), "success")
    return redirect(url_for("invitations.show_campaign", campaign_id=campaign.id), code=303)


# ---- call list --------------------------------------------------------------------------------


@bp.get("/campaigns/<int:campaign_id>/calls")
@requires("invitation.send")
def call_list(campaign_id: int):
    """Show the user's call list with the script on screen and one click per outcome."""
    campaign = _campaign_or_404(campaign_id)
    done = request.args.get("done") == "1"
    rows = queries.call_list(campaign.id, current_user.id, utcnow(), done=done)
    sends = queries.invitation_sends([r.invitation.id for r in rows])
    return render(
        "invitations/calls.html",
        campaign=campaign,
        event=db.session.get(Event, campaign.event_id) if campaign.event_id else None,
        rows=[calls.call_card(r, current_user, sent_at=sends.get(r.invitation.id, {})) for r in rows],
        done=done,
        form=OutcomeForm(),
        send_form=SendForm(),
    )


def _call_card(invitation_id: int, *, status: int = 200, revealed: bool = False, **messages):
    """The call's card, re-read after a change (HTML fragment), with an error or a notice."""
    row = queries.call_row(invitation_id)
    sends = queries.invitation_sends([invitation_id])
    return render(
        "invitations/_call.html",
        row=calls.call_card(row, current_user, sent_at=sends.get(invitation_id, {}), revealed=revealed),
        form=OutcomeForm(formdata=None),
        send_form=SendForm(),
        status=status,
        **messages,
    )


@bp.post("/invitations/<int:invitation_id>/reveal")
@requires("invitation.send")
def reveal_call_phone(invitation_id: int):
    """Show the full number of a customer on the call list to the person calling them (audited)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    invitation, lead = invitation_for_update(invitation_id)
    if not (may_see_phone(current_user, lead) or calls.may_reveal_call(current_user, invitation)):
        abort(403)
    record("lead.reveal_phone", current_user, "lead", lead.id, {"invitation_id": invitation.id})
    db.session.commit()
    return _call_card(invitation_id, revealed=True)


@bp.post("/invitations/<int:invitation_id>/outcome")
@requires("invitation.send")
def record_outcome(invitation_id: int):
    """Record one call's outcome (accepted with headcount, declined with reason, no answer, wrong number)."""
    invitation, lead = invitation_for_update(invitation_id)
    form = OutcomeForm()
    error = None
    if form.validate_on_submit():
        try:
            services.record_outcome(invitation, lead, form.to_outcome(), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
    else:
        error = error_text(form)
    return _call_card(invitation_id, error=error, status=422 if error else 200)


@bp.post("/invitations/<int:invitation_id>/send")
@requires("invitation.send")
def send_invitation(invitation_id: int):
    """Send the personal RSVP link by SMS or email (never to customers who refused marketing)."""
    invitation, lead = invitation_for_update(invitation_id)
    form = SendForm()
    if not (form.validate_on_submit() and form.channel.data in ("sms", "email")):
        return _call_card(invitation_id, error=_("Choose SMS or email."), status=422)
    try:
        message = services.send_invitation(
            invitation,
            db.session.get(Event, invitation.event_id),
            lead,
            form.channel.data,
            actor=current_user,
            resend=form.confirm.data == "yes",
        )
    except DomainError as exc:
        if exc.code != "already_sent":
            raise
        db.session.rollback()
        sent_at = local_time(services.last_sent(invitation_id, form.channel.data).created_at)
        error = _("This invitation was already sent at %(time)s. Confirm to send it again.", time=sent_at)
        return _call_card(invitation_id, error=error, status=409)
    db.session.commit()
    if message.status == "suppressed":
        return _call_card(invitation_id, error=calls.suppressed_text(message.last_error), status=422)
    return _call_card(invitation_id, notice=_("The invitation is on its way."))
