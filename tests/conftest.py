"""Shared fixtures: the app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), clean tables
per test, users and leads factories, logged-in clients, a query counter and a live server."""

import contextvars
import os
import re
import shutil
import tempfile
import threading
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from app import create_app
from app.extensions import db as _db
from app.extensions import limiter

from .factories import TEST_PASSWORD, TEST_TOTP_SECRET, Factory

TEST_DB_URL = os.environ.get("TEST_DATABASE_URL")
IS_PG = bool(TEST_DB_URL and TEST_DB_URL.startswith("postgres"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL); runs in the PostgreSQL pass")
    for item in items:
        if "postgres_only" in item.keywords and not IS_PG:
            item.add_marker(skip_pg)


def _test_config(tmpdir: str, **extra) -> dict:
    url = TEST_DB_URL or f"sqlite:///{tmpdir}/test.db"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": (
            {"connect_args": {"timeout": 30, "check_same_thread": False}}
            if url.startswith("sqlite")
            else {"pool_size": 20, "max_overflow": 20}
        ),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_BACKEND": "memory",
        "SMS_BACKEND": "memory",
        "WECOM_BACKEND": "memory",
        "INSTANCE_DIR": tmpdir,
        "SERVER_NAME": None,
        # Tasks run at once (HUEY_IMMEDIATE follows TESTING); outbox tests turn on delivery at commit.
        "OUTBOX_DELIVER_ON_COMMIT": False,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def _tmpdir():
    path = tempfile.mkdtemp(prefix="leadloop-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


class IsolatedClient(FlaskClient):
    """Runs each request outside the test's app context, as a real server would: no `g`,
    no session or cached user leaks from the test (or the previous request) into the request."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(_tmpdir):
    """The application with a schema built by the migrations."""
    application = create_app(_test_config(_tmpdir))
    application.test_client_class = IsolatedClient
    with application.app_context():
        _reset_schema()
        from flask_migrate import upgrade

        upgrade()
    yield application


def _reset_schema():
    if _db.engine.dialect.name == "postgresql":
        with _db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        _db.drop_all()
        with _db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _clean_tables():
    tables = [t for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _app_ctx(request):
    """Each test runs in an app context on clean tables with the default reference data; unit tests
    (tests/unit) run without an application or a database."""
    if "unit" in request.node.path.parts:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        from app.admin.defaults import ensure_reference_data
        from app.admin.reference import clear_cache

        _clean_tables()
        clear_cache()
        ensure_reference_data()
        _db.session.commit()
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        yield
        _db.session.rollback()
        _db.session.remove()


@pytest.fixture
def huey_consumer(app, tmp_path, monkeypatch):
    """A real Huey consumer (two worker threads) on a SQLite queue file instead of immediate mode.
    Its tasks run in this test's application (another test may have created a newer one)."""
    from huey.storage import SqliteStorage

    from app import tasks

    monkeypatch.setattr(tasks, "_app", app)
    tasks.use_storage(immediate=False, storage=SqliteStorage("leadloop", filename=str(tmp_path / "huey.db")))
    consumer = tasks.huey.create_consumer(
        workers=2,
        worker_type="thread",
        periodic=False,
        initial_delay=0.05,
        max_delay=0.2,
        check_worker_health=False,
    )
    consumer._set_signal_handlers = lambda: None  # the test runner keeps its own signal handlers
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        tasks.use_storage(immediate=True)


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def factory(app) -> Factory:
    return Factory(_db)


@pytest.fixture
def client(app):
    return app.test_client()


class LoggedIn:
    """A test client logged in as a user; htmx() sends HX-Request."""

    def __init__(self, client, user):
        self.client, self.user = client, user

    def __getattr__(self, name):
        return getattr(self.client, name)

    def htmx(self, method: str, url: str, **kwargs):
        headers = {"HX-Request": "true", **kwargs.pop("headers", {})}
        return self.client.open(url, method=method.upper(), headers=headers, **kwargs)


@pytest.fixture
def login(app):
    """login(user) -> a fresh client logged in as that user."""

    def _login(user, password: str = TEST_PASSWORD) -> LoggedIn:
        c = app.test_client()
        response = c.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        pass_second_factor(c, user, response)
        return LoggedIn(c, user)

    return _login


def totp_code(secret: str = TEST_TOTP_SECRET) -> str:
    import pyotp

    return pyotp.TOTP(secret).now()


def _ready_second_factor(user) -> None:
    """Enrol a user who needs a second factor (if not yet) and forget the last used code, so that
    one test can log the same user in several times within one 30-second step."""
    from sqlalchemy import update

    from app.accounts.models import User

    values = {"totp_last_step": None}
    fresh = _db.session.get(User, user.id)
    if not (fresh.totp_secret and fresh.mfa_enrolled_at):
        from app.core.timeutil import utcnow

        values.update(totp_secret=TEST_TOTP_SECRET, mfa_enrolled_at=utcnow())
    _db.session.execute(
        update(User).where(User.id == user.id).values(**values).execution_options(synchronize_session=False)
    )
    _db.session.commit()
    _db.session.expire(fresh)


def pass_second_factor(c, user, response):
    """When the password step sends the client to the second factor, answer it with a code."""
    location = response.headers.get("Location", "")
    if "/login/mfa" not in location and "/account/mfa/setup" not in location:
        return response
    _ready_second_factor(user)
    from app.accounts.models import User

    secret = _db.session.get(User, user.id).totp_secret
    done = c.post("/login/mfa", data={"code": totp_code(secret)})
    assert done.status_code == 303, done.get_data(as_text=True)[:500]
    return done


@pytest.fixture
def login_as(factory, login):
    """login_as(role, store=None, **kw) -> a logged-in client for a new user of that role."""

    def _login_as(role: str, store=None, **kw) -> LoggedIn:
        user = factory.user(role=role, store=store, **kw)
        _db.session.commit()
        return login(user)

    return _login_as


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ... ; counter.count is the number of SQL statements."""

    @contextmanager
    def _count():
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
                counter.statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(_db.engine, "before_cursor_execute", before)

    return _count


# ---- live server for the browser tests -------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_login(live_server):
    """browser_login(page, user) logs the page in through the real login form."""

    def _login(page, user, password: str = TEST_PASSWORD):
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/(\?.*)?$|.*/dashboard.*|.*/admin.*|.*/login/mfa$"))
        if page.url.endswith("/login/mfa"):
            browser_second_factor(page, user)
        return page

    return _login


def browser_second_factor(page, user):
    """Answer the second-factor page with the current code (users who need one)."""
    _ready_second_factor(user)
    page.fill("input[name=code]", totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url(re.compile(r".*/(\?.*)?$|.*/dashboard.*|.*/admin.*|.*/reports.*"))
