"""Login, logout, sessions, passwords, language."""

import re
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditLog
from tests.factories import TEST_PASSWORD


def test_login_page_has_password_manager_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in html and 'autocomplete="username"' in html
    assert 'name="password"' in html and 'autocomplete="current-password"' in html
    assert 'lang="zh-CN"' in html and "登录" in html


def test_login_success_redirects_to_dashboard_and_audits(client, factory, db):
    user = factory.user(role=Role.CONSULTANT)
    db.session.commit()
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/")
    assert client.get("/").status_code == 200
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "auth.login")) == 1


def test_wrong_password_and_unknown_user_look_identical(client, factory, db):
    user = factory.user()
    db.session.commit()
    bad_password = client.post("/login", data={"username": user.username, "password": "nope nope nope"})
    unknown = client.post("/login", data={"username": "nobody-here", "password": "nope nope nope"})
    assert bad_password.status_code == unknown.status_code == 200
    assert "用户名或密码错误" in bad_password.get_data(as_text=True)

    def page(response):  # CSRF tokens are signed with a timestamp: compare the rest
        return re.sub(r"[\w-]{20,}\.[\w-]+\.[\w-]+", "TOKEN", response.get_data(as_text=True))

    assert page(bad_password).replace(user.username, "nobody-here") == page(unknown)
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "auth.login_failed")) == 2


def test_login_rejects_offsite_next(client, factory, db):
    user = factory.user()
    db.session.commit()
    response = client.post(
        "/login", data={"username": user.username, "password": TEST_PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_session_id_changes_at_login(client, factory, db):
    user = factory.user()
    db.session.commit()
    client.get("/login")
    before = client.get_cookie("session")
    client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    after = client.get_cookie("session")
    assert after is not None and (before is None or before.value != after.value)


def test_logout_kills_the_old_cookie(client, factory, db):
    user = factory.user()
    db.session.commit()
    client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    stolen = client.get_cookie("session").value
    client.post("/logout")
    replay = client.application.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivated_user_is_logged_out_on_next_request(login, factory, db):
    from app.accounts.services import deactivate_user

    user = factory.user()
    heir = factory.user()
    db.session.commit()
    c = login(user)
    assert c.get("/").status_code == 200
    deactivate_user(user, heir)
    db.session.commit()
    response = c.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    again = c.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert again.status_code == 200  # cannot log in again


def test_idle_timeout_logs_out_after_30_minutes(login, factory, db):
    user = factory.user()
    db.session.commit()
    with freeze_time("2026-11-02 09:00:00") as frozen:
        c = login(user)
        assert c.get("/").status_code == 200
        frozen.tick(timedelta(minutes=29))
        assert c.get("/").status_code == 200
        frozen.tick(timedelta(minutes=31))
        assert c.get("/").status_code == 302


def test_absolute_timeout_after_12_hours_even_when_active(login, factory, db):
    user = factory.user()
    db.session.commit()
    with freeze_time("2026-11-02 08:00:00") as frozen:
        c = login(user)
        for _ in range(25):
            frozen.tick(timedelta(minutes=29))
            response = c.get("/")
        assert response.status_code == 302


def test_change_password_rejects_common_and_short(login, factory, db):
    user = factory.user()
    db.session.commit()
    c = login(user)
    short = c.post(
        "/account/password", data={"current_password": TEST_PASSWORD, "new_password": "abc", "confirm": "abc"}
    )
    assert short.status_code == 422
    common = c.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": "password1", "confirm": "password1"},
    )
    assert common.status_code == 422 and "太常见" in common.get_data(as_text=True)
    ok = c.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "blue lantern river",
            "confirm": "blue lantern river",
        },
    )
    assert ok.status_code == 303
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")


def test_language_switch_to_english(login, factory, db):
    user = factory.user()
    db.session.commit()
    c = login(user)
    c.post("/language", data={"locale": "en", "next": "/"})
    html = c.get("/").get_data(as_text=True)
    assert 'lang="en"' in html and "Log out" in html


def test_accept_language_english_before_login(client):
    html = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html and "Log in" in html
