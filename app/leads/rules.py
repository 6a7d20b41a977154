"""Pure rules of the lead pages: no Flask, no database."""

from dataclasses import dataclass

from app.core.spreadsheet import FORMULA_PREFIXES, neutralise_cell  # noqa: F401  (kept importable here)


@dataclass(frozen=True)
class FieldChange:
    """A field someone else changed while the user was editing."""

    field: str
    theirs: object
    yours: object


def concurrent_changes(original: dict, current: dict, mine: dict) -> list[FieldChange]:
    """Return the fields that changed between what the user loaded and what is stored now."""
    changes = []
    for name, now_value in current.items():
        if name in original and _norm(original[name]) != _norm(now_value):
            changes.append(FieldChange(name, now_value, mine.get(name)))
    return changes


def _norm(value):
    if value in (None, "", "None"):
        return None
    return str(value)


def merge_blockers(leads: list[dict]) -> list[tuple[int, str]]:
    """Return (lead id, reason code) for every lead that may not be merged: fleet customers and orders."""
    blockers = []
    for lead in leads:
        if lead.get("is_fleet"):
            blockers.append((lead["id"], "fleet"))
        if lead.get("has_orders"):
            blockers.append((lead["id"], "order"))
    return blockers


def pick_merge_values(leads: dict[int, dict], choices: dict[str, int], fields: list[str]) -> dict:
    """Return the surviving value of each field: taken from the lead chosen for it."""
    values = {}
    for name in fields:
        source = choices.get(name)
        if source not in leads:
            raise ValueError(name)
        values[name] = leads[source].get(name)
    return values
