"""Values read once per request: the same read asked for twice while one page is built."""

from collections.abc import Callable
from typing import Any

from flask import g, has_request_context


def once_per_request(name: str, key: Any, read: Callable[[], Any]) -> Any:
    """`read()` the first time this request asks for `name` and `key`, what it returned after that;
    outside a request (a task, a command) every time."""
    if not has_request_context():
        return read()
    kept = g.setdefault(name, {})
    if key not in kept:
        kept[key] = read()
    return kept[key]


def forget(name: str) -> None:
    """Drop what this request kept under `name` (after a write that changes it)."""
    if has_request_context():
        g.pop(name, None)
