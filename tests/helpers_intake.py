"""Helpers for intake tests: API keys and clients."""

from app.admin.reference import channel_by_code
from app.leads.apikeys import create_api_key


def make_api_key(db, store, channel: str = "website", name: str = "site"):
    """Create and commit an API key; return (row, raw key)."""
    key, raw = create_api_key(name, source_channel_id=channel_by_code(channel).id, store_id=store.id)
    db.session.commit()
    return key, raw


def bearer(raw: str, **extra) -> dict:
    return {"Authorization": f"Bearer {raw}", **extra}
