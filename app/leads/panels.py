"""Extension points of the lead page, so each domain adds its part without editing the leads code.

- `register_panel(order, func)`: func(lead, user) -> (template, context) or None; rendered on the
  lead detail page in `order` (follow-up form, plans, invitations, orders...).
- `register_timeline(func)`: func(lead_ids: list[int]) -> list[TimelineEntry] — one query per
  source for the lead(s), merged and sorted newest first by the leads domain.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

_PANELS: list[tuple[int, str, Callable]] = []
_TIMELINE: list[tuple[str, Callable]] = []


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # followup | plan | owner | stage | visit | invitation | checkin | order | defeat | comment
    title: str
    body: str = ""
    user: str | None = None
    extra: dict = field(default_factory=dict)


def register_panel(order: int, name: str):
    def decorator(func):
        if name not in [n for _, n, _ in _PANELS]:
            _PANELS.append((order, name, func))
            _PANELS.sort(key=lambda p: p[0])
        return func

    return decorator


def register_timeline(name: str):
    def decorator(func):
        if name not in [n for n, _ in _TIMELINE]:
            _TIMELINE.append((name, func))
        return func

    return decorator


def panels() -> list[tuple[int, str, Callable]]:
    return list(_PANELS)


def timeline_sources() -> list[tuple[str, Callable]]:
    return list(_TIMELINE)
