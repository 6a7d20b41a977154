"""Campaign target leads: the few lead-list filters a campaign needs, as a pure query builder.

Filters are saved on the campaign as JSON ({"grade": ["H","A"], "stage": [...], "source": [...],
"store_id": 3, "expected_from": "2026-01-01", "expected_to": "...", "consent": true}) and
applied on top of `scoped_leads(user)`, so nobody targets a lead they may not see. The clauses
come from app.leads.conditions, so a campaign's "grade H" is the lead list's "grade H".
"""

import contextlib
from datetime import date

from sqlalchemy import Select

from app.admin.reference import by_code, channels, grades, stages
from app.leads import conditions as cond

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
    clauses = [cond.open_stage()]
    if filters.get("grade"):
        clauses.append(cond.grade_in(cond.codes_to_ids(filters["grade"], grades())))
    if filters.get("stage"):
        clauses.append(cond.stage_in(cond.codes_to_ids(filters["stage"], stages())))
    if filters.get("source"):
        clauses.append(cond.source_in(cond.codes_to_ids(filters["source"], channels())))
    if filters.get("store_id"):
        clauses.append(cond.store_is(filters["store_id"]))
    expected_from, expected_to = _date(filters.get("expected_from")), _date(filters.get("expected_to"))
    if expected_from or expected_to:
        clauses.append(cond.expected_between(expected_from, expected_to))
    if filters.get("consent"):
        clauses.append(cond.marketing_reachable())
    return stmt.where(*clauses)
