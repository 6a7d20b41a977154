"""WHERE clauses that apply a report filter (and the user's scope) to each source table."""

from sqlalchemy import true

from app.accounts.models import Role
from app.leads.models import Lead
from app.web.permissions import lead_scope_clause


def lead_conditions(f, owner_column=None) -> list:
    """Return conditions on Lead: the user's scope, the store, consultant and dimension filters."""
    conds = [lead_scope_clause(f.user), Lead.merged_into_id.is_(None)]
    if f.store_ids is not None:
        conds.append(Lead.store_id.in_(f.store_ids))
    if f.consultant_id:
        conds.append((owner_column if owner_column is not None else Lead.owner_id) == f.consultant_id)
    if f.channel_id:
        conds.append(Lead.source_channel_id == f.channel_id)
    if f.grade_id:
        conds.append(Lead.grade_id == f.grade_id)
    if f.model_id:
        conds.append(Lead.model_id == f.model_id)
    return conds


def store_condition(column, f):
    """Return `column IN (stores)` for the filter (on the event table, so its index is used)."""
    if f.store_ids is None:
        return true()
    return column.in_(f.store_ids)


def needs_lead_join(f) -> bool:
    """Whether a table without lead columns must join leads to honour the filter or scope."""
    return bool(f.grade_id or f.model_id or f.user.role == Role.DCC)
