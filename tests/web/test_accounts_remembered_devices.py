"""Remembered devices ("keep me signed in on this device"): hashed tokens, a fixed lifetime, ended by
everything that ends a user's sessions, never for administrators; the login box, the cookie, the
device list of the user and of the administrator."""

import hashlib
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from app.accounts import devices
from app.accounts.models import DeviceSession, Role, User
from app.audit.models import AuditLog
from app.core.timeutil import utcnow
from app.jobs import run_all
from tests.conftest import pass_second_factor
from tests.factories import TEST_PASSWORD
from tests.helpers_platform import other_app

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800322d) NetType/WIFI Language/zh_CN"
)
COOKIE = "leadloop_device"


def _remember(user, **kw):
    row, token = devices.remember(user, PHONE_UA, "203.0.113.77", **kw)
    from app.extensions import db

    db.session.commit()
    return row, token


def _login_remembered(app, user, ua: str = PHONE_UA, remember: bool = True):
    client = app.test_client()
    data = {"username": user.username, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, headers={"User-Agent": ua})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    pass_second_factor(client, user, response)
    return client, response


def _signed_in(client) -> bool:
    return client.get("/", headers={"User-Agent": PHONE_UA}).status_code == 200


def _drop_session(client) -> None:
    client.delete_cookie("session")


def _count(db, action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditLog.action == action))


# ---- the service ---------------------------------------------------------------------------------


def test_only_the_digest_of_the_token_is_stored(factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    row, token = _remember(user)
    assert len(token) >= 40 and token not in {row.token_hash, row.current_sid}
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert devices.find_by_token(token).id == row.id
    assert devices.find_by_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert devices.find_by_token(row.token_hash) is None  # the stored digest is no key
    assert (row.browser, row.platform, row.last_ip) == ("Chrome", "Android", "203.0.113.x")


def test_a_device_ends_after_the_configured_days_from_the_login(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    days = app.config["DEVICE_SESSION_DAYS"]
    with freeze_time("2026-11-02 09:00:00") as frozen:
        _, token = _remember(user)
        frozen.tick(timedelta(days=days) - timedelta(minutes=1))
        assert devices.find_by_token(token) is not None
        devices.touch(devices.find_by_token(token).id, user.id)  # use does not extend it
        frozen.tick(timedelta(minutes=2))
        assert devices.find_by_token(token) is None
        assert devices.active_devices(user) == []


def _change_password(user, admin):
    from app.accounts.services import change_password

    change_password(user, TEST_PASSWORD, "blue lantern river")


def _deactivate(user, admin):
    from app.accounts.services import deactivate_user

    deactivate_user(user, None, admin)


def _logout_everywhere(user, admin):
    from app.admin.services import revoke_sessions

    revoke_sessions(user, admin)


def _password_reset(user, admin):
    from app.admin.services import reset_password

    reset_password(user, "green lantern river", admin)


def _mfa_reset(user, admin):
    from app.accounts.mfa import reset_mfa

    reset_mfa(user, admin)


def _made_admin(user, admin):
    from app.admin.services import update_user, user_values

    update_user(user, {**user_values(user), "role": "admin", "store_id": None}, admin)


@pytest.mark.parametrize(
    "end", [_change_password, _deactivate, _logout_everywhere, _password_reset, _mfa_reset, _made_admin]
)
def test_everything_that_ends_sessions_ends_remembered_devices(factory, db, end):
    user = factory.user(Role.CONSULTANT)
    admin = factory.user(Role.ADMIN)
    db.session.commit()
    _, token = _remember(user)
    assert devices.active_devices(user)
    end(user, admin)
    db.session.commit()
    assert devices.find_by_token(token) is None
    assert devices.active_devices(db.session.get(User, user.id)) == []


@pytest.mark.parametrize("role", list(Role))
def test_only_consultants_and_managers_may_keep_a_device(factory, db, role):
    user = factory.user(role)
    db.session.commit()
    allowed = role in (Role.CONSULTANT, Role.MANAGER)
    assert devices.may_remember(user) is allowed
    if not allowed:
        with pytest.raises(PermissionError):
            devices.remember(user, PHONE_UA, None)


def test_a_device_of_a_user_who_became_admin_no_longer_signs_in(factory, db):
    user = factory.user(Role.MANAGER)
    db.session.commit()
    _, token = _remember(user)
    user.role = Role.ADMIN  # even without a new session version
    db.session.commit()
    assert devices.find_by_token(token) is None


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        (PHONE_UA, ("Chrome", "Android")),
        (WECHAT_UA, ("WeChat", "iPhone")),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Safari/537.36 Edg/131.0.0.0",
            ("Edge", "Windows"),
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
            "Mobile/15E148 Safari/604.1",
            ("Safari", "iPad"),
        ),
        ("curl/8.5", ("", "")),
        ("", ("", "")),
    ],
)
def test_the_device_label_comes_from_the_user_agent(ua, expected):
    assert devices.describe_user_agent(ua) == expected


def test_addresses_are_kept_without_their_last_part():
    assert devices.mask_ip("198.51.100.23") == "198.51.100.x"
    assert devices.mask_ip("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert devices.mask_ip("not an address") is None and devices.mask_ip(None) is None


def test_the_purge_job_forgets_devices_that_can_no_longer_sign_in(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    keep, _ = _remember(user)
    gone, _ = _remember(user)
    devices.revoke(gone, user)
    db.session.commit()
    later = utcnow() + app.config["ABSOLUTE_TIMEOUT"] + timedelta(minutes=1)
    assert run_all(later, only="device_sessions")["device_sessions"] == {"purged": 1}
    assert db.session.execute(select(DeviceSession.id)).scalars().all() == [keep.id]


# ---- over HTTP -------------------------------------------------------------------------------------


def test_the_login_form_offers_the_choice(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="remember"' in html and "在此设备上保持登录 (30 天)" in html


def test_login_with_the_box_sets_an_httponly_cookie_and_remembers_the_device(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    client, response = _login_remembered(app, user)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}="))
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    max_age = next(int(a.split("=")[1]) for a in attributes if a.startswith("max-age="))
    assert max_age == pytest.approx(app.config["DEVICE_SESSION_DAYS"] * 86400, abs=120)
    token = client.get_cookie(COOKIE).value
    row = db.session.execute(select(DeviceSession)).scalar_one()
    assert row.user_id == user.id and row.token_hash == devices.hash_token(token)
    assert (row.browser, row.platform) == ("Chrome", "Android")
    assert _count(db, "auth.device_remembered") == 1


def test_login_without_the_box_remembers_nothing(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    client, response = _login_remembered(app, user, remember=False)
    assert client.get_cookie(COOKIE) is None
    assert db.session.scalar(select(func.count()).select_from(DeviceSession)) == 0


def test_the_device_cookie_signs_in_after_the_session_cookie_is_gone(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    with freeze_time("2026-11-02 09:00:00") as frozen:
        client, _ = _login_remembered(app, user)
        _drop_session(client)
        assert _signed_in(client)
        assert _count(db, "auth.device_login") == 1
        frozen.tick(timedelta(hours=3))  # far beyond the 30 idle minutes: the same session goes on
        assert _signed_in(client)
        assert _count(db, "auth.device_login") == 1
        frozen.tick(timedelta(hours=13))  # beyond the 12 h absolute limit: the device starts a new one
        assert _signed_in(client)
        assert _count(db, "auth.device_login") == 2
    plain, _ = _login_remembered(app, user, remember=False)
    _drop_session(plain)
    assert not _signed_in(plain)


def test_the_login_page_goes_straight_in_on_a_remembered_device(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    client, _ = _login_remembered(app, user)
    _drop_session(client)
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_a_revoked_device_does_not_sign_in_and_its_open_session_ends(app, login, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    phone, _ = _login_remembered(app, user)
    token = phone.get_cookie(COOKIE).value
    row = db.session.execute(select(DeviceSession)).scalar_one()
    desk = login(user)
    page = desk.get("/account/devices").get_data(as_text=True)
    assert "Chrome · Android" in page and "127.0.0.x" in page and "127.0.0.1" not in page  # masked address
    assert desk.post(f"/account/devices/{row.id}/revoke").status_code == 303
    assert _count(db, "auth.device_revoked") == 1
    assert not _signed_in(phone)  # the session running on the phone ends at once
    thief = app.test_client()
    thief.set_cookie(COOKIE, token)
    assert not _signed_in(thief)
    assert _signed_in(desk)  # the other session of the user goes on


def test_an_open_session_on_a_device_ends_within_minutes_once_the_device_is_invalid(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    with freeze_time("2026-11-02 09:00:00") as frozen:
        phone, _ = _login_remembered(app, user)
        row = db.session.execute(select(DeviceSession)).scalar_one()
        row.revoked_at = utcnow()  # as if revoked while another session was running on it
        db.session.commit()
        assert _signed_in(phone)  # checked at most every few minutes
        frozen.tick(devices.TOUCH_INTERVAL + timedelta(seconds=1))
        assert not _signed_in(phone)
        assert phone.get_cookie(COOKIE) is None


def test_another_user_cannot_revoke_my_device(app, login, factory, db):
    mine = factory.user(Role.CONSULTANT)
    colleague = factory.user(Role.CONSULTANT)
    db.session.commit()
    phone, _ = _login_remembered(app, mine)
    row = db.session.execute(select(DeviceSession)).scalar_one()
    other = login(colleague)
    assert other.post(f"/account/devices/{row.id}/revoke").status_code == 404
    assert "Chrome" not in other.get("/account/devices").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DeviceSession, row.id).revoked_at is None
    _drop_session(phone)
    assert _signed_in(phone)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DIRECTOR, Role.CLERK])
def test_roles_without_remembered_devices_get_no_cookie(app, factory, db, role):
    user = factory.user(role)
    db.session.commit()
    client, response = _login_remembered(app, user)
    assert client.get_cookie(COOKIE) is None
    assert db.session.scalar(select(func.count()).select_from(DeviceSession)) == 0
    assert "保持登录" in client.get("/account/devices").get_data(as_text=True)  # "not available" message


def test_a_manager_with_a_second_factor_gets_the_device_only_after_the_code(app, factory, db):
    user = factory.user(Role.MANAGER)  # may export: needs the second factor
    db.session.commit()
    client = app.test_client()
    response = client.post(
        "/login", data={"username": user.username, "password": TEST_PASSWORD, "remember": "y"}
    )
    assert "/login/mfa" in response.headers["Location"]
    assert client.get_cookie(COOKIE) is None
    pass_second_factor(client, user, response)
    row = db.session.execute(select(DeviceSession)).scalar_one()
    assert row.second_factor is True and client.get_cookie(COOKIE) is not None
    _drop_session(client)
    response = client.get("/")
    assert response.status_code == 200  # the remembered login had the second factor


def test_a_device_remembered_without_a_second_factor_asks_for_one_once_it_is_needed(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    client, _ = _login_remembered(app, user)
    db.session.get(User, user.id).can_export = True  # now needs the second factor
    db.session.commit()
    _drop_session(client)
    response = client.get("/")
    assert response.status_code == 302 and "/account/mfa/setup" in response.headers["Location"]


def test_logout_ends_this_device(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    client, _ = _login_remembered(app, user)
    token = client.get_cookie(COOKIE).value
    response = client.post("/logout")
    assert any(h.startswith(f"{COOKIE}=;") for h in response.headers.getlist("Set-Cookie"))
    assert client.get_cookie(COOKIE) is None
    assert db.session.execute(select(DeviceSession.revoked_at)).scalar_one() is not None
    again = app.test_client()
    again.set_cookie(COOKIE, token)
    assert not _signed_in(again)


def test_a_password_change_keeps_this_device_with_a_new_token_and_ends_the_others(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    here, _ = _login_remembered(app, user)
    there, _ = _login_remembered(app, user, ua=WECHAT_UA)
    old = here.get_cookie(COOKIE).value
    new = "blue lantern river"
    assert (
        here.post(
            "/account/password", data={"current_password": TEST_PASSWORD, "new_password": new, "confirm": new}
        ).status_code
        == 303
    )
    assert here.get_cookie(COOKIE).value != old
    _drop_session(here)
    _drop_session(there)
    assert _signed_in(here) and not _signed_in(there)
    stale = app.test_client()
    stale.set_cookie(COOKIE, old)
    assert not _signed_in(stale)


def test_last_use_is_written_at_most_every_few_minutes(app, factory, db):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    with freeze_time("2026-11-02 09:00:00") as frozen:
        client, _ = _login_remembered(app, user)
        first = db.session.execute(select(DeviceSession.last_used_at)).scalar_one()
        frozen.tick(timedelta(minutes=2))
        assert _signed_in(client)
        assert db.session.execute(select(DeviceSession.last_used_at)).scalar_one() == first
        frozen.tick(devices.TOUCH_INTERVAL)
        assert _signed_in(client)
        assert db.session.execute(select(DeviceSession.last_used_at)).scalar_one() > first


def test_the_device_list_shows_the_last_use_in_the_stores_zone(app, factory, db):
    store = factory.store("TZW", timezone="Asia/Urumqi")  # UTC+6
    user = factory.user(Role.CONSULTANT, store)
    db.session.commit()
    with freeze_time("2026-11-02 09:00:00"):
        client, _ = _login_remembered(app, user)
        page = client.get("/account/devices").get_data(as_text=True)
    assert "2026-11-02 15:00" in page and "本设备" in page and "退出登录" in page


def test_the_administrator_sees_and_signs_out_a_users_devices(app, login, factory, db):
    user = factory.user(Role.CONSULTANT)
    admin = factory.user(Role.ADMIN)
    db.session.commit()
    phone, _ = _login_remembered(app, user, ua=WECHAT_UA)
    row = db.session.execute(select(DeviceSession)).scalar_one()
    office = login(admin)
    page = office.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "微信 · iPhone" in page
    someone = factory.user(Role.CONSULTANT)
    db.session.commit()
    assert office.post(f"/admin/users/{someone.id}/devices/{row.id}/revoke").status_code == 404
    assert office.post(f"/admin/users/{user.id}/devices/{row.id}/revoke").status_code == 303
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "user.device_revoked")).scalar_one()
    assert entry.user_id == admin.id and entry.object_id == str(user.id)
    _drop_session(phone)
    assert not _signed_in(phone)
    after = office.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "已退出登录" in after and 'class="device"' not in after


def test_production_device_cookie_is_host_only_and_secure(_tmpdir, factory, db):
    with other_app(_tmpdir, SESSION_COOKIE_SECURE=True) as application:
        user = factory.user(Role.CONSULTANT)
        db.session.commit()
        client = application.test_client()
        response = client.post(
            "/login",
            data={"username": user.username, "password": TEST_PASSWORD, "remember": "y"},
            base_url="https://leadloop.example",
        )
        header = next(
            h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-leadloop_device=")
        )
        attributes = {part.strip().lower() for part in header.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
        assert not any(a.startswith("domain") for a in attributes)
        client.delete_cookie("__Host-session", domain="leadloop.example")
        assert client.get("/", base_url="https://leadloop.example").status_code == 200
