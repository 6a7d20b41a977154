"""A lost database connection answers 503 with Retry-After in the user's language, and an import
whose save loses the connection fails at once with a clear message."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from app.extensions import db as _db
from app.leads.models import ImportJob, Lead
from tests.helpers_intake import csv_bytes, lead_row, make_api_key, run_import


class _Gone(Exception):
    """Stands for the driver's 'server closed the connection unexpectedly'."""


ERRORS = {
    "operational": lambda: OperationalError("SELECT 1", {}, _Gone("server closed the connection")),
    "disconnection": lambda: DisconnectionError("connection invalidated"),
    "invalidated": lambda: DBAPIError("SELECT 1", {}, _Gone("terminated"), connection_invalidated=True),
}


@contextmanager
def database_down(kind: str = "operational"):
    def fail(*_args, **_kwargs):
        raise ERRORS[kind]()

    event.listen(_db.engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(_db.engine, "before_cursor_execute", fail)


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_page_answers_503_with_retry_after_in_chinese(login_as, kind):
    client = login_as("manager")
    with database_down(kind):
        response = client.get("/leads")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert "服务暂时不可用" in html and "暂时无法连接数据库" in html and "Traceback" not in html


def test_page_answers_in_the_users_language(login_as):
    client = login_as("manager")
    assert client.post("/language", data={"locale": "en"}).status_code == 303
    client.get("/")
    with database_down():
        response = client.get("/leads")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "The service is briefly unavailable" in html and '<html lang="en">' in html


def test_htmx_and_anonymous_requests_get_503_too(client, login_as):
    manager = login_as("manager")
    with database_down():
        fragment = manager.htmx("get", "/leads?grade=H")
        login = client.post("/login", data={"username": "x", "password": "y"})
    assert fragment.status_code == 503 and "<html" not in fragment.get_data(as_text=True)
    assert "服务暂时不可用" in fragment.get_data(as_text=True)
    assert login.status_code == 503 and login.headers["Retry-After"]


def test_api_answers_a_problem_document(client, factory, db):
    _key, raw = make_api_key(db, factory.store())
    with database_down():
        response = client.post("/api/v1/leads", json={}, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.content_type == "application/problem+json" and response.get_json()["status"] == 503


def test_the_app_works_again_once_the_database_is_back(login_as):
    client = login_as("manager")
    with database_down():
        assert client.get("/leads").status_code == 503
    assert client.get("/leads").status_code == 200


def test_other_errors_stay_500(login_as, monkeypatch):
    from app.leads import views

    def broken(*_args, **_kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "lead_page", broken)
    response = login_as("manager").get("/leads")
    assert response.status_code == 500 and "Retry-After" not in response.headers


def test_import_losing_the_connection_at_commit_fails_at_once(login_as, factory, db, monkeypatch):
    from app.leads.importing import jobs

    store = factory.store()
    db.session.commit()
    manager = login_as("manager", store)
    monkeypatch.setattr(jobs, "RETRY_PAUSE_SECONDS", 0)
    real_commit, real_commit_import, real_rollback = (
        db.session.commit,
        jobs.commit_import,
        db.session.rollback,
    )
    calls = {"armed": False, "lost": 0, "broken": 0}

    def commit_import(*args, **kwargs):
        calls["armed"] = True  # the rows are written: the next COMMIT loses the connection
        return real_commit_import(*args, **kwargs)

    def commit_losing_the_connection():
        if calls["armed"]:
            calls["armed"] = False
            calls["lost"] += 1
            calls["broken"] = 2  # the rollback and the next statement fail too, then the pool reconnects
            raise OperationalError("COMMIT", {}, _Gone("server closed the connection unexpectedly"))
        return real_commit()

    def rollback_on_a_dead_connection():
        real_rollback()
        if calls["broken"] == 2:
            calls["broken"] = 1
            raise OperationalError("ROLLBACK", {}, _Gone("no connection to the server"))

    def statement_on_a_dead_connection(*_args, **_kwargs):
        if calls["broken"] == 1:
            calls["broken"] = 0
            raise OperationalError("SELECT", {}, _Gone("no connection to the server"))

    job_id = run_import(manager, csv_bytes([lead_row(phone="13811110001")]), commit=False)
    monkeypatch.setattr(jobs, "commit_import", commit_import)
    monkeypatch.setattr(jobs.db.session, "commit", commit_losing_the_connection)
    monkeypatch.setattr(jobs.db.session, "rollback", rollback_on_a_dead_connection)
    event.listen(_db.engine, "before_cursor_execute", statement_on_a_dead_connection)
    try:
        manager.post(f"/leads/import/{job_id}/commit", data={})
    finally:
        event.remove(_db.engine, "before_cursor_execute", statement_on_a_dead_connection)
    monkeypatch.undo()
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert calls["lost"] == 1 and calls["broken"] == 0 and db.session.query(Lead).count() == 0
    assert job.status == "failed" and job.decisions["failure"] == "connection_lost"
    page = manager.get(f"/leads/import/{job_id}").get_data(as_text=True)
    assert "与数据库的连接中断" in page and "没有保存任何数据" in page
