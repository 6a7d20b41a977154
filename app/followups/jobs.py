"""Periodic work of the loop, set-based (UPDATE / INSERT ... SELECT) so it stays fast at a million
leads, and idempotent: running `flask jobs run` twice in a row changes nothing the second time."""

from datetime import datetime, timedelta
from functools import wraps

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role, Store, User
from app.admin.defaults import get_setting
from app.admin.reference import open_stage_ids
from app.core.timeutil import default_zone
from app.extensions import db
from app.followups import rules
from app.followups.models import JobRun, Plan, PlanKind, PlanStatus
from app.jobs import periodic
from app.leads.models import Lead
from app.messaging.notify import notify
from app.messaging.outbox import queue_email

REMINDER_DAYS_AHEAD = 3


def in_default_locale(func):
    """Run a job with the default UI language (no request tells whose language to use)."""

    @wraps(func)
    def wrapped(now):
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
            return func(now)

    return wrapped


def _zones() -> dict[str, list[int]]:
    """Return time zone -> store ids (a group usually has one or two zones)."""
    zones: dict[str, list[int]] = {}
    for store_id, tz in db.session.execute(select(Store.id, Store.timezone)).all():
        zones.setdefault(tz or default_zone(), []).append(store_id)
    return zones or {default_zone(): []}


def claim_period(job: str, period: str, now: datetime) -> bool:
    """Record that `job` ran for `period`; return False when it already had."""
    if db.session.execute(select(JobRun.id).where(JobRun.job == job, JobRun.period == period)).first():
        return False
    try:
        with db.session.begin_nested():
            db.session.add(JobRun(job=job, period=period, ran_at=now))
            db.session.flush()
    except IntegrityError:
        return False
    return True


@periodic("first_contact_breaches")
@in_default_locale
def mark_first_contact_breaches(now: datetime) -> dict:
    """Mark first-contact plans whose deadline passed and tell each store's managers once."""
    late = and_(
        Plan.kind == PlanKind.FIRST_CONTACT,
        Plan.status == PlanStatus.OPEN,
        Plan.overdue_marked_at.is_(None),
        Plan.lead_id.in_(
            select(Lead.id).where(Lead.first_contact_due_at < now, Lead.first_contacted_at.is_(None))
        ),
    )
    per_store = dict(
        db.session.execute(
            select(Plan.store_id, func.count(Plan.id)).where(late).group_by(Plan.store_id)
        ).all()
    )
    if not per_store:
        return {"breaches": 0}
    db.session.execute(
        update(Plan).where(late).values(overdue_marked_at=now).execution_options(synchronize_session=False)
    )
    managers = (
        db.session.execute(
            select(User).where(
                User.store_id.in_(list(per_store)), User.role == Role.MANAGER, User.active.is_(True)
            )
        )
        .scalars()
        .all()
    )
    for manager in managers:
        notify(
            manager,
            "first_contact",
            "dashboard.index",
            None,
            _l("%(n)s new customers were not contacted in time", n=per_store[manager.store_id]),
            now=now,
        )
    return {"breaches": sum(per_store.values())}


@periodic("overdue_plans")
@in_default_locale
def mark_overdue_plans(now: datetime) -> dict:
    """Stamp open plans whose day has passed (local to each store) as overdue, once."""
    marked = 0
    for tz, store_ids in _zones().items():
        today = rules.local_date(now, tz)
        where = [
            Plan.status == PlanStatus.OPEN,
            Plan.overdue_marked_at.is_(None),
            Plan.due_date < today,
            Plan.kind != PlanKind.FIRST_CONTACT,
        ]
        if store_ids:
            where.append(Plan.store_id.in_(store_ids))
        marked += (
            db.session.execute(
                update(Plan)
                .where(*where)
                .values(overdue_marked_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
    return {"marked": marked}


def _insert_reminders(kind: PlanKind, due_expr, lead_filter, content: str, now: datetime) -> int:
    """INSERT ... SELECT one reminder plan per matching lead that has none for that day yet."""
    already = exists().where(Plan.lead_id == Lead.id, Plan.kind == kind, Plan.due_date == due_expr)
    source = select(
        Lead.id,
        Lead.owner_id,
        Lead.store_id,
        literal(kind.value),
        due_expr,
        literal(content),
        literal(PlanStatus.OPEN.value),
        literal(now),
    ).where(
        Lead.owner_id.isnot(None),
        Lead.stage_id.in_(open_stage_ids()),
        Lead.merged_into_id.is_(None),
        lead_filter,
        ~already,
    )
    stmt = db.insert(Plan).from_select(
        ["lead_id", "assignee_id", "store_id", "kind", "due_date", "content", "status", "created_at"], source
    )
    return _inserted(stmt)


def _inserted(stmt) -> int:
    """Run an INSERT ... SELECT and return how many rows it added (the driver's rowcount is not reliable)."""
    return len(db.session.connection().execute(stmt.returning(Plan.id)).all())


@periodic("reminders")
@in_default_locale
def create_reminders(now: datetime) -> dict:
    """Create birthday and expected-purchase-date reminders a few days ahead (idempotent)."""
    today = rules.local_date(now, default_zone())
    created = 0
    for offset in range(REMINDER_DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        created += _insert_reminders(
            PlanKind.BIRTHDAY,
            literal(day),
            and_(
                Lead.birthday.isnot(None),
                func.extract("month", Lead.birthday) == day.month,
                func.extract("day", Lead.birthday) == day.day,
            ),
            _("Birthday: send greetings"),
            now,
        )
    created += _insert_reminders(
        PlanKind.PURCHASE_DATE,
        Lead.expected_purchase_date,
        and_(
            Lead.expected_purchase_date >= today,
            Lead.expected_purchase_date <= today + timedelta(days=REMINDER_DAYS_AHEAD),
        ),
        _("Expected purchase date: confirm the decision"),
        now,
    )
    return {"created": created}


@periodic("dcc_queue")
@in_default_locale
def queue_invited_not_arrived(now: datetime) -> dict:
    """Send leads invited but not arrived for the configured days to their store's DCC agent."""
    days = int(get_setting("invited_not_arrived_days") or 30)
    today = rules.local_date(now, default_zone())
    agent = (
        select(func.min(User.id))
        .where(User.store_id == Lead.store_id, User.role == Role.DCC, User.active.is_(True))
        .correlate(Lead)
        .scalar_subquery()
    )
    eligible = and_(
        Lead.invited_at <= now - timedelta(days=days),
        Lead.arrived_at.is_(None),
        Lead.dcc_agent_id.is_(None),
        Lead.stage_id.in_(open_stage_ids()),
        Lead.merged_into_id.is_(None),
        agent.isnot(None),
    )
    source = select(
        Lead.id,
        agent,
        Lead.store_id,
        literal(PlanKind.DCC_CALL.value),
        literal(today),
        literal(_("Invited but not arrived: call again")),
        literal(PlanStatus.OPEN.value),
        literal(now),
    ).where(eligible)
    created = _inserted(
        db.insert(Plan).from_select(
            ["lead_id", "assignee_id", "store_id", "kind", "due_date", "content", "status", "created_at"],
            source,
        )
    )
    if created:
        db.session.execute(
            update(Lead)
            .where(eligible)
            .values(dcc_agent_id=agent)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(Lead)
            .where(
                Lead.id.in_(
                    select(Plan.lead_id).where(Plan.kind == PlanKind.DCC_CALL, Plan.created_at == now)
                ),
                (Lead.next_plan_due.is_(None)) | (Lead.next_plan_due > today),
            )
            .values(next_plan_due=today)
            .execution_options(synchronize_session=False)
        )
    return {"queued": created}


@periodic("reclaim_notice")
@in_default_locale
def notify_reclaim(now: datetime) -> dict:
    """Tell directors once a day how many leads wait for reclaim."""
    today = rules.local_date(now, default_zone())
    if not claim_period("reclaim_notice", today.isoformat(), now):
        return {"skipped": True}
    from app.followups.queries import reclaim_clause, reclaim_days

    days = reclaim_days()
    count = db.session.execute(
        select(func.count(Lead.id)).where(reclaim_clause(rules.reclaim_cutoff(now, days)))
    ).scalar_one()
    if count:
        for director in db.session.execute(
            select(User).where(User.role == Role.DIRECTOR, User.active.is_(True))
        ).scalars():
            notify(
                director,
                "reclaim",
                "followups.reclaim_list",
                None,
                _l("%(n)s leads had no effective follow-up for %(days)s days", n=count, days=days),
                now=now,
            )
    return {"eligible": count}


@periodic("daily_digest")
@in_default_locale
def send_daily_digest(now: datetime) -> dict:
    """Email each consultant and manager their plans for the day, once per local day."""
    today = rules.local_date(now, default_zone())
    if not claim_period("daily_digest", today.isoformat(), now):
        return {"skipped": True}
    people = (
        db.session.execute(
            select(User).where(
                User.active.is_(True),
                User.email.isnot(None),
                User.role.in_([Role.CONSULTANT, Role.MANAGER, Role.DCC]),
            )
        )
        .scalars()
        .all()
    )
    by_assignee = {
        r[0]: (r[1], r[2])
        for r in db.session.execute(
            select(
                Plan.assignee_id,
                func.count(Plan.id).filter(Plan.due_date == today),
                func.count(Plan.id).filter(Plan.due_date < today),
            )
            .where(Plan.status == PlanStatus.OPEN, Plan.due_date <= today)
            .group_by(Plan.assignee_id)
        ).all()
    }
    by_store = {
        r[0]: (r[1], r[2])
        for r in db.session.execute(
            select(
                Plan.store_id,
                func.count(Plan.id).filter(Plan.due_date == today),
                func.count(Plan.id).filter(Plan.due_date < today),
            )
            .where(Plan.status == PlanStatus.OPEN, Plan.due_date <= today)
            .group_by(Plan.store_id)
        ).all()
    }
    sent = 0
    for person in people:
        due, overdue = (by_store if person.role == Role.MANAGER else by_assignee).get(
            person.store_id if person.role == Role.MANAGER else person.id, (0, 0)
        )
        body = _("Plans due today: %(due)s. Overdue plans: %(overdue)s.", due=due, overdue=overdue)
        queue_email(
            person.email,
            _("LeadLoop: your day, %(day)s", day=today.isoformat()),
            body,
            user_id=person.id,
            idempotency_key=f"digest-{person.id}-{today.isoformat()}",
            now=now,
        )
        sent += 1
    return {"queued": sent}


@periodic("loop_gaps")
def report_loop_gaps(now: datetime) -> dict:
    """Count the open leads that fell out of the loop (an owner without an open next plan, or a
    deactivated owner); nothing is changed, the count shows in the job's log line."""
    from app.followups.queries import open_leads_without_owner_or_plan

    gaps = open_leads_without_owner_or_plan()
    return {
        "no_plan": sum(1 for _id, why in gaps if why == "no_plan"),
        "inactive_owner": sum(1 for _id, why in gaps if why == "inactive_owner"),
    }
