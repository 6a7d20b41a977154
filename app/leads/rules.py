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


def _typed(value):
    """Compare what a form sends with what was stored: trimmed text, newlines as stored."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").strip()
    return _norm(value)


def merge_stale_edit(original: dict, current: dict, mine: dict) -> dict | None:
    """Merge an edit made on an old version of a lead with what is stored now, field by field.

    `original` is what the user loaded, `current` what is stored now, `mine` what they submit.
    Return the fields the user changed (name -> submitted value) when none of them was changed by
    the other edit to a different value; return None when the same field was changed on both sides
    (or the loaded values are unknown), so that nothing is overwritten without the user seeing it.
    """
    apply = {}
    for name, value in mine.items():
        if name not in original or name not in current:
            return None
        if _typed(value) == _typed(original[name]):
            continue  # not touched by this user: the stored value (maybe the other edit's) stays
        if _typed(current[name]) != _typed(original[name]) and _typed(current[name]) != _typed(value):
            return None  # both changed this field, to different values
        apply[name] = value
    return apply


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


def second_phone(main: str | None, numbers: list[str]) -> str | None:
    """The number a merged customer keeps besides the main one: the first other number in `numbers`
    (the survivor's own numbers first, then the duplicates')."""
    return next((n for n in numbers if n and n != main), None)
