"""Campaign target leads: the few lead-list filters a campaign needs, as a pure query builder.

Filters are saved on the campaign as JSON ({"grade": ["H","A"], "stage": [...], "source": [...],
"store_id": 3, "expected_from": "2026-01-01", "expected_to": "...", "consent": true}) and
applied on top of `scoped_leads(user)`, so nobody targets a lead they may not see.
"""

import contextlib
from datetime import date

from sqlalchemy import Select

from app.admin.reference import by_code, channels, grades, open_stage_ids, stages
from app.leads.models import Lead

FILTER_KEYS = ("grade", "stage", "source", "store_id", "expected_from", "expected_to", "consent")
MAX_TARGETS = 5000


def _codes(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in value if v]


def _date(value) -> date | None:
    if not value:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def clean_filters(raw: dict) -> dict:
    """Keep only known filters with valid values (what is saved on the campaign)."""
    result: dict = {}
    for key, refs in (("grade", grades()), ("stage", stages()), ("source", channels())):
        known = by_code(refs)
        codes = [c for c in _codes(raw.get(key)) if c in known]
        if codes:
            result[key] = codes
    if raw.get("store_id"):
        with contextlib.suppress(TypeError, ValueError):
            result["store_id"] = int(raw["store_id"])
    for key in ("expected_from", "expected_to"):
        value = _date(raw.get(key))
        if value:
            result[key] = value.isoformat()
    if raw.get("consent") in (True, "1", "true", "on", "y"):
        result["consent"] = True
    return result


def apply_filters(stmt: Select, filters: dict) -> Select:
    """Add the campaign filters to a lead query (open stages only: no won or lost customers)."""
    stmt = stmt.where(Lead.stage_id.in_(open_stage_ids()))
    if filters.get("grade"):
        ids = [by_code(grades())[c].id for c in filters["grade"]]
        stmt = stmt.where(Lead.grade_id.in_(ids))
    if filters.get("stage"):
        ids = [by_code(stages())[c].id for c in filters["stage"]]
        stmt = stmt.where(Lead.stage_id.in_(ids))
    if filters.get("source"):
        ids = [by_code(channels())[c].id for c in filters["source"]]
        stmt = stmt.where(Lead.source_channel_id.in_(ids))
    if filters.get("store_id"):
        stmt = stmt.where(Lead.store_id == filters["store_id"])
    if _date(filters.get("expected_from")):
        stmt = stmt.where(Lead.expected_purchase_date >= _date(filters["expected_from"]))
    if _date(filters.get("expected_to")):
        stmt = stmt.where(Lead.expected_purchase_date <= _date(filters["expected_to"]))
    if filters.get("consent"):
        stmt = stmt.where(Lead.marketing_consent.is_(True), Lead.sms_opt_out_at.is_(None))
    return stmt
