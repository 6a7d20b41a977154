"""Follow-up operations: log a follow-up with its next plan, change a grade, comment (批示),
take leave, move plans, hand a lead to someone else. Callers commit once."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select, update

from app.accounts.models import LeaveWindow, Role, User
from app.admin.reference import by_id, grades, stages
from app.audit.services import record
from app.core.errors import ConflictError, DomainError
from app.core.timeutil import today_for, utcnow, zone_for
from app.extensions import db
from app.followups import rules
from app.followups.models import (
    FollowUp,
    FollowUpMethod,
    FollowUpResult,
    ManagerComment,
    Plan,
    PlanKind,
    PlanStatus,
)
from app.followups.plans import close_plan, open_plan, sync_next_plan_due, sync_next_plan_due_bulk
from app.leads.models import Lead
from app.messaging.notify import notify
from app.pipeline.stages import advance_stage

# Plans a follow-up answers by itself (event reconfirmations stay until the invitation flow closes them).
ANSWERED_KINDS = (
    PlanKind.FOLLOW_UP,
    PlanKind.FIRST_CONTACT,
    PlanKind.DCC_CALL,
    PlanKind.REINVITE,
    PlanKind.POST_EVENT,
    PlanKind.BIRTHDAY,
    PlanKind.PURCHASE_DATE,
)


def cadence_table() -> dict[str, int]:
    """Return grade code -> follow-up interval in days, as the admin configured it."""
    return {g.code: int(g.cadence_days) for g in grades()}


def store_timezone(store_id: int | None) -> str:
    """Return the store's time zone (the configured default without a store)."""
    return zone_for(store_id)


def stage_kind(lead: Lead) -> str:
    stage = by_id(stages()).get(lead.stage_id)
    return str(stage.kind) if stage is not None else "open"


def next_plan_required_for(lead: Lead) -> bool:
    """Whether a follow-up on this lead must leave a next plan (every open lead)."""
    return rules.next_plan_required(stage_kind(lead))


@dataclass
class FollowUpInput:
    """What a person types in the follow-up form."""

    method: str
    result: str
    content: str = ""
    feedback: str | None = None
    recording_url: str | None = None
    grade_id: int | None = None
    expected_purchase_date: date | None = None
    next_due: date | None = None
    next_content: str = ""
    late_reason: str | None = None
    version: int | None = None
    plan_id: int | None = None
    confirm_mismatch: bool = False  # a manager keeps a grade and a date that disagree (audited)


def _check_input(lead: Lead, data: FollowUpInput, today: date) -> str:
    if data.method not in {m.value for m in FollowUpMethod}:
        raise DomainError("bad_method", "choose how you contacted the customer", field="method")
    if data.result not in {r.value for r in FollowUpResult}:
        raise DomainError("bad_result", "choose the result", field="result")
    grade_refs = by_id(grades())
    grade_id = data.grade_id or lead.grade_id
    if grade_id not in grade_refs:
        raise DomainError("bad_grade", "choose a grade", field="grade_id")
    if data.result == FollowUpResult.REACHED and not (data.content or "").strip():
        raise DomainError("content_required", "say what you talked about", field="content")
    rules.check_next_plan(
        data.next_due,
        data.next_content,
        grade_refs[grade_id].code,
        cadence_table(),
        today,
        data.late_reason,
        required=rules.next_plan_required(stage_kind(lead)),
    )
    return grade_refs[grade_id].code


def _check_grade_date(lead: Lead, data: FollowUpInput, actor: User, today: date) -> None:
    """A grade or date update must leave them agreeing (seed 003), unless a manager confirms the mismatch."""
    from app.leads.services import grade_date_message, may_override_grade_date, record_grade_date_override

    grade_id = data.grade_id or lead.grade_id
    expected = data.expected_purchase_date or lead.expected_purchase_date
    if grade_id == lead.grade_id and expected == lead.expected_purchase_date:
        return
    message = grade_date_message(grade_id, expected, today)
    if message is None:
        return
    if data.confirm_mismatch and may_override_grade_date(actor):
        record_grade_date_override(lead, actor, grade_id, expected)
        return
    raise DomainError("grade_date", message, field="expected_purchase_date")


def log_followup(lead: Lead, data: FollowUpInput, actor: User, now: datetime | None = None) -> FollowUp:
    """Record a follow-up, close the plans it answers and open the next one (never none)."""
    now = now or utcnow()
    if data.version is not None and data.version != lead.version:
        raise ConflictError("stale", "the lead was changed by someone else", current_version=lead.version)
    today = today_for(lead, now)
    _check_input(lead, data, today)
    _check_grade_date(lead, data, actor, today)
    effective = rules.is_effective(data.result, data.content)
    grade_before = lead.grade_id
    followup = FollowUp(
        lead_id=lead.id,
        user_id=actor.id,
        store_id=lead.store_id,
        method=data.method,
        result=data.result,
        content=(data.content or "").strip(),
        feedback=(data.feedback or "").strip() or None,
        recording_url=(data.recording_url or "").strip() or None,
        occurred_at=now,
        is_effective=effective,
        grade_before_id=grade_before,
        grade_after_id=data.grade_id or grade_before,
        created_at=now,
    )
    answered = (
        db.session.execute(
            select(Plan)
            .where(
                Plan.lead_id == lead.id,
                Plan.status == PlanStatus.OPEN,
                (Plan.kind.in_(ANSWERED_KINDS)) | (Plan.id == (data.plan_id or 0)),
            )
            .order_by(Plan.due_date)
        )
        .scalars()
        .all()
    )
    for plan in answered:
        if plan.kind in (PlanKind.BIRTHDAY, PlanKind.PURCHASE_DATE) and plan.due_date > today:
            continue  # a reminder for a later day stays
        if plan.kind == PlanKind.FIRST_CONTACT and rules.first_contact_breached(
            lead.first_contact_due_at, now, now
        ):
            plan.overdue_marked_at = plan.overdue_marked_at or now
        close_plan(plan, now=now)
        followup.plan_id = followup.plan_id or plan.id
    db.session.add(followup)
    if data.grade_id and data.grade_id != lead.grade_id:
        lead.grade_id = data.grade_id
    if data.expected_purchase_date is not None:
        lead.expected_purchase_date = data.expected_purchase_date
    if data.next_due is not None:
        open_plan(
            lead,
            data.next_due,
            (data.next_content or "").strip()[:500],
            kind=PlanKind.FOLLOW_UP,
            assignee_id=actor.id if actor.id in (lead.owner_id, lead.dcc_agent_id) else lead.owner_id,
            actor=actor,
            late_reason=(data.late_reason or "").strip() or None,
            now=now,
            flush=False,  # one flush below writes the follow-up, the plans, the stage and the lead
        )
    lead.last_followup_at = now
    if effective:
        lead.last_effective_followup_at = now
    if lead.first_contacted_at is None:
        lead.first_contacted_at = now
    lead.first_contact_due_at = None
    if data.result == FollowUpResult.REACHED:
        advance_stage(lead, "contacted", actor, now=now)
    sync_next_plan_due(lead)
    db.session.flush()  # the version check happens here
    return followup


def change_grade(lead: Lead, grade_id: int, actor: User, now: datetime | None = None) -> list[Plan]:
    """Change the intent grade and bring the open follow-up plans in line with its cadence."""
    now = now or utcnow()
    refs = by_id(grades())
    if grade_id not in refs:
        raise DomainError("bad_grade", "choose a grade", field="grade_id")
    if grade_id == lead.grade_id:
        return []
    lead.grade_id = grade_id
    today = today_for(lead, now)
    plans = (
        db.session.execute(
            select(Plan).where(
                Plan.lead_id == lead.id, Plan.status == PlanStatus.OPEN, Plan.kind == PlanKind.FOLLOW_UP
            )
        )
        .scalars()
        .all()
    )
    for plan in plans:
        plan.due_date = rules.regraded_due(plan.due_date, refs[grade_id].code, cadence_table(), today)
    sync_next_plan_due(lead)
    record("lead.grade", actor, "lead", lead.id, {"grade": refs[grade_id].code})
    return plans


def comment_on_followup(
    followup: FollowUp, body: str, actor: User, now: datetime | None = None
) -> ManagerComment:
    """Add a manager's comment (批示), mark the follow-up reviewed and tell its author."""
    body = (body or "").strip()
    if not body:
        raise DomainError("comment_required", "write a comment", field="body")
    if actor.role not in {Role.MANAGER, Role.DIRECTOR}:
        raise DomainError("not_allowed", "only managers comment")
    now = now or utcnow()
    comment = ManagerComment(
        followup_id=followup.id,
        lead_id=followup.lead_id,
        author_id=actor.id,
        body=body[:4000],
        created_at=now,
    )
    db.session.add(comment)
    followup.reviewed_at = followup.reviewed_at or now
    author = db.session.get(User, followup.user_id)
    if author is not None and author.id != actor.id:
        notify(
            author,
            "comment",
            "leads.lead_detail",
            {"lead_id": followup.lead_id},
            _l("%(name)s commented on your follow-up", name=actor.display_name),
            body=body[:500],
            now=now,
        )
    db.session.flush()
    return comment


def mark_reviewed(followup: FollowUp, now: datetime | None = None) -> None:
    """Mark a follow-up as seen by a manager without a comment."""
    followup.reviewed_at = followup.reviewed_at or now or utcnow()


def mark_comments_read(user: User, now: datetime | None = None) -> int:
    """Mark every unread comment on the user's follow-ups as read; return how many."""
    result = db.session.execute(
        update(ManagerComment)
        .where(
            ManagerComment.read_at.is_(None),
            ManagerComment.followup_id.in_(select(FollowUp.id).where(FollowUp.user_id == user.id)),
        )
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def take_leave(
    user: User,
    starts_on: date,
    ends_on: date,
    mode: str,
    reason: str,
    today: date,
    now: datetime | None = None,
) -> tuple[LeaveWindow, int]:
    """Record time away and postpone (or complete) the user's plans inside it, in one go."""
    rules.check_window(starts_on, ends_on, today)
    if mode not in {"postpone", "complete"}:
        raise DomainError("bad_mode", "choose what happens to the plans", field="mode")
    now = now or utcnow()
    window = LeaveWindow(
        user_id=user.id, starts_on=starts_on, ends_on=ends_on, reason=(reason or "")[:255], created_at=now
    )
    db.session.add(window)
    db.session.flush()
    others = [
        rules.Window(w.starts_on, w.ends_on)
        for w in db.session.execute(
            select(LeaveWindow).where(LeaveWindow.user_id == user.id, LeaveWindow.ends_on >= starts_on)
        ).scalars()
    ]
    in_window = and_(
        Plan.assignee_id == user.id,
        Plan.status == PlanStatus.OPEN,
        Plan.due_date >= starts_on,
        Plan.due_date <= ends_on,
    )
    lead_ids = list(db.session.execute(select(Plan.lead_id).where(in_window).distinct()).scalars())
    if mode == "postpone":
        target = rules.postponed_due(starts_on, rules.Window(starts_on, ends_on), others)
        values = {"due_date": target}
    else:
        values = {"status": PlanStatus.DONE, "done_at": now}
    moved = (
        db.session.execute(
            update(Plan).where(in_window).values(**values).execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    sync_next_plan_due_bulk(lead_ids)
    record(
        "plans.leave",
        user,
        "user",
        user.id,
        {"from": starts_on.isoformat(), "to": ends_on.isoformat(), "mode": mode, "plans": moved},
    )
    return window, moved


def move_plans(plan_ids: list[int], to_user: User, actor: User, store_ids: list[int] | None) -> int:
    """Give open plans to another consultant of the same store (managers); return how many moved."""
    if to_user.role not in {Role.CONSULTANT, Role.DCC} or not to_user.active:
        raise DomainError("bad_assignee", "choose an active consultant", field="to_user")
    if store_ids is not None and to_user.store_id not in store_ids:
        raise DomainError("bad_assignee", "choose a consultant of your store", field="to_user")
    where = [Plan.id.in_(plan_ids), Plan.status == PlanStatus.OPEN, Plan.store_id == to_user.store_id]
    moved = (
        db.session.execute(
            update(Plan)
            .where(*where)
            .values(assignee_id=to_user.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    record("plans.move", actor, "user", to_user.id, {"plans": plan_ids[:200], "moved": moved})
    if moved:
        notify(
            to_user,
            "plans",
            "followups.list_plans",
            None,
            _l("%(n)s plans were given to you", n=moved),
            body=actor.display_name,
        )
    return moved
