"""Board writes: lock the lead, check the version the card was rendered with, and move it
(or record the order, the defeat request or the showroom visit the move asks for).

Concurrent moves of one lead serialise on SELECT ... FOR UPDATE; the version check then turns
the loser into a conflict, and the version column catches anything that slips past the lock.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.admin.defaults import get_setting
from app.admin.reference import by_code, by_id, stages
from app.audit.services import record
from app.core.errors import ConflictError
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.defeats import pending_request, request_defeat
from app.leads.models import Lead, LeadOrder
from app.pipeline import rules
from app.pipeline.stages import set_stage
from app.showroom.models import ShowroomVisit
from app.web.permissions import scoped_leads

DIALOG_SETTING = "board_move_dialogs"


@dataclass
class MoveResult:
    """What happened to a move: moved, noop, requested (defeat), dialog, refused or conflict."""

    status: str
    lead_id: int
    from_stage_id: int | None = None
    stage_id: int | None = None
    dialog: str | None = None
    reason: str = ""
    details: dict = field(default_factory=dict)


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
    target = by_code(refs).get(stage_code)
    current = by_id(refs).get(lead.stage_id)
    if lead.version != version:
        return MoveResult("conflict", lead.id, lead.stage_id, lead.stage_id)
    if target is None:
        return MoveResult("refused", lead.id, lead.stage_id, lead.stage_id, reason="unknown_stage")
    decision = rules.decide_move(current, target, role=user.role, dialogs=move_dialogs())
    if decision.outcome == rules.Outcome.NOOP:
        return MoveResult("noop", lead.id, lead.stage_id, lead.stage_id)
    if decision.outcome == rules.Outcome.REFUSED:
        return MoveResult("refused", lead.id, lead.stage_id, lead.stage_id, reason=decision.reason)
    if decision.outcome == rules.Outcome.DEFEAT and pending_request(lead.id) is not None:
        return MoveResult("refused", lead.id, lead.stage_id, lead.stage_id, reason="already_pending")
    if decision.needs_dialog:
        return MoveResult("dialog", lead.id, lead.stage_id, target.id, dialog=str(decision.outcome))
    return MoveResult("move", lead.id, lead.stage_id, target.id)


def apply_move(user, lead: Lead, stage_code: str, version: int, now: datetime | None = None) -> MoveResult:
    """Move the lead (no dialog needed); raise ConflictError on a stale version."""
    from_stage = lead.stage_id
    set_stage(lead, stage_code, user, expected_version=version, now=now or utcnow())
    _flush()
    record("lead.stage", user, "lead", lead.id, {"from": from_stage, "to": lead.stage_id})
    return MoveResult("moved", lead.id, from_stage, lead.stage_id)


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
    return MoveResult("requested", lead.id, lead.stage_id, lead.stage_id, details={"request": req.id})


def visit_and_move(
    user,
    lead: Lead,
    stage_code: str,
    version: int,
    register: bool,
    party_size: int | None,
    now: datetime | None = None,
) -> MoveResult:
    """Move the lead and, if asked, register its showroom visit (arrived now, the owner receives)."""
    now = now or utcnow()
    first_visit = lead.arrived_at is None
    result = apply_move(user, lead, stage_code, version, now)
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
                is_first_visit=first_visit,
                left_contact=True,
                created_at=now,
            )
        )
        db.session.flush()
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
