"""Pure rules for administration: no Flask, no SQLAlchemy."""

import hashlib
import json

from app.core.errors import DomainError

STORELESS_ROLES = {"director", "admin"}


def check_role_store(role: str, store_id: int | None) -> None:
    """Refuse a role that works in a store without a store."""
    if role not in STORELESS_ROLES and not store_id:
        raise DomainError("store_required", "this role needs a store")


def check_stage_set(stages: list[dict]) -> None:
    """Refuse a stage list without an active open, won and lost stage."""
    kinds = {s["kind"] for s in stages if s["active"]}
    for kind in ("open", "won", "lost"):
        if kind not in kinds:
            raise DomainError(f"stage_{kind}_missing", f"an active {kind} stage is required")


def check_successor(user_id: int, successor_id: int | None, actor_id: int | None) -> None:
    """Refuse deactivating yourself or handing work to the same user."""
    if actor_id is not None and user_id == actor_id:
        raise DomainError("self_deactivation", "you cannot deactivate yourself")
    if successor_id is not None and successor_id == user_id:
        raise DomainError("bad_successor", "the successor must be another user")


def fingerprint(values: dict) -> str:
    """Return a short token for the values a form was loaded with (detects concurrent edits)."""
    raw = json.dumps(values, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def valid_webhook_url(url: str, hosts) -> bool:
    """A group-robot webhook: https to one of the allowed hosts, nothing else (no internal addresses)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (
        parts.scheme == "https"
        and (parts.hostname or "") in set(hosts)
        and not parts.username
        and parts.port in (None, 443)
    )


def mask_secret(value: str | None) -> str:
    """A secret in an audit entry: only whether it is set and its last four characters."""
    return f"…{value[-4:]}" if value else ""


def changes(before: dict, after: dict) -> dict:
    """Return {field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
