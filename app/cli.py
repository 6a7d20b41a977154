"""Command-line interface: stores, users, reference data, demo data, periodic jobs."""

import sys

import click
from flask import Flask
from sqlalchemy import func, select

from app.accounts.models import Role, Store, User
from app.core.errors import DomainError
from app.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(stores_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(worker)
    app.cli.add_command(seed_reference)
    app.cli.add_command(seed_demo)
    from app.admin import cli as admin_cli
    from app.leads import cli as leads_cli
    from app.reports import cli as reports_cli

    for module in (leads_cli, reports_cli, admin_cli):
        module.register(app)


@click.group("stores", help="Manage stores.")
def stores_cli():
    pass


@stores_cli.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--region", default="")
@click.option("--city", default="")
def create_store(code, name, region, city):
    """Create a store."""
    from app.admin.defaults import ensure_reference_data
    from app.audit.services import record

    ensure_reference_data()
    if db.session.execute(select(Store.id).where(Store.code == code)).first():
        raise click.ClickException(f"store {code} already exists")
    store = Store(code=code, name=name, region=region, city=city or region)
    db.session.add(store)
    db.session.flush()
    record("store.create", None, "store", store.id, {"code": code, "via": "cli"})
    db.session.commit()
    click.echo(f"created store {code} ({name})")


@stores_cli.command("list")
def list_stores():
    """List stores."""
    for store in db.session.execute(select(Store).order_by(Store.code)).scalars():
        click.echo(f"{store.code}\t{store.name}\t{store.region}\t{'active' if store.active else 'inactive'}")


@click.group("users", help="Manage users.")
def users_cli():
    pass


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--store", "store_code", default=None)
@click.option("--name", "display_name", default=None)
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_cmd(username, role, store_code, display_name, email, password_stdin):
    """Create a user; the password comes from standard input."""
    from app.accounts.services import create_user

    if not password_stdin:
        raise click.UsageError("pass --password-stdin and send the password on standard input")
    password = sys.stdin.readline().rstrip("\n")
    store = None
    if store_code:
        store = db.session.execute(select(Store).where(Store.code == store_code)).scalar_one_or_none()
        if store is None:
            raise click.ClickException(f"no store with code {store_code}")
    try:
        user = create_user(username, password, role, store, display_name=display_name, email=email)
    except DomainError as exc:
        raise click.ClickException(f"cannot create user: {exc.code}") from exc
    db.session.commit()
    click.echo(f"created user {user.username} ({user.role})")


@users_cli.command("deactivate")
@click.option("--username", required=True)
@click.option("--successor", default=None, help="Who takes over open leads and plans.")
@click.option("--reason", default="")
def deactivate_user_cmd(username, successor, reason):
    """Deactivate a user at once and hand their open leads to a successor."""
    from app.accounts.services import deactivate_user

    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"no user {username}")
    heir = None
    if successor:
        heir = db.session.execute(select(User).where(User.username == successor)).scalar_one_or_none()
        if heir is None:
            raise click.ClickException(f"no user {successor}")
    try:
        detail = deactivate_user(user, heir, reason=reason or "cli")
    except DomainError as exc:
        raise click.ClickException(exc.code) from exc
    db.session.commit()
    click.echo(
        f"deactivated {username}; moved {detail['leads']} leads and {detail['plans']} plans"
        + (f" to {successor}" if successor else "")
    )


@users_cli.command("list")
def list_users():
    """List users."""
    rows = db.session.execute(select(User).order_by(User.username)).scalars()
    for user in rows:
        store = user.store.code if user.store else "-"
        click.echo(f"{user.username}\t{user.role}\t{store}\t{'active' if user.active else 'inactive'}")


@click.command("seed-reference")
def seed_reference():
    """Insert the default channels, grades, stages, reasons and vehicles (idempotent)."""
    from app.admin.defaults import ensure_reference_data

    ensure_reference_data()
    db.session.commit()
    click.echo("reference data ready")


@click.command("seed-demo")
@click.option("--leads", "n_leads", default=2000, show_default=True, type=int)
@click.option("--stores", "n_stores", default=3, show_default=True, type=int)
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has leads.")
def seed_demo(n_leads, n_stores, seed, if_empty):
    """Fill the database with a believable demo dealership group."""
    from app.demo.seed import print_logins, seed_demo_data
    from app.leads.models import Lead

    if if_empty and db.session.execute(select(func.count(Lead.id))).scalar():
        click.echo("database already has data; demo data not loaded")
        print_logins()
        return
    stats = seed_demo_data(n_leads=n_leads, n_stores=n_stores, seed=seed, echo=click.echo)
    click.echo(", ".join(f"{k}={v}" for k, v in stats.items()))
    print_logins()


@click.command("worker")
@click.option("--workers", type=int, default=None, help="Worker threads (HUEY_WORKERS, default 2).")
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic jobs in this consumer.")
def worker(workers, no_periodic):
    """Run the task queue consumer: outbox delivery, imports, reports and the periodic jobs."""
    from flask import current_app

    from app.tasks import run_consumer

    run_consumer(workers or current_app.config["HUEY_WORKERS"], periodic=not no_periodic)


@click.group("jobs", help="Periodic work; `flask worker` schedules it, or run it from cron.")
def jobs_cli():
    pass


@jobs_cli.command("run")
@click.option("--only", default=None, help="Run only the named job.")
@click.option("--now", "now_text", default=None, help="Pretend it is this UTC time (YYYY-MM-DDTHH:MM).")
def run_jobs(only, now_text):
    """Run all periodic jobs once (idempotent)."""
    from datetime import datetime

    from app.core.timeutil import utcnow
    from app.jobs import run_all

    now = datetime.fromisoformat(now_text) if now_text else utcnow()
    results = run_all(now, only=only)
    for name, summary in results.items():
        click.echo(f"{name}: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    if any(s.get("error") for s in results.values()):
        sys.exit(1)
