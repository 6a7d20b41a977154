"""One place that decides what each user may see and do.

`scoped_leads(user)` is the lead query every list, board, report, export and loader starts
from; `can(user, action)` answers capability questions. Out of scope is 404, never a leak.
"""

from flask import abort
from sqlalchemy import Select, or_, select, true

from app.accounts.models import Role, User
from app.extensions import db
from app.leads.models import Lead

GROUP_ROLES = {Role.DIRECTOR, Role.ADMIN}
STORE_ROLES = {Role.MANAGER, Role.MARKETING, Role.CLERK}

# Capabilities per role. Exports are a separate permission (users.can_export) on top.
CAPABILITIES: dict[str, set[Role]] = {
    "lead.create": {Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC, Role.CLERK, Role.MARKETING},
    "lead.edit": {Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC, Role.MARKETING},
    "lead.assign": {Role.MANAGER, Role.DIRECTOR},
    "lead.propose_assignment": {Role.MARKETING, Role.MANAGER, Role.DIRECTOR},
    "lead.merge": {Role.MANAGER, Role.DIRECTOR},
    "lead.import": {Role.MANAGER, Role.DIRECTOR, Role.MARKETING},
    "lead.anonymise": {Role.ADMIN},
    "followup.log": {Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC},
    "followup.comment": {Role.MANAGER, Role.DIRECTOR},
    "defeat.request": {Role.CONSULTANT, Role.DCC, Role.MANAGER},
    "defeat.decide": {Role.MANAGER, Role.DIRECTOR},
    "pipeline.view": {Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC},
    "showroom.reception": {Role.CLERK, Role.MANAGER, Role.DIRECTOR, Role.MARKETING},
    "dcc.work": {Role.DCC, Role.MANAGER, Role.DIRECTOR},
    "campaign.manage": {Role.MARKETING, Role.MANAGER, Role.DIRECTOR},
    "event.manage": {Role.MARKETING, Role.MANAGER, Role.DIRECTOR},
    "checkin.door": {Role.CLERK, Role.MARKETING, Role.MANAGER, Role.DIRECTOR},
    "reports.view": {Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.MARKETING, Role.DCC},
    "reports.all": {Role.MANAGER, Role.DIRECTOR, Role.MARKETING},
    "targets.set": {Role.MANAGER, Role.DIRECTOR},
    "admin.configure": {Role.ADMIN},
    "audit.read": {Role.ADMIN, Role.DIRECTOR},
}


def can(user: User, action: str) -> bool:
    """Return whether the user's role allows `action`."""
    if not getattr(user, "is_authenticated", False):
        return False
    if action == "export":
        return bool(user.can_export) and user.role in {Role.MANAGER, Role.DIRECTOR, Role.MARKETING}
    return user.role in CAPABILITIES.get(action, set())


def lead_scope_clause(user: User):
    """Return the WHERE clause limiting leads to what the user may see."""
    role = user.role
    if role in GROUP_ROLES:
        return true()
    if role in STORE_ROLES:
        return Lead.store_id == user.store_id
    if role == Role.DCC:
        return Lead.dcc_agent_id == user.id
    return Lead.owner_id == user.id  # consultant (and anything unknown): own leads only


def scoped_leads(user: User) -> Select:
    """Return `select(Lead)` limited to the user's scope: own, store or group."""
    return select(Lead).where(Lead.merged_into_id.is_(None), lead_scope_clause(user))


def store_scope_ids(user: User) -> list[int] | None:
    """Return the store ids the user may see, or None for the whole group."""
    if user.role in GROUP_ROLES:
        return None
    return [user.store_id] if user.store_id else []


def get_lead_or_404(user: User, lead_id: int, *options) -> Lead:
    """Load a lead the user may see, or 404 (never 403: existence is not leaked)."""
    stmt = scoped_leads(user).where(Lead.id == lead_id)
    if options:
        stmt = stmt.options(*options)
    lead = db.session.execute(stmt).scalar_one_or_none()
    if lead is None:
        abort(404)
    return lead


def get_store_lead_or_404(user: User, lead_id: int) -> Lead:
    """Load a lead of the user's own store (or in their scope), or 404: for what a user may do to a
    store colleague's customer without opening it, such as noting a hotline call for its consultant."""
    clause = lead_scope_clause(user)
    if user.role not in GROUP_ROLES and user.store_id:
        clause = or_(clause, Lead.store_id == user.store_id)
    lead = db.session.execute(select(Lead).where(Lead.id == lead_id, Lead.merged_into_id.is_(None), clause)
                              ).scalar_one_or_none()
    if lead is None:
        abort(404)
    return lead


def may_see_phone(user: User, lead: Lead) -> bool:
    """Full phone numbers are for the owner, the DCC agent, and users with the reveal right."""
    if user.role == Role.ADMIN:
        return False
    return lead.owner_id == user.id or lead.dcc_agent_id == user.id


def may_reveal_phone(user: User) -> bool:
    """Managers, directors and users granted the right may reveal a number (audited)."""
    return bool(user.can_reveal_phone) or user.role in {Role.MANAGER, Role.DIRECTOR, Role.DCC}
