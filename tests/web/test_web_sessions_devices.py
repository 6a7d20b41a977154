"""Sessions per device: logout ends this device only; everywhere-logout, deactivation and password
changes end all; only the clerk's tablets get the long idle time; production cookie names; 413."""

import io
import json
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from app.accounts.models import RevokedSession
from app.core.timeutil import utcnow
from app.jobs import run_all
from tests.factories import TEST_PASSWORD
from tests.helpers_platform import other_app


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_logout_ends_only_this_devices_session(login, factory, db):
    user = factory.user("clerk")
    db.session.commit()
    tablet_a, tablet_b = login(user), login(user)
    stolen = tablet_a.get_cookie("session").value
    assert tablet_a.post("/logout").status_code == 303
    assert not _logged_in(tablet_a) and _logged_in(tablet_b)
    replay = tablet_a.application.test_client()
    replay.set_cookie("session", stolen)
    assert not _logged_in(replay)  # the old cookie of the logged-out tablet stays dead
    assert db.session.execute(select(RevokedSession.user_id)).scalars().all() == [user.id]


def test_logout_everywhere_ends_every_session(login, factory, db):
    user = factory.user("clerk")
    admin = factory.user("admin")
    db.session.commit()
    tablet_a, tablet_b = login(user), login(user)
    assert login(admin).post(f"/admin/users/{user.id}/logout-everywhere").status_code == 303
    assert not _logged_in(tablet_a) and not _logged_in(tablet_b)


def test_password_change_ends_the_other_sessions(login, factory, db):
    user = factory.user()
    db.session.commit()
    here, elsewhere = login(user), login(user)
    new = "blue lantern river"
    response = here.post(
        "/account/password", data={"current_password": TEST_PASSWORD, "new_password": new, "confirm": new}
    )
    assert response.status_code == 303
    assert _logged_in(here) and not _logged_in(elsewhere)


def test_revoked_sessions_are_purged_after_the_absolute_timeout(app, login, factory, db):
    user = factory.user()
    db.session.commit()
    login(user).post("/logout")
    assert db.session.execute(select(RevokedSession)).scalars().all()
    assert run_all(utcnow() + timedelta(hours=1), only="revoked_sessions")["revoked_sessions"] == {
        "purged": 0
    }
    later = utcnow() + app.config["ABSOLUTE_TIMEOUT"] + timedelta(minutes=1)
    assert run_all(later, only="revoked_sessions")["revoked_sessions"] == {"purged": 1}
    assert db.session.execute(select(RevokedSession)).scalars().all() == []


@pytest.mark.parametrize(("role", "stays"), [("clerk", True), ("marketing", False), ("manager", False)])
def test_only_the_clerk_gets_the_kiosk_idle_time(login, factory, db, role, stays):
    user = factory.user(role)
    db.session.commit()
    with freeze_time("2026-11-02 09:00:00") as frozen:
        client = login(user)
        assert _logged_in(client)
        frozen.tick(timedelta(minutes=45))
        assert _logged_in(client) is stays


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_production_cookies_are_host_only_and_secure(_tmpdir, factory, db):
    with other_app(_tmpdir, SESSION_COOKIE_SECURE=True) as application:
        user = factory.user()
        db.session.commit()
        client = application.test_client()
        response = client.post(
            "/login",
            data={"username": user.username, "password": TEST_PASSWORD},
            base_url="https://leadloop.example",
        )
        assert response.status_code == 303
        cookies = _set_cookies(response)
        assert set(cookies) == {"__Host-session"}
        attributes = [part.strip().lower() for part in cookies["__Host-session"].split(";")[1:]]
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(attributes)
        assert not any(part.startswith("domain") for part in attributes)
        assert client.get("/", base_url="https://leadloop.example").status_code == 200
        assert application.config["REMEMBER_COOKIE_NAME"].startswith("__Host-")


def test_development_cookies_keep_the_plain_name(client, factory, db):
    user = factory.user()
    db.session.commit()
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert set(_set_cookies(response)) == {"session"}


def _big_upload(size: int) -> dict:
    return {"file": (io.BytesIO(b"a" * size), "leads.csv")}


def test_an_upload_over_the_limit_gets_a_413_page_in_chinese(app, login_as):
    manager = login_as("manager")
    response = manager.post(
        "/leads/import", data=_big_upload(21 * 1024 * 1024), content_type="multipart/form-data"
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "文件太大" in html and "20 MB" in html and "<html" in html


def test_an_htmx_upload_over_the_limit_shows_a_message(app, login_as):
    manager = login_as("manager")
    response = manager.htmx(
        "post", "/leads/import", data=_big_upload(21 * 1024 * 1024), content_type="multipart/form-data"
    )
    assert response.status_code == 413 and "<html" not in response.get_data(as_text=True)
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert "文件太大" in toast and "20 MB" in toast


def test_the_refused_body_is_read_so_the_client_gets_the_answer(app, login_as):
    from werkzeug.test import EnvironBuilder

    manager = login_as("manager")
    body = io.BytesIO(b"a" * (21 * 1024 * 1024))
    builder = EnvironBuilder(
        path="/leads/import",
        method="POST",
        input_stream=body,
        content_type="multipart/form-data; boundary=x",
        content_length=len(body.getvalue()),
    )
    environ = builder.get_environ()
    response = manager.open(environ)
    assert response.status_code == 413
    assert body.tell() == len(body.getvalue())  # drained: the server can answer before it closes
