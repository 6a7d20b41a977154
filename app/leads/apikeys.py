"""Per-source intake API keys: create (shown once), authenticate, revoke. Only a hash is stored."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.leads.models import ApiKey

KEY_SCHEME = "ll"
# Refresh last_used_at at most this often: no write on every API call.
LAST_USED_GRANULARITY = timedelta(minutes=5)
PREFIX_RE = re.compile(r"[0-9a-f]{1,12}")
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def hash_key(raw: str) -> str:
    """Return the stored hash of a raw key (sha256 of 256 random bits needs no slow KDF)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def split_key(raw: str) -> tuple[str, str] | None:
    """Return (prefix, secret) from 'll_<prefix>_<secret>', or None when malformed.

    The prefix is hexadecimal and the secret URL-safe base64, so nothing else reaches a query.
    """
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME:
        return None
    if not PREFIX_RE.fullmatch(parts[1]) or not SECRET_RE.fullmatch(parts[2]):
        return None
    return parts[1], parts[2]


def create_api_key(name: str, *, source_channel_id: int, store_id: int, actor=None) -> tuple[ApiKey, str]:
    """Create a key for a source and store; return the row and the raw key (shown once)."""
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", "a key needs a name")
    prefix = secrets.token_hex(4)
    while db.session.execute(select(ApiKey.id).where(ApiKey.prefix == prefix)).first():
        prefix = secrets.token_hex(4)
    raw = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name[:100],
        prefix=prefix,
        key_hash=hash_key(raw),
        source_channel_id=source_channel_id,
        store_id=store_id,
        created_by_id=getattr(actor, "id", None),
        created_at=utcnow(),
    )
    db.session.add(key)
    db.session.flush()
    record(
        "apikey.create",
        actor,
        "api_key",
        key.id,
        {"prefix": prefix, "name": key.name, "channel": source_channel_id, "store": store_id},
    )
    return key, raw


def revoke_api_key(key: ApiKey, actor=None) -> bool:
    """Revoke a key at once; return False when it was already revoked."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    record("apikey.revoke", actor, "api_key", key.id, {"prefix": key.prefix, "name": key.name})
    return True


@dataclass(frozen=True)
class AuthenticatedKey:
    """What a request needs to know about the key it came with."""

    id: int
    prefix: str
    source_channel_id: int
    store_id: int


def authenticate(raw: str) -> AuthenticatedKey | None:
    """Return the live key matching a raw bearer token, or None (unknown, wrong or revoked)."""
    parts = split_key(raw)
    if parts is None:
        return None
    row = db.session.execute(
        select(
            ApiKey.id,
            ApiKey.key_hash,
            ApiKey.source_channel_id,
            ApiKey.store_id,
            ApiKey.revoked_at,
            ApiKey.last_used_at,
        ).where(ApiKey.prefix == parts[0])
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, hash_key(raw.strip())):
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY:
        db.session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    return AuthenticatedKey(row.id, parts[0], row.source_channel_id, row.store_id)


def bearer_token(header: str | None) -> str:
    """Return the token of an 'Authorization: Bearer <token>' header ('' when absent)."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
