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


def grade_date_conflict(grade_code: str, expected, today, windows: dict) -> tuple[str, int, int] | None:
    """Whether an intent grade and an expected purchase date disagree (seed 003: H buys within 7 days,
    A within 15, B within 30, C in more than a month).

    `windows` maps grade code -> "buys within" days (None for the open-ended grade). Return
    ("too_late", window, days away) when the date is later than the grade's window, ("too_early",
    longest window, days away) when an open-ended grade has a date inside the longest window, or None.
    """
    if expected is None or grade_code not in windows:
        return None
    days = (expected - today).days
    within = windows[grade_code]
    if within is not None:
        return ("too_late", int(within), days) if days > int(within) else None
    longest = max((int(w) for w in windows.values() if w), default=None)
    if longest is not None and days <= longest:
        return ("too_early", longest, days)
    return None


def may_take_bulk_leads(consultant, actor) -> bool:
    """Whether ticked leads may be assigned to `consultant` by `actor`.

    Only an active consultant may take them, of the actor's own store unless the actor is a director.
    """
    return (
        consultant is not None
        and consultant.role == "consultant"  # Role is a str enum: compared by value, no model import here
        and bool(consultant.active)
        and (actor.role == "director" or consultant.store_id == actor.store_id)
    )
