"""Command line for intake API keys: `flask apikeys create|revoke|list`."""

import click
from flask import Flask
from sqlalchemy import select

from app.accounts.models import Store
from app.admin.models import SourceChannel
from app.core.errors import DomainError
from app.extensions import db
from app.leads.apikeys import create_api_key, revoke_api_key
from app.leads.models import ApiKey


def register(app: Flask) -> None:
    app.cli.add_command(apikeys_cli)


@click.group("apikeys", help="Manage intake API keys.")
def apikeys_cli():
    pass


@apikeys_cli.command("create")
@click.option("--source", "channel_code", required=True, help="Source channel code, e.g. website.")
@click.option("--store", "store_code", required=True, help="Store code the leads go to.")
@click.option("--name", default=None, help="What the key is for (default: channel and store).")
def create_key_cmd(channel_code, store_code, name):
    """Create a key; the key is printed once, alone on the last line."""
    channel = db.session.execute(
        select(SourceChannel).where(SourceChannel.code == channel_code)
    ).scalar_one_or_none()
    if channel is None:
        raise click.ClickException(f"no source channel {channel_code}")
    store = db.session.execute(select(Store).where(Store.code == store_code)).scalar_one_or_none()
    if store is None:
        raise click.ClickException(f"no store {store_code}")
    try:
        key, raw = create_api_key(
            name or f"{channel_code}@{store_code}", source_channel_id=channel.id, store_id=store.id
        )
    except DomainError as exc:
        raise click.ClickException(exc.code) from exc
    db.session.commit()
    click.echo(f"created API key {key.prefix} ({key.name}); store it now, it is not shown again:")
    click.echo(raw)


@apikeys_cli.command("revoke")
@click.option("--prefix", default=None)
@click.option("--id", "key_id", default=None, type=int)
def revoke_key_cmd(prefix, key_id):
    """Revoke a key by its prefix or id."""
    if not prefix and not key_id:
        raise click.UsageError("pass --prefix or --id")
    stmt = (
        select(ApiKey).where(ApiKey.prefix == prefix) if prefix else select(ApiKey).where(ApiKey.id == key_id)
    )
    key = db.session.execute(stmt).scalar_one_or_none()
    if key is None:
        raise click.ClickException("no such API key")
    changed = revoke_api_key(key)
    db.session.commit()
    click.echo(f"revoked API key {key.prefix}" if changed else f"API key {key.prefix} was already revoked")


@apikeys_cli.command("list")
def list_keys_cmd():
    """List keys (prefix, name, state); never the keys themselves."""
    for key in db.session.execute(select(ApiKey).order_by(ApiKey.id)).scalars():
        state = "revoked" if key.revoked_at else "active"
        click.echo(f"{key.id}\t{key.prefix}\t{key.name}\t{state}")
