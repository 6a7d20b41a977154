"""The manager's day: review queue with comments (批示), approvals, reclaim and another try."""

from urllib.parse import urlsplit

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import User
from app.admin.reference import by_id, defeat_reasons
from app.core.errors import DomainError
from app.core.params import parse_positive_int
from app.core.timeutil import today_for, utcnow
from app.extensions import db
from app.followups import assignment, queries, rules, services
from app.followups.defeats import decide_defeat, may_decide
from app.followups.forms import METHOD_LABELS, RESULT_LABELS, CommentForm, DecisionForm, ReassignForm
from app.followups.models import AssignmentProposal, DefeatRequest, ProposalItem
from app.followups.views import bp
from app.followups.workload_text import ReassignOptions, workload_spans, workload_texts
from app.leads.models import Lead, TransferRequest
from app.web.access import requires
from app.web.permissions import get_lead_or_404, get_scoped_or_404, store_scope_ids
from app.web.render import is_htmx, render
from app.web.urls import paths_for


def _consultant_choices():
    return [(u.id, u.display_name) for u in queries.store_consultants(store_scope_ids(current_user))]


# ---- review queue -------------------------------------------------------------------------


@bp.get("/review")
@requires("team.manage")
def review_queue():
    """List the store's unreviewed follow-ups, each with an inline comment form."""
    rows = queries.review_queue(current_user)
    return render(
        "followups/review.html",
        rows=rows,
        total=queries.review_count(current_user),
        form=CommentForm(),
        # translated once per page, not once per row
        method_labels={k: str(v) for k, v in METHOD_LABELS.items()},
        result_labels={k: str(v) for k, v in RESULT_LABELS.items()},
    )


@bp.post("/review/<int:followup_id>")
@requires("team.manage")
def comment_followup(followup_id: int):
    """Comment on a follow-up (or mark it seen with an empty 'seen' action); answer the item."""
    followup = queries.get_followup_in_scope(current_user, followup_id)
    if followup is None:
        abort(404)
    form = CommentForm()
    if request.form.get("action") == "seen":
        services.mark_reviewed(followup)
        db.session.commit()
        return render("followups/_review_item.html", done=True, comment=None, followup=followup, form=form)
    if not form.validate_on_submit():
        lead_name, user_name = _names(followup)
        return render(
            "followups/_review_item.html",
            status=422,
            followup=followup,
            form=form,
            done=False,
            lead_name=lead_name,
            user_name=user_name,
            method_labels=METHOD_LABELS,
            result_labels=RESULT_LABELS,
        )
    comment = services.comment_on_followup(followup, form.body.data, current_user)
    db.session.commit()
    return render("followups/_review_item.html", done=True, comment=comment, followup=followup, form=form)


def _names(followup):
    lead_name = db.session.execute(select(Lead.name).where(Lead.id == followup.lead_id)).scalar_one()
    user_name = db.session.execute(select(User.display_name).where(User.id == followup.user_id)).scalar_one()
    return lead_name, user_name


@bp.post("/comments/read")
@requires("account.self")
def mark_comments_read():
    """Mark the manager comments on my follow-ups as read."""
    services.mark_comments_read(current_user)
    db.session.commit()
    from app.web.render import hx_redirect

    return hx_redirect(url_for("dashboard.index"))


# ---- approvals ----------------------------------------------------------------------------


def _approvals_context():
    """Everything the approvals page decides on, in a constant number of queries: each defeat
    request with its reason, each proposal split per consultant with that consultant's workload."""
    consultants = queries.store_consultants(store_scope_ids(current_user))
    proposals = queries.pending_proposals(current_user)
    split = queries.proposal_split([row.AssignmentProposal.id for row in proposals])
    load = queries.workload({uid for parts in split.values() for uid, _n in parts}, today_for(current_user))
    return {
        "defeats": queries.pending_defeats(current_user),
        "transfers": queries.pending_transfers(current_user),
        "proposals": proposals,
        "split": split,
        "load": load,
        "form": DecisionForm(),
        "consultant_by_id": {c.id: c for c in consultants},
        "reasons": by_id(defeat_reasons()),
        "lost": queries.lost_leads(store_scope_ids(current_user), limit=20),
        "reassign_form": _reassign_form(consultants),
    }


def _reassign_form(consultants=None):
    form = ReassignForm()
    if consultants is None:
        form.to_user.choices = _consultant_choices()
    else:
        form.to_user.choices = [(c.id, c.display_name) for c in consultants]
    return form


@bp.get("/approvals")
@requires("team.manage")
def approvals():
    """Show pending assignment proposals, defeat and transfer requests."""
    return render("followups/approvals.html", **_approvals_context())


def _decision():
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in {"approve", "reject"}:
        abort(422)
    return form.decision.data == "approve", form.comment.data or ""


@bp.post("/approvals/defeats/<int:request_id>")
@requires("team.manage")
def decide_defeat_request(request_id: int):
    """Confirm or reject a defeat request (never one's own)."""
    req = get_scoped_or_404(current_user, DefeatRequest, request_id)
    if not may_decide(current_user, req):
        abort(403)
    approve, comment = _decision()
    if not approve and not comment.strip():
        return render(
            "followups/approvals.html",
            block="approvals",
            status=422,
            error=_("Say why you reject the request."),
            **_approvals_context(),
        )
    try:
        decide_defeat(req, approve, comment, current_user)
    except DomainError:
        db.session.rollback()
        abort(409)
    db.session.commit()
    return render("followups/approvals.html", block="approvals", **_approvals_context())


@bp.post("/approvals/transfers/<int:request_id>")
@requires("team.manage")
def decide_transfer_request(request_id: int):
    """Approve or reject a request to take over another consultant's customer."""
    req = get_scoped_or_404(current_user, TransferRequest, request_id)
    approve, comment = _decision()
    try:
        assignment.decide_transfer(req, approve, comment, current_user)
    except DomainError as exc:
        db.session.rollback()
        abort(403 if exc.code == "not_allowed" else 409)
    db.session.commit()
    return render("followups/approvals.html", block="approvals", **_approvals_context())


@bp.get("/approvals/proposals/<int:proposal_id>")
@requires("team.manage")
def show_proposal(proposal_id: int):
    """Show an assignment proposal line by line, with the suggested consultant adjustable."""
    proposal = _proposal_or_404(proposal_id)
    items = db.session.execute(
        select(ProposalItem, Lead.name.label("lead_name"), Lead.region, Lead.is_important, Lead.grade_id)
        .join(Lead, Lead.id == ProposalItem.lead_id)
        .where(ProposalItem.proposal_id == proposal.id)
        .order_by(ProposalItem.id)
    ).all()
    consultants = queries.store_consultants(store_scope_ids(current_user))
    load = queries.workload([c.id for c in consultants], today_for(current_user))
    capacity = {c.id: c.capacity for c in consultants}
    return render(
        "followups/proposal.html",
        proposal=proposal,
        items=items,
        form=DecisionForm(),
        consultants=[(c.id, c.display_name) for c in consultants],
        load=load,
        capacity=capacity,
        option_texts=workload_texts(load, capacity),  # read once per consultant, not once per row
    )


def _proposal_or_404(proposal_id: int) -> AssignmentProposal:
    return get_scoped_or_404(current_user, AssignmentProposal, proposal_id)


@bp.post("/approvals/proposals/<int:proposal_id>")
@requires("team.manage")
def decide_proposal(proposal_id: int):
    """Approve (with adjustments per line) or reject an assignment proposal."""
    proposal = _proposal_or_404(proposal_id)
    approve, comment = _decision()
    finals = {}
    for key, value in request.form.items():
        item_id = parse_positive_int(key.removeprefix("item-"))
        if key.startswith("item-") and item_id is not None:
            finals[item_id] = parse_positive_int(value)
    try:
        assignment.decide_proposal(proposal, approve, finals, comment, current_user)
    except DomainError as exc:
        db.session.rollback()
        abort(403 if exc.code == "not_allowed" else 409)
    db.session.commit()
    from app.web.render import hx_redirect

    return hx_redirect(url_for("followups.approvals"))


# ---- reclaim and another try --------------------------------------------------------------


@bp.get("/reclaim")
@requires("team.manage")
def reclaim_list():
    """List leads with no effective follow-up for the reclaim period, each with its owner's workload;
    a row's choice of new owner is loaded when the manager opens it (`reclaim_choice`)."""
    now = utcnow()
    days = queries.reclaim_days()
    rows = queries.reclaim_list(store_scope_ids(current_user), rules.reclaim_cutoff(now, days))
    # The workload of the owners shown, not of every consultant in scope (1,200 for a director),
    # written once per owner.
    load = queries.workload({row.owner_id for row in rows}, today_for(current_user, now))
    return render(
        "followups/reclaim.html",
        rows=rows,
        days=days,
        owner_workload=workload_spans(load, {row.owner_id: row.owner_capacity for row in rows}),
        lead_path=paths_for("leads.lead_detail", "lead_id"),
        choice_path=paths_for("followups.reclaim_choice", "lead_id"),
    )


@bp.get("/reclaim/<int:lead_id>/reassign")
@requires("team.manage")
def reclaim_choice(lead_id: int):
    """One lead's choice of new owner: the consultants of its store with their workload, the current
    owner left out and a colleague who followed it up pre-selected. HTMX gets the form alone (swapped
    into the row of the reclaim list); a plain request the page around it."""
    lead = get_lead_or_404(current_user, lead_id)
    consultants = queries.store_consultants([lead.store_id])
    load = queries.workload([c.id for c in consultants], today_for(current_user))
    capacity = {c.id: c.capacity for c in consultants}
    options = ReassignOptions(
        {lead.store_id: [(c.id, c.display_name) for c in consultants]}, workload_texts(load, capacity)
    )
    owner_name = (  # named on the page around the form only
        db.session.execute(select(User.display_name).where(User.id == lead.owner_id)).scalar()
        if lead.owner_id and not is_htmx()
        else None
    )
    return render(
        "followups/reclaim_choice.html",
        block="choice",
        lead=lead,
        owner_name=owner_name,
        options=options.for_row(lead.store_id, lead.owner_id, queries.other_followers([lead]).get(lead.id)),
        reassign_form=ReassignForm(),
    )


@bp.post("/reclaim/<int:lead_id>")
@requires("team.manage")
def reclaim_lead(lead_id: int):
    """Give a neglected (or lost) lead to another consultant."""
    lead = get_lead_or_404(current_user, lead_id)
    form = _reassign_form()
    if not form.validate_on_submit():
        abort(422)
    to_user = db.session.get(User, form.to_user.data)
    try:
        if lead.lost_at is not None:
            assignment.reopen_defeated(lead, to_user, current_user, form.reason.data or "")
        else:
            assignment.reassign(
                lead,
                to_user,
                current_user,
                kind="reclaim",
                reason=form.reason.data or _("No effective follow-up"),
            )
        db.session.commit()
    except DomainError:
        db.session.rollback()
        abort(422)
    from app.web.render import hx_redirect

    back = request.referrer
    if not back or urlsplit(back).path == url_for("followups.reclaim_choice", lead_id=lead.id):
        back = url_for("followups.reclaim_list")  # the lead's own choice page (without htmx): the list
    return hx_redirect(back)
