"""LeadLoop application factory."""

from flask import Flask

from app.config import load_config
from app.extensions import babel, csrf, db, limiter, login_manager, migrate


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

    register_blueprints(app)

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
        from app.web.postgres import cache_long_statements, ping_when_in_doubt, plan_every_execution

        cache_long_statements()
        with app.app_context():
            plan_every_execution(db.engine)
            ping_when_in_doubt(db.engine)
    return app


def register_blueprints(app: Flask) -> None:
    """Register every blueprint, unconditionally: a misspelt or missing module fails at start-up."""
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.checkin.views import bp as checkin_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.dcc.views import bp as dcc_bp
    from app.followups.views import bp as followups_bp
    from app.invitations.public import bp as rsvp_bp
    from app.invitations.views import bp as invitations_bp
    from app.leads.api import bp as api_bp
    from app.leads.apikeys_views import bp as apikeys_bp
    from app.leads.importing.views import bp as imports_bp
    from app.leads.public import bp as public_form_bp
    from app.leads.views import bp as leads_bp
    from app.messaging.webhooks import bp as webhooks_bp
    from app.notifications.views import bp as notifications_bp
    from app.pipeline.views import bp as pipeline_bp
    from app.reports.views import bp as reports_bp
    from app.showroom.views import bp as showroom_bp
    from app.web.health import bp as health_bp

    for bp in (
        accounts_bp,
        dashboard_bp,
        health_bp,
        admin_bp,
        leads_bp,
        api_bp,
        apikeys_bp,
        imports_bp,
        public_form_bp,
        followups_bp,
        pipeline_bp,
        showroom_bp,
        dcc_bp,
        invitations_bp,
        rsvp_bp,
        checkin_bp,
        webhooks_bp,
        reports_bp,
        notifications_bp,
    ):
        app.register_blueprint(bp)


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")
