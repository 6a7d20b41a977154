"""Bulk actions on the leads ticked in the list: assign them to a consultant, or change their grade.

`run_bulk_action` performs one action on leads the user may see and returns the sentence telling
what was done; a refused action raises DomainError before any lead is changed.
"""

from datetime import datetime

from flask_babel import gettext as _

from app.accounts.models import User
from app.admin.reference import by_id, grades
from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.entry import assign_lead
from app.leads.models import Lead
from app.leads.rules import may_take_bulk_leads


def assign_leads(leads: list[Lead], consultant_id: int | None, *, actor, now: datetime) -> str:
    """Give the leads to an active consultant of the actor's store (any store for a director)."""
    consultant = db.session.get(User, consultant_id or 0)
    if not may_take_bulk_leads(consultant, actor):
        raise DomainError("bad_consultant", _("Choose an active consultant of your store."), field="owner")
    done = sum(
        assign_lead(lead, consultant, actor=actor, reason=_("bulk assignment"), now=now) for lead in leads
    )
    return _("%(n)s leads assigned to %(name)s.", n=done, name=consultant.display_name)


def grade_leads(leads: list[Lead], grade_id: int | None, *, actor, now: datetime) -> str:
    """Change the leads' grade; their open plans follow the new cadence (one audit entry for all)."""
    from app.followups.services import change_grade

    grade = by_id(grades()).get(grade_id or 0)
    if grade is None:
        raise DomainError("bad_grade", _("Choose a grade."), field="grade")
    for lead in leads:
        change_grade(lead, grade.id, actor, now)
        lead.updated_at = now
    record("lead.bulk_grade", actor, "lead", None, {"ids": [lead.id for lead in leads], "grade": grade.code})
    return _("%(n)s leads changed to grade %(grade)s.", n=len(leads), grade=grade.code)


def run_bulk_action(
    action: str,
    leads: list[Lead],
    *,
    owner_id: int | None,
    grade_id: int | None,
    actor,
    now: datetime | None = None,
) -> str:
    """Perform the bulk action ("assign" to `owner_id`, else change to `grade_id`); say what was done."""
    now = now or utcnow()
    if action == "assign":
        return assign_leads(leads, owner_id, actor=actor, now=now)
    return grade_leads(leads, grade_id, actor=actor, now=now)
