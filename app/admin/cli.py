"""Administration from the shell: reset a password, end a user's sessions, read the audit log."""

import sys

import click
from flask import Flask

from app.core.errors import DomainError
from app.extensions import db


def register(app: Flask) -> None:
    from app.cli import users_cli

    users_cli.add_command(reset_password_cmd)
    users_cli.add_command(revoke_sessions_cmd)
    app.cli.add_command(audit_cmd)


def _user_or_fail(username: str):
    from app.admin.views import find_user

    user = find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    return user


@click.command("reset-password")
@click.option("--username", required=True)
@click.option(
    "--password-stdin", is_flag=True, required=True, help="Read the new password from standard input."
)
def reset_password_cmd(username, password_stdin):
    """Set a new password (from standard input) and end the user's sessions."""
    from app.admin.services import reset_password

    user = _user_or_fail(username)
    try:
        reset_password(user, sys.stdin.readline().rstrip("\n"), actor=None)
    except DomainError as exc:
        raise click.ClickException(f"password refused: {exc.code}") from exc
    db.session.commit()
    click.echo(f"new password set for {username}; their sessions have ended")


@click.command("logout-everywhere")
@click.option("--username", required=True)
def revoke_sessions_cmd(username):
    """End every open session of a user at once."""
    from app.admin.services import revoke_sessions

    revoke_sessions(_user_or_fail(username), actor=None)
    db.session.commit()
    click.echo(f"{username} is logged out everywhere")


@click.group("audit", invoke_without_command=True)
@click.option("--action", default="", help="Action or prefix, e.g. user. or auth.login_failed")
@click.option("--username", default="")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.pass_context
def audit_cmd(ctx, action, username, limit):
    """Print the newest audit rows, tab-separated (`flask audit verify` checks the hash chain)."""
    if ctx.invoked_subcommand is not None:
        return
    import json

    from sqlalchemy import select

    from app.audit.models import AuditLog

    stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action, autoescape=True))
    if username:
        stmt = stmt.where(AuditLog.username == username)
    for row in db.session.execute(stmt).scalars():
        detail = json.dumps(row.detail, ensure_ascii=False) if row.detail else ""
        click.echo(
            f"{row.created_at:%Y-%m-%d %H:%M:%S}\t{_one_line(row.username or '-')}\t{_one_line(row.action)}\t"
            f"{_one_line(row.object_type or '')}:{_one_line(row.object_id or '')}\t{detail}"
        )


def _one_line(value: str) -> str:
    """Escape control characters: a name holding a newline or tab cannot pass for another row."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value)


@audit_cmd.command("verify")
def audit_verify_cmd():
    """Walk the audit log's hash chain; exit 1 naming the first row that does not fit."""
    from app.audit.chain import verify

    result = verify(db.session)
    if result.ok:
        click.echo(f"OK: {result.rows} audit rows, hash chain intact")
        return
    click.echo(f"BROKEN at audit row id {result.broken_id}: {result.reason}", err=True)
    sys.exit(1)
