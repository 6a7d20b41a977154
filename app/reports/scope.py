"""WHERE clauses that apply a report filter (and the user's scope) to each source table."""

from sqlalchemy import true

from app.accounts.models import Role
from app.leads import conditions as cond
from app.leads.models import Lead
from app.web.permissions import lead_scope_clause


def lead_conditions(f, owner_column=None) -> list:
    """Return conditions on Lead: the user's scope, the store, consultant and dimension filters."""
    conds = [lead_scope_clause(f.user), cond.not_merged()]
    if f.store_ids is not None:
        conds.append(cond.store_in(f.store_ids))
    if f.consultant_id:
        conds.append(cond.owner_is(f.consultant_id, column=owner_column))
    if f.channel_id:
        conds.append(cond.source_in([f.channel_id]))
    if f.grade_id:
        conds.append(cond.grade_in([f.grade_id]))
    if f.model_id:
        conds.append(cond.model_is(f.model_id))
    return conds


def store_condition(column, f):
    """Return `column IN (stores)` for the filter (on the event table, so its index is used)."""
    if f.store_ids is None:
        return true()
    return column.in_(f.store_ids)


def needs_lead_join(f) -> bool:
    """Whether a table without lead columns must join leads to honour the filter or scope."""
    return bool(f.grade_id or f.model_id or f.user.role == Role.DCC)


def has_lead_dimensions(f) -> bool:
    """Whether the filter needs columns only the leads table has (channel, grade, model)."""
    return bool(f.channel_id or f.grade_id or f.model_id)


def scope_activity(stmt, f, lead_id_column, user_column):
    """Limit an activity table (follow-ups, plans, defeats, invitations, surveys) to the filter.

    The table's own store and user columns carry the scope, so the leads table is joined only
    when a lead dimension (channel, grade, model) is filtered: a store's month stays index-only.
    Consultants and DCC agents see the activity they did themselves.
    """
    conds = []
    if f.consultant_id:
        conds.append(user_column == f.consultant_id)
    elif f.user.role in {Role.CONSULTANT, Role.DCC}:
        conds.append(user_column == f.user.id)
    if has_lead_dimensions(f):
        stmt = stmt.join(Lead, Lead.id == lead_id_column)
        conds += lead_conditions(f, owner_column=user_column)
    return stmt.where(*conds)


def stage_changes_need_leads(f) -> bool:
    """Whether stage changes are limited by their lead's conditions (`lead_conditions`: its
    current store too) as well as by their own store: for owner or lead dimensions, and for roles
    whose scope is not a set of whole stores."""
    return bool(
        has_lead_dimensions(f)
        or f.consultant_id
        or f.user.role not in {Role.MANAGER, Role.DIRECTOR, Role.MARKETING, Role.ADMIN}
    )


def scope_stage_changes(stmt, f, lead_id_column):
    """Limit stage changes to the filter; leads are joined only for owner or lead dimensions."""
    if stage_changes_need_leads(f):
        stmt = stmt.join(Lead, Lead.id == lead_id_column)
        return stmt.where(*lead_conditions(f))
    return stmt
