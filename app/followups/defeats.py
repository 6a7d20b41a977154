"""Defeat (战败) requests: a consultant asks, a manager of the store (or a director) decides."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Role, User
from app.admin.models import StageKind
from app.admin.reference import by_id, defeat_reasons, stages
from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.models import DefeatRequest, DefeatStatus, Plan, PlanStatus
from app.leads.models import Lead
from app.messaging.notify import notify, notify_many, store_managers
from app.pipeline.stages import set_stage


def pending_request(lead_id: int) -> DefeatRequest | None:
    return db.session.execute(
        select(DefeatRequest).where(
            DefeatRequest.lead_id == lead_id, DefeatRequest.status == DefeatStatus.PENDING
        )
    ).scalar_one_or_none()


def request_defeat(
    lead: Lead, reason_id: int, detail: str, actor, now: datetime | None = None
) -> DefeatRequest:
    """Ask to mark the lead lost; the lead stays where it is until a manager confirms."""
    if reason_id not in by_id(defeat_reasons()):
        raise DomainError("unknown_reason", "choose a reason")
    stage = by_id(stages()).get(lead.stage_id)
    if stage is not None and stage.kind != StageKind.OPEN:
        raise DomainError("not_open", "only open leads can be defeated")
    if pending_request(lead.id) is not None:
        raise DomainError("already_pending", "a defeat request is already waiting for approval")
    req = DefeatRequest(
        lead_id=lead.id,
        store_id=lead.store_id,
        requested_by_id=actor.id,
        reason_id=reason_id,
        detail=(detail or "").strip(),
        stage_before_id=lead.stage_id,
        created_at=now or utcnow(),
    )
    db.session.add(req)
    db.session.flush()
    record("defeat.request", actor, "lead", lead.id, {"request": req.id, "reason": reason_id})
    notify_many(
        store_managers(lead.store_id, exclude_id=actor.id),
        "approval",
        "followups.approvals",
        None,
        _l("Defeat request for %(name)s", name=lead.name),
        body=req.detail,
        store_id=lead.store_id,
        now=req.created_at,
    )
    return req


def may_decide(user, req: DefeatRequest) -> bool:
    """Managers decide for their store, directors for every store; nobody decides their own."""
    if user.id == req.requested_by_id:
        return False
    if user.role == Role.DIRECTOR:
        return True
    return user.role == Role.MANAGER and user.store_id == req.store_id


def decide_defeat(
    req: DefeatRequest, confirm: bool, comment: str, actor, now: datetime | None = None
) -> None:
    """Confirm (lead → lost, open plans cancelled) or reject (lead stays, with the comment)."""
    if req.status != DefeatStatus.PENDING:
        raise DomainError("already_decided", "this request was already decided")
    if not may_decide(actor, req):
        raise DomainError("not_allowed", "you may not decide this request")
    now = now or utcnow()
    req.status = DefeatStatus.CONFIRMED if confirm else DefeatStatus.REJECTED
    req.decided_by_id = actor.id
    req.decided_at = now
    req.comment = (comment or "").strip() or None
    lead = db.session.get(Lead, req.lead_id)
    if confirm:
        set_stage(lead, "lost", actor, now=now)
        for plan in db.session.execute(
            select(Plan).where(Plan.lead_id == lead.id, Plan.status == PlanStatus.OPEN)
        ).scalars():
            plan.status = PlanStatus.CANCELLED
            plan.done_at = now
        lead.next_plan_due = None
    record("defeat.confirm" if confirm else "defeat.reject", actor, "lead", lead.id, {"request": req.id})
    requester = db.session.get(User, req.requested_by_id)
    if requester is not None and requester.active:
        notify(
            requester,
            "defeat",
            "leads.lead_detail",
            {"lead_id": lead.id},
            _l("Defeat confirmed: %(name)s", name=lead.name)
            if confirm
            else _l("Defeat rejected: %(name)s", name=lead.name),
            body=req.comment or "",
            now=now,
        )
