"""Board writes: lock the lead, check the version the card was rendered with, and move it
(or record the order, the defeat request or the showroom visit the move asks for).

Concurrent moves of one lead serialise on SELECT ... FOR UPDATE; the version check then turns
the loser into a conflict, and the version column catches anything that slips past the lock.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.admin.defaults import get_setting
from app.admin.reference import by_code, by_id, stages, vehicle_models
from app.audit.services import record
from app.core.errors import ConflictError, DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.defeats import pending_request, request_defeat
from app.leads.models import Lead, LeadOrder
from app.pipeline import rules
from app.pipeline.rules import MoveResult
from app.pipeline.stages import set_stage
from app.showroom.models import ShowroomVisit
from app.web.permissions import scoped_leads

DIALOG_SETTING = "board_move_dialogs"


@dataclass
class DialogAnswer:
    """The dialog the user answered with the move ("" for none), whether its form was valid, and
    what it said (the fields of the order, the defeat request or the visit)."""

    kind: str = ""
    valid: bool = False
    data: dict = field(default_factory=dict)


def move_dialogs() -> dict[str, str]:
    """Return the admin's list of stages whose move opens a dialog first."""
    return rules.clean_dialogs(get_setting(DIALOG_SETTING))


def lock_lead(user, lead_id: int) -> Lead:
    """Load a lead in the user's scope and lock its row until commit (404 when out of scope)."""
    lead = db.session.execute(
        scoped_leads(user).where(Lead.id == lead_id).with_for_update()
    ).scalar_one_or_none()
    if lead is None:
        abort(404)
    return lead


def plan_move(user, lead: Lead, stage_code: str, version: int) -> MoveResult:
    """Check the version and the transition rules for moving `lead` to `stage_code`."""
    refs = stages()
    return rules.plan_move(
        lead.id,
        lead.version,
        by_id(refs).get(lead.stage_id),
        by_code(refs).get(stage_code),
        version=version,
        role=user.role,
        dialogs=move_dialogs(),
        defeat_pending=lambda: pending_request(lead.id) is not None,
    )


def move_card(user, lead: Lead, stage_code: str, version: int, answer: DialogAnswer) -> MoveResult:
    """Plan the move of a locked lead and carry out what the plan and the user's answer allow.

    The result is moved or requested (a change the caller commits), or noop, dialog, refused or
    conflict (nothing written: the caller rolls back).
    """
    plan = plan_move(user, lead, stage_code, version)
    step = rules.next_step(plan, answer.kind, answer.valid)
    if step in {rules.Step.ANSWER, rules.Step.ASK}:
        return plan
    if step == rules.Step.ASK_AGAIN:
        return replace(plan, invalid=True)
    try:
        if step == rules.Step.APPLY:
            return apply_move(user, lead, stage_code, version)
        return answer_dialog(user, lead, plan.dialog, stage_code, version, answer.data)
    except ConflictError:
        return MoveResult(rules.CONFLICT, lead.id, plan.from_stage_id, plan.from_stage_id)
    except DomainError as exc:  # a defeat request already waiting, the lead no longer open
        if plan.dialog != "defeat":
            raise
        return MoveResult(rules.REFUSED, lead.id, plan.from_stage_id, plan.from_stage_id, reason=exc.code)


def answer_dialog(user, lead: Lead, kind: str, stage_code: str, version: int, data: dict) -> MoveResult:
    """Carry out a move's dialog: record the order and win, file the defeat request, or move to
    visited and register the visit."""
    if kind == "order":
        return win_with_order(user, lead, version, data)
    if kind == "defeat":
        return ask_defeat(user, lead, version, data["reason_id"], data["detail"])
    return visit_and_move(user, lead, stage_code, version, data["register_visit"], data["party_size"])


def dialog_defaults(lead: Lead, plan: MoveResult) -> dict:
    """Return what a dialog starts with: the move itself and, for an order, the model of interest."""
    data = {"lead_id": lead.id, "version": lead.version, "dialog": plan.dialog}
    if plan.dialog == "order":
        model = next((m for m in vehicle_models() if m.id == lead.model_id), None)
        if model is not None:
            data.update(brand=model.brand, series=model.series, model=model.name, amount=model.price)
    return data


def apply_move(user, lead: Lead, stage_code: str, version: int, now: datetime | None = None) -> MoveResult:
    """Move the lead (no dialog needed); raise ConflictError on a stale version."""
    from_stage = lead.stage_id
    set_stage(lead, stage_code, user, expected_version=version, now=now or utcnow())
    _flush()
    record("lead.stage", user, "lead", lead.id, {"from": from_stage, "to": lead.stage_id})
    return MoveResult(rules.MOVED, lead.id, from_stage, lead.stage_id)


def win_with_order(user, lead: Lead, version: int, order: dict, now: datetime | None = None) -> MoveResult:
    """Record the order and move the lead to won, in one transaction."""
    now = now or utcnow()
    if lead.version != version:
        raise ConflictError("stale", "the lead was changed by someone else")
    db.session.add(
        LeadOrder(
            lead_id=lead.id,
            store_id=lead.store_id,
            consultant_id=lead.owner_id,
            created_by_id=user.id,
            created_at=now,
            **order,
        )
    )
    won = next(s for s in stages() if str(s.kind) == rules.WON)
    return apply_move(user, lead, won.code, version, now)


def ask_defeat(user, lead: Lead, version: int, reason_id: int, detail: str) -> MoveResult:
    """File a defeat request; the lead stays where it is until a manager decides."""
    if lead.version != version:
        raise ConflictError("stale", "the lead was changed by someone else")
    req = request_defeat(lead, reason_id, detail, user)
    return MoveResult(rules.REQUESTED, lead.id, lead.stage_id, lead.stage_id, details={"request": req.id})


def visit_and_move(
    user,
    lead: Lead,
    stage_code: str,
    version: int,
    register: bool,
    party_size: int | None,
    now: datetime | None = None,
) -> MoveResult:
    """Move the lead and, if asked, register its showroom visit (arrived now, the owner receives).

    The visit goes out in the move's flush, so the report aggregates work the lead out once."""
    now = now or utcnow()
    if register:
        db.session.add(
            ShowroomVisit(
                store_id=lead.store_id,
                lead_id=lead.id,
                consultant_id=lead.owner_id,
                registered_by_id=user.id,
                source_channel_id=lead.source_channel_id,
                arrived_at=now,
                party_size=party_size or 1,
                is_first_visit=lead.arrived_at is None,
                left_contact=True,
                created_at=now,
            )
        )
    result = apply_move(user, lead, stage_code, version, now)
    if register:
        result.details["visit"] = True
    return result


def vin_taken(vin: str) -> bool:
    """Return whether an order already carries this VIN."""
    return db.session.execute(select(LeadOrder.id).where(LeadOrder.vin == vin).limit(1)).first() is not None


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ConflictError("stale", "the lead was changed by someone else") from exc
