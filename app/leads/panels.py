"""Extension points of the lead page, so each domain adds its part without editing the leads code.

- `register_panel(order, func)`: func(lead, user) -> (template, context) or None; rendered on the
  lead detail page in `order` (follow-up form, plans, invitations, orders...).
- `register_timeline(func)`: func(lead_ids: list[int]) -> list[TimelineEntry] — one query per
  source for the lead(s), merged and sorted newest first by the leads domain.
- `shared_loads()`: while the lead page's parts are built, a timeline source keeps what it loaded
  (`keep`) and a panel reuses it (`reused`): the follow-ups, comments and plans are read once.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import g

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


_LOADS = "lead_page_loads"  # the name of the shared rows on flask.g


@contextmanager
def shared_loads() -> Iterator[None]:
    """Let the parts of one lead page share the rows they load, for the duration of the block.

    Only reads happen inside it (after any write of the request has been flushed), so what one part
    loaded is still what the next one would load.
    """
    setattr(g, _LOADS, {})
    try:
        yield
    finally:
        g.pop(_LOADS, None)


def keep(key: tuple, value: Any) -> Any:
    """Keep `value` for the other parts of the page being built (no-op outside `shared_loads`)."""
    loads = g.get(_LOADS)
    if loads is not None:
        loads[key] = value
    return value


def reused(key: tuple) -> Any:
    """What another part of the page being built loaded under `key`, or None."""
    loads = g.get(_LOADS)
    return None if loads is None else loads.get(key)
