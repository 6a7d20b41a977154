"""The one primitive that moves a lead to another stage and records it (who, when, from, to).

Every stage change in LeadLoop goes through `set_stage`: kanban drags, defeat confirmation,
orders, check-in arrivals, invitations. Optimistic locking: pass the version the user saw and a
stale one raises ConflictError instead of overwriting someone else's change.
"""

from datetime import datetime

from app.admin.models import StageKind
from app.admin.reference import by_id, stage_by_code, stages
from app.core.errors import ConflictError
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.models import Lead, StageChange


def set_stage(
    lead: Lead,
    to_code: str,
    actor=None,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
    forward_only: bool = False,
) -> bool:
    """Move `lead` to stage `to_code`; return False when nothing changed."""
    if expected_version is not None and lead.version != expected_version:
        raise ConflictError("stale", "the lead was changed by someone else", current_version=lead.version)
    target = stage_target(lead.stage_id, to_code, forward_only=forward_only)
    if target is None:
        return False
    now = now or utcnow()
    db.session.add(
        StageChange(
            lead_id=lead.id,
            from_stage_id=lead.stage_id,
            to_stage_id=target.id,
            user_id=getattr(actor, "id", None),
            store_id=lead.store_id,
            created_at=now,
        )
    )
    lead.stage_id = target.id
    lead.stage_changed_at = now
    lead.stage_changed_by_id = getattr(actor, "id", None)
    if target.kind == StageKind.WON:
        lead.won_at = now
    elif target.kind == StageKind.LOST:
        lead.lost_at = now
    if to_code == "invited" and lead.invited_at is None:
        lead.invited_at = now
    if to_code == "visited" and lead.arrived_at is None:
        lead.arrived_at = now
    return True


def stage_target(stage_id: int | None, to_code: str, *, forward_only: bool = False):
    """The stage a lead now in `stage_id` moves to for `to_code`, or None when it stays (already
    there, or a forward-only move that would go backwards or leave a closed stage)."""
    target = stage_by_code(to_code)
    if stage_id == target.id:
        return None
    current = by_id(stages()).get(stage_id)
    if (
        forward_only
        and current is not None
        and (current.kind != StageKind.OPEN or current.sort_order >= target.sort_order)
    ):
        return None
    return target


def advance_stage(lead: Lead, to_code: str, actor=None, now: datetime | None = None) -> bool:
    """Move forward automatically (first contact, invitation, arrival); never backwards."""
    return set_stage(lead, to_code, actor, now=now, forward_only=True)
