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

ALL_ROLES = frozenset(Role)

# The one table of who may do what. Routes name a capability (`@requires("pipeline.view")` in
# app/web/access.py), navigation entries name one (app/web/navigation.py) and templates ask
# `can("...")`. The access sweep (tests/web/test_web_access.py) checks that every non-public route names
# a capability and that every key here is used somewhere. What a role may do to *which* object is
# the scope's business (`scoped_leads`, `get_scoped_or_404`): out of scope is 404.
CAPABILITIES: dict[str, frozenset[Role]] = {
    # Everyone signed in: one's own account, notifications and comments, the home page ("/": admins
    # are sent on to the settings), and the lead pages, whose scope decides what each user finds.
    "account.self": ALL_ROLES,
    "lead.view": ALL_ROLES,
    # Navigation only: who gets a dashboard (admins land on the settings) and the lead list in the
    # menu (reception and administrators reach leads from their own screens).
    "dashboard.view": ALL_ROLES - {Role.ADMIN},
    "leads.browse": ALL_ROLES - {Role.ADMIN, Role.CLERK},
    # The phone tab bar instead of the menu (consultants work from their phones).
    "nav.tabbar": frozenset({Role.CONSULTANT}),
    # Leads
    "lead.create": frozenset(
        {Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC, Role.CLERK, Role.MARKETING}
    ),
    "lead.edit": frozenset({Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC, Role.MARKETING}),
    # Choosing the owner of a lead one enters (a consultant's own leads are theirs).
    "lead.choose_owner": ALL_ROLES - {Role.CONSULTANT},
    "lead.assign": frozenset({Role.MANAGER, Role.DIRECTOR}),
    "lead.merge": frozenset({Role.MANAGER, Role.DIRECTOR}),
    "lead.override_grade_date": frozenset({Role.MANAGER, Role.DIRECTOR}),
    "lead.mark_fleet": frozenset({Role.MANAGER, Role.DIRECTOR}),
    "lead.propose_assignment": frozenset({Role.MARKETING, Role.MANAGER, Role.DIRECTOR}),
    "lead.import": frozenset({Role.MANAGER, Role.DIRECTOR, Role.MARKETING}),
    "lead.anonymise": frozenset({Role.ADMIN}),
    # Exports: these roles *and* the user's own export right (users.can_export), see `can`.
    "export": frozenset({Role.MANAGER, Role.DIRECTOR, Role.MARKETING}),
    "export.decide": frozenset({Role.DIRECTOR}),
    # Follow-ups and the board
    "pipeline.view": frozenset({Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC}),
    "plans.view": frozenset({Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC}),
    "followup.log": frozenset({Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC}),
    "defeat.request": frozenset({Role.CONSULTANT, Role.DCC, Role.MANAGER}),
    # The store's team: review queue, approvals (defeats, transfers, proposals), reclaiming, moving
    # plans, the discipline board.
    "team.manage": frozenset({Role.MANAGER, Role.DIRECTOR}),
    # Showroom, door, calls
    "showroom.reception": frozenset({Role.CLERK, Role.MANAGER, Role.MARKETING}),
    "checkin.door": frozenset({Role.CLERK, Role.MARKETING, Role.MANAGER, Role.DIRECTOR}),
    "dcc.work": frozenset({Role.DCC, Role.MANAGER, Role.DIRECTOR}),
    # Events and campaigns
    "event.view": ALL_ROLES - {Role.ADMIN},
    "event.manage": frozenset({Role.MARKETING, Role.MANAGER, Role.DIRECTOR}),
    "invitation.send": frozenset({Role.MARKETING, Role.MANAGER, Role.DIRECTOR, Role.CONSULTANT, Role.DCC}),
    "campaign.manage": frozenset({Role.MARKETING, Role.MANAGER, Role.DIRECTOR}),
    # Reports
    "reports.view": frozenset({Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.MARKETING, Role.DCC}),
    "targets.set": frozenset({Role.MANAGER, Role.DIRECTOR}),
    # Administration
    "admin.configure": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.ADMIN, Role.DIRECTOR}),
}


def roles_for(action: str) -> frozenset[Role]:
    """Return the roles the table gives `action` (a KeyError for an unknown capability)."""
    return CAPABILITIES[action]


def can(user: User, action: str) -> bool:
    """Return whether the user's role allows `action` (and, for "export", the user's export right)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role not in CAPABILITIES.get(action, ()):
        return False
    return bool(user.can_export) if action == "export" else True


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
    lead = db.session.execute(
        select(Lead).where(Lead.id == lead_id, Lead.merged_into_id.is_(None), clause)
    ).scalar_one_or_none()
    if lead is None:
        abort(404)
    return lead


def get_scoped_or_404(user: User, model, obj_id: int, *, mine: bool = False, options=()):
    """Load a store-owned object (an approval request, event, proposal, visit, …) the user may see, or 404.

    The scope is the model's `store_id`: group roles see every store, everyone else their own store's.
    `mine=True` is for personal objects (an import job, an export request): the user's own only
    (`model.user_id`), whatever the store. Never 403: existence is not leaked.
    """
    stmt = select(model).where(model.id == obj_id)
    if mine:
        stmt = stmt.where(model.user_id == user.id)
    else:
        ids = store_scope_ids(user)
        if ids is not None:
            stmt = stmt.where(model.store_id.in_(ids or [-1]))
    if options:
        stmt = stmt.options(*options)
    obj = db.session.execute(stmt).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def may_see_phone(user: User, lead: Lead) -> bool:
    """Full phone numbers are for the owner, the DCC agent, and users with the reveal right."""
    if user.role == Role.ADMIN:
        return False
    return lead.owner_id == user.id or lead.dcc_agent_id == user.id


def may_reveal_phone(user: User) -> bool:
    """Managers, directors and users granted the right may reveal a number (audited)."""
    return bool(user.can_reveal_phone) or user.role in {Role.MANAGER, Role.DIRECTOR, Role.DCC}
