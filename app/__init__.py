"""LeadLoop application factory."""

from flask import Flask

from app.config import load_config
from app.extensions import babel, csrf, db, limiter, login_manager, migrate

BLUEPRINTS = (
    "app.accounts.views",
    "app.dashboard.views",
    "app.web.health",
)
# Domain blueprints register themselves here as they are built; listing them in one place
# keeps the import graph obvious.
OPTIONAL_BLUEPRINTS = (
    "app.admin.views",
    "app.leads.views",
    "app.leads.api",
    "app.leads.apikeys_views",
    "app.leads.importing.views",
    "app.leads.public",
    "app.followups.views",
    "app.pipeline.views",
    "app.showroom.views",
    "app.dcc.views",
    "app.invitations.views",
    "app.invitations.public",
    "app.checkin.views",
    "app.messaging.webhooks",
    "app.reports.views",
    "app.notifications.views",
)


def create_app(config: dict | None = None) -> Flask:
    """Create and configure the LeadLoop Flask application."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.update(load_config())
    if config:
        app.config.update(config)

    from app.web import logredact
    from app.web.logging_setup import configure_logging

    configure_logging(app)
    logredact.install()
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from app import models  # noqa: F401  (register every table)

    db.init_app(app)
    from app.audit import chain

    chain.install()
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR", _migrations_dir())))
    csrf.init_app(app)
    from app.web import throttle

    limiter.init_app(app)  # counters in Redis or the database (throttle.DatabaseStorage)
    throttle.init_app(app)
    login_manager.init_app(app)

    from app.web import i18n, inputs, security, sessions, templating

    i18n.init_app(app, babel)
    sessions.init_app(app)
    security.init_app(app)
    inputs.init_app(app)
    templating.init_app(app)

    from app.web import metrics

    metrics.init_app(app)

    from app.web.errors import register_error_handlers

    register_error_handlers(app)

    import importlib

    from app.core.modules import import_optional

    for module_name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module_name).bp)
    for module_name in OPTIONAL_BLUEPRINTS:
        module = import_optional(module_name)
        if module is not None:
            app.register_blueprint(module.bp)

    if app.config.get("BENCH"):
        from app.web import bench

        bench.init_app(app)

    from app.cli import register_cli

    register_cli(app)

    from app import tasks
    from app.messaging.outbox import deliver_after_commit

    tasks.init_app(app)
    deliver_after_commit(db.session)

    from app.reports import aggregates

    aggregates.install()

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from app.web.sqlite import enable_sqlite_pragmas

        with app.app_context():
            enable_sqlite_pragmas(db.engine)
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from app.web.postgres import plan_every_execution

        with app.app_context():
            plan_every_execution(db.engine)
    return app


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")
