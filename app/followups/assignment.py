"""Owner changes of the loop: assignment proposals (用户线索分配表), approval, reclaim, transfer,
another try after a defeat. Every change goes through change_owner (history + reason)."""

from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from app.accounts.models import LeaveWindow, Role, Store, User
from app.admin.defaults import get_setting
from app.admin.reference import by_id, grades, open_stage_ids
from app.audit.services import record
from app.core.errors import DomainError
from app.core.phones import format_phone
from app.core.timeutil import local_today, to_local, today_for, utcnow, zone_for
from app.extensions import db
from app.followups import rules
from app.followups.models import AssignmentProposal, Plan, PlanKind, PlanStatus, ProposalItem
from app.followups.plans import open_plan, sync_next_plan_due
from app.followups.texts import gettext as _
from app.leads.models import Lead, TransferRequest
from app.leads.services import change_owner
from app.messaging.notify import alert_store, notify, notify_many, store_managers
from app.pipeline.stages import set_stage


def candidates_for(store_ids: list[int], today: date) -> list[rules.Candidate]:
    """Return the consultants of the stores with their load and leave (three grouped queries)."""
    people = db.session.execute(
        select(User.id, User.capacity, Store.region, Store.city)
        .join(Store, Store.id == User.store_id)
        .where(User.store_id.in_(store_ids), User.role == Role.CONSULTANT, User.active.is_(True))
        .order_by(User.id)
    ).all()
    ids = [p.id for p in people]
    if not ids:
        return []
    ha_ids = [g.id for g in grades() if g.code in {"H", "A"}]
    load = {
        r[0]: (r[1], r[2])
        for r in db.session.execute(
            select(Lead.owner_id, func.count(Lead.id), func.count(case((Lead.grade_id.in_(ha_ids), 1))))
            .where(Lead.owner_id.in_(ids), Lead.stage_id.in_(open_stage_ids()))
            .group_by(Lead.owner_id)
        ).all()
    }
    away = set(
        db.session.execute(
            select(LeaveWindow.user_id).where(
                LeaveWindow.user_id.in_(ids), LeaveWindow.starts_on <= today, LeaveWindow.ends_on >= today
            )
        ).scalars()
    )
    return [
        rules.Candidate(
            id=p.id,
            region=f"{p.region or ''}{p.city or ''}",
            open_leads=load.get(p.id, (0, 0))[0],
            ha_leads=load.get(p.id, (0, 0))[1],
            capacity=p.capacity or 0,
            on_leave=p.id in away,
        )
        for p in people
    ]


def build_proposal(
    leads: list[Lead], store_id: int, actor: User, today: date, note: str = "", now: datetime | None = None
) -> AssignmentProposal:
    """Create a pending assignment proposal for pool leads, with a suggested consultant per line."""
    leads = [lead for lead in leads if lead.owner_id is None and lead.store_id == store_id]
    if not leads:
        raise DomainError("no_leads", "choose leads from the pool", field="lead")
    grade_codes = {g.id: g.code for g in grades()}
    suggestions = rules.suggest_assignments(
        [
            rules.PoolLead(lead.id, lead.region, grade_codes.get(lead.grade_id, "C"), bool(lead.is_important))
            for lead in leads
        ],
        candidates_for([store_id], today),
    )
    proposal = AssignmentProposal(
        store_id=store_id,
        created_by_id=actor.id,
        status="pending",
        note=note or None,
        created_at=now or utcnow(),
    )
    db.session.add(proposal)
    db.session.flush()
    for s in suggestions:
        db.session.add(
            ProposalItem(
                proposal_id=proposal.id,
                lead_id=s.lead_id,
                suggested_user_id=s.user_id,
                final_user_id=s.user_id,
                reason=s.reason,
            )
        )
    record("assignment.propose", actor, "proposal", proposal.id, {"leads": len(suggestions)})
    notify_many(
        store_managers(store_id, exclude_id=actor.id),
        "approval",
        "followups.show_proposal",
        {"proposal_id": proposal.id},
        _l("Assignment proposal with %(n)s leads", n=len(suggestions)),
        store_id=store_id,
        now=now,
    )
    db.session.flush()
    return proposal


def lead_details(lead: Lead) -> str:
    """Return the lead details a consultant gets with an assignment."""
    grade = by_id(grades()).get(lead.grade_id)
    lines = [
        f"{_('Customer')}: {lead.name}",
        f"{_('Phone')}: {format_phone(lead.phone) if lead.phone else '-'}",
        f"{_('Intent grade')}: {grade.code if grade else '-'}",
        f"{_('Expected purchase date')}: {lead.expected_purchase_date or '-'}",
    ]
    if lead.region:
        lines.append(f"{_('Region')}: {lead.region}")
    if lead.notes:
        lines.append(lead.notes[:500])
    return "\n".join(lines)


def assign_lead(
    lead: Lead,
    to_user: User,
    actor: User,
    *,
    kind: str = "assign",
    reason: str = "",
    now: datetime | None = None,
    email: bool = True,
    announce: bool = True,
) -> None:
    """Give the lead to a consultant with a first-contact deadline and plan, and tell them."""
    if to_user is None or not to_user.active or to_user.role not in {Role.CONSULTANT, Role.DCC}:
        raise DomainError("bad_assignee", "choose an active consultant", field="to_user")
    now = now or utcnow()
    change_owner(lead, to_user, actor=actor, kind=kind, reason=reason, now=now)
    for plan in db.session.execute(
        select(Plan).where(
            Plan.lead_id == lead.id,
            Plan.status == PlanStatus.OPEN,
            Plan.assignee_id.isnot(None),
            Plan.assignee_id != to_user.id,
        )
    ).scalars():
        plan.assignee_id = to_user.id
    deadline = rules.first_contact_deadline(now, int(get_setting("first_contact_hours") or 24))
    lead.first_contact_due_at = deadline
    lead.first_contacted_at = None
    tz = zone_for(lead)
    open_plan(
        lead,
        local_today(deadline, tz),
        _("First contact"),
        kind=PlanKind.FIRST_CONTACT,
        assignee_id=to_user.id,
        actor=actor,
        now=now,
    )
    if not announce:  # the consultant is with the customer already (showroom reception)
        return
    with force_locale(to_user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        details = (
            lead_details(lead)
            + "\n"
            + _(
                "Contact them before %(deadline)s.",
                deadline=to_local(deadline, tz).strftime("%Y-%m-%d %H:%M"),
            )
        )
    args = {"lead_id": lead.id}
    notify(
        to_user,
        "assignment",
        "leads.lead_detail",
        args,
        _l("New customer for you: %(name)s", name=lead.name),
        body=details,
        email=None if email else False,
        now=now,
    )
    grade = by_id(grades()).get(lead.grade_id)
    if grade is not None and grade.code == "H":
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
            alert_store(
                lead.store_id,
                _("New H lead %(name)s, given to %(who)s", name=lead.name, who=to_user.display_name),
                "leads.lead_detail",
                args,
            )


def decide_proposal(
    proposal: AssignmentProposal,
    approve: bool,
    finals: dict[int, int | None],
    comment: str,
    actor: User,
    now: datetime | None = None,
) -> int:
    """Approve (assign every line, with the manager's adjustments) or reject a proposal."""
    if proposal.status != "pending":
        raise DomainError("already_decided", "this proposal was already decided")
    if actor.role not in {Role.MANAGER, Role.DIRECTOR} or (
        actor.role == Role.MANAGER and actor.store_id != proposal.store_id
    ):
        raise DomainError("not_allowed", "you may not decide this proposal")
    now = now or utcnow()
    proposal.status = "approved" if approve else "rejected"
    proposal.decided_by_id, proposal.decided_at = actor.id, now
    proposal.comment = (comment or "").strip() or None
    assigned = 0
    if approve:
        items = (
            db.session.execute(select(ProposalItem).where(ProposalItem.proposal_id == proposal.id))
            .scalars()
            .all()
        )
        leads = {
            lead.id: lead
            for lead in db.session.execute(
                select(Lead).where(Lead.id.in_([i.lead_id for i in items]))
            ).scalars()
        }
        users = {
            u.id: u
            for u in db.session.execute(
                select(User).where(User.store_id == proposal.store_id, User.active.is_(True))
            ).scalars()
        }
        for item in items:
            if item.id in finals:
                item.final_user_id = finals[item.id]
            lead = leads.get(item.lead_id)
            user = users.get(item.final_user_id or 0)
            if lead is None or user is None or lead.owner_id is not None:
                continue
            assign_lead(
                lead,
                user,
                actor,
                kind="assign",
                reason=_("Assignment proposal %(id)s", id=proposal.id),
                now=now,
            )
            assigned += 1
    record(
        "assignment.approve" if approve else "assignment.reject",
        actor,
        "proposal",
        proposal.id,
        {"assigned": assigned},
    )
    author = db.session.get(User, proposal.created_by_id)
    if author is not None and author.id != actor.id:
        notify(
            author,
            "proposal_decided",
            "followups.show_proposal",
            {"proposal_id": proposal.id},
            _l("Your assignment proposal was approved")
            if approve
            else _l("Your assignment proposal was rejected"),
            body=proposal.comment or "",
            now=now,
        )
    return assigned


def reassign(
    lead: Lead, to_user: User, actor: User, *, kind: str, reason: str, now: datetime | None = None
) -> None:
    """Hand an open lead to another consultant (reclaim, another try) with a fresh first contact."""
    if to_user is not None and to_user.id == lead.owner_id:
        raise DomainError("same_owner", "choose someone other than the current owner", field="to_user")
    assign_lead(lead, to_user, actor, kind=kind, reason=reason, now=now)
    sync_next_plan_due(lead)


def reopen_defeated(
    lead: Lead, to_user: User, actor: User, reason: str = "", now: datetime | None = None
) -> None:
    """Give a confirmed-lost lead another try: back to stage new with a new owner."""
    now = now or utcnow()
    if lead.lost_at is None:
        raise DomainError("not_lost", "only lost leads can be tried again")
    set_stage(lead, "new", actor, now=now)
    lead.lost_at = None
    assign_lead(
        lead,
        to_user,
        actor,
        kind="defeat_reassign",
        reason=reason or _("Another try after a defeat"),
        now=now,
    )


def decide_transfer(
    req: TransferRequest, approve: bool, comment: str, actor: User, now: datetime | None = None
) -> None:
    """Approve (the requester becomes the owner) or reject a transfer request."""
    if req.status != "pending":
        raise DomainError("already_decided", "this request was already decided")
    if (
        actor.id == req.requested_by_id
        or actor.role not in {Role.MANAGER, Role.DIRECTOR}
        or (actor.role == Role.MANAGER and actor.store_id != req.store_id)
    ):
        raise DomainError("not_allowed", "you may not decide this request")
    now = now or utcnow()
    req.status = "approved" if approve else "rejected"
    req.decided_by_id, req.decided_at = actor.id, now
    req.comment = (comment or "").strip()[:500] or None
    requester = db.session.get(User, req.requested_by_id)
    if approve:
        lead = db.session.get(Lead, req.lead_id)
        change_owner(lead, requester, actor=actor, kind="transfer", reason=req.reason, now=now)
        for plan in db.session.execute(
            select(Plan).where(Plan.lead_id == lead.id, Plan.status == PlanStatus.OPEN)
        ).scalars():
            plan.assignee_id = requester.id
    record(
        "transfer.approve" if approve else "transfer.reject", actor, "lead", req.lead_id, {"request": req.id}
    )
    notify(
        requester,
        "transfer",
        "leads.lead_detail",
        {"lead_id": req.lead_id},
        _l("Your transfer request was approved") if approve else _l("Your transfer request was rejected"),
        body=req.comment or "",
        now=now,
    )


def suggest_owner(store_id: int, lead: Lead, today: date) -> User | None:
    """The consultant the store's assignment rule picks for one lead: local first, then the lightest
    load, consultants on leave or at capacity skipped; None when nobody is free."""
    grade = by_id(grades()).get(lead.grade_id)
    pick = rules.suggest_assignments(
        [rules.PoolLead(lead.id, lead.region, grade.code if grade else "C")],
        candidates_for([store_id], today),
    )
    user_id = pick[0].user_id if pick else None
    return db.session.get(User, user_id) if user_id else None


def own_walk_in(
    lead: Lead, consultant: User | None, actor: User, *, now: datetime | None = None, announce: bool = True
) -> bool:
    """Put a walk-in customer in the loop: the receiving consultant becomes the owner (when the lead
    has none yet or was just created for them), with a first-contact deadline and a next plan at the
    grade's cadence. Return False when there is nobody to give the lead to."""
    from app.followups.services import cadence_table, stage_kind

    now = now or utcnow()
    if consultant is None or lead.owner_id not in (None, consultant.id) or stage_kind(lead) != "open":
        return False
    assign_lead(lead, consultant, actor, kind="assign", reason=_("Walk-in"), now=now, announce=announce)
    has_follow_up = db.session.execute(
        select(Plan.id)
        .where(Plan.lead_id == lead.id, Plan.status == PlanStatus.OPEN, Plan.kind == PlanKind.FOLLOW_UP)
        .limit(1)
    ).first()
    if has_follow_up is None:
        grade = by_id(grades()).get(lead.grade_id)
        today = today_for(lead, now)
        open_plan(
            lead,
            rules.default_plan_date(grade.code if grade else "C", cadence_table(), today),
            _("Follow up after the visit"),
            kind=PlanKind.FOLLOW_UP,
            assignee_id=consultant.id,
            actor=actor,
            now=now,
        )
    return True
