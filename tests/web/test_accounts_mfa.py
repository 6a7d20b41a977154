"""Second factor (TOTP) for admins, directors and exporters: enrolment, codes, recovery, reset."""

import re

import pyotp
from sqlalchemy import select

from app.accounts.mfa import STEP_SECONDS, mfa_required, verify_totp
from app.accounts.models import MfaRecoveryCode, Role
from app.audit.models import AuditLog
from tests.conftest import _ready_second_factor
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET
from tests.helpers_platform import other_app


def _password(client, user):
    return client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})


def _audits(db, action):
    return db.session.execute(select(AuditLog).where(AuditLog.action == action)).scalars().all()


def test_who_needs_a_second_factor(factory, db):
    assert mfa_required(factory.user(role=Role.ADMIN))
    assert mfa_required(factory.user(role=Role.DIRECTOR))
    assert mfa_required(factory.user(role=Role.MANAGER))  # managers export by default
    assert mfa_required(factory.user(role=Role.CONSULTANT, can_export=True))
    assert not mfa_required(factory.user(role=Role.MANAGER, can_export=False))
    assert not mfa_required(factory.user(role=Role.CONSULTANT))


def test_consultant_logs_in_with_the_password_alone(client, factory, db):
    user = factory.user()
    db.session.commit()
    response = _password(client, user)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_enrolled_director_must_enter_a_code_before_any_page(client, factory, db):
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    response = client.post(
        "/login", data={"username": director.username, "password": TEST_PASSWORD, "next": "/admin/audit"}
    )
    assert response.headers["Location"].endswith("/login/mfa")
    for path in ("/", "/admin/audit", "/leads", "/account/password"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/login/mfa"), path
    htmx = client.get("/leads", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].endswith("/login/mfa")
    page = client.get("/login/mfa")
    assert page.status_code == 200 and "两步验证" in page.get_data(as_text=True)
    wrong = client.post("/login/mfa", data={"code": "000000"})
    assert wrong.status_code == 422 and "验证码错误或已被使用" in wrong.get_data(as_text=True)
    ok = client.post("/login/mfa", data={"code": pyotp.TOTP(TEST_TOTP_SECRET).now()})
    assert ok.status_code == 303 and ok.headers["Location"] == "/admin/audit"
    assert client.get("/admin/audit").status_code == 200
    assert [a.detail for a in _audits(db, "auth.mfa_ok")] == [{"with": "totp"}]
    assert len(_audits(db, "auth.mfa_failed")) == 1


def test_a_code_cannot_be_used_twice(app, factory, db):
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    code = pyotp.TOTP(TEST_TOTP_SECRET).now()
    first, second = app.test_client(), app.test_client()
    _password(first, director)
    _password(second, director)
    assert first.post("/login/mfa", data={"code": code}).status_code == 303
    assert second.post("/login/mfa", data={"code": code}).status_code == 422
    assert second.get("/").headers["Location"].endswith("/login/mfa")


def test_verify_accepts_neighbouring_steps_only_forward(factory, db):
    user = factory.user(role=Role.ADMIN)
    totp, now = pyotp.TOTP(TEST_TOTP_SECRET), 1_800_000_000.0
    assert verify_totp(user, totp.at(now), now=now)
    assert not verify_totp(user, totp.at(now - STEP_SECONDS), now=now)  # older than the last used
    assert verify_totp(user, totp.at(now + STEP_SECONDS), now=now)
    assert not verify_totp(user, totp.at(now + 5 * STEP_SECONDS), now=now)
    assert not verify_totp(user, "12345", now=now)


def test_enrolment_with_qr_code_and_recovery_codes(client, factory, db):
    admin = factory.user(role=Role.ADMIN, totp_secret=None)
    db.session.commit()
    assert admin.mfa_enrolled_at is None
    response = _password(client, admin)
    assert response.headers["Location"].endswith("/account/mfa/setup")
    assert client.get("/").headers["Location"].endswith("/account/mfa/setup")
    page = client.get("/account/mfa/setup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "设置两步验证" in html
    assert 'src="data:image/svg+xml' in html and "<script" not in html.split("<main")[1]
    secret = re.search(r'<code class="mfa-secret">([A-Z2-7]+)</code>', html).group(1)
    db.session.refresh(admin)
    assert admin.totp_secret == secret and admin.mfa_enrolled_at is None
    assert client.get("/account/mfa/setup").get_data(as_text=True).count(secret) >= 1  # same pending secret
    assert client.post("/account/mfa/setup", data={"code": "123456"}).status_code == 422
    done = client.post("/account/mfa/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.execute(select(MfaRecoveryCode.code_hash)).scalars().all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert client.get("/admin/").status_code == 200
    assert len(_audits(db, "auth.mfa_enrol")) == 1
    db.session.refresh(admin)
    assert admin.mfa_enrolled_at is not None


def test_recovery_codes_work_once_each(app, factory, db):
    admin = factory.user(role=Role.ADMIN, totp_secret=None)
    db.session.commit()
    c = app.test_client()
    _password(c, admin)
    html = c.get("/account/mfa/setup").get_data(as_text=True)
    secret = re.search(r'<code class="mfa-secret">([A-Z2-7]+)</code>', html).group(1)
    codes = re.findall(
        r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>",
        c.post("/account/mfa/setup", data={"code": pyotp.TOTP(secret).now()}).get_data(as_text=True),
    )
    again = app.test_client()
    _password(again, admin)
    assert again.post("/login/mfa", data={"code": codes[3].upper()}).status_code == 303
    third = app.test_client()
    _password(third, admin)
    assert third.post("/login/mfa", data={"code": codes[3]}).status_code == 422
    assert [a.detail for a in _audits(db, "auth.mfa_ok")] == [{"with": "recovery"}]


def test_wrong_codes_are_throttled(_tmpdir, factory, db):
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    with other_app(
        _tmpdir,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="leadloop+db://",
        MFA_RATE_LIMIT="3 per 5 minutes",
    ) as application:
        used = application.test_client()
        _password(used, director)
        code = pyotp.TOTP(TEST_TOTP_SECRET).now()
        assert used.post("/login/mfa", data={"code": code}).status_code == 303
        c = application.test_client()
        _password(c, director)
        wrong = ["000000", code, "abcde-fghjk"]  # wrong, replayed, not a recovery code
        assert [c.post("/login/mfa", data={"code": w}).status_code for w in wrong] == [422] * 3
        blocked = c.post("/login/mfa", data={"code": pyotp.TOTP(TEST_TOTP_SECRET).now()})
    assert blocked.status_code == 429 and "验证码错误次数过多" in blocked.get_data(as_text=True)


def test_logout_is_reachable_before_the_second_factor(client, factory, db):
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    _password(client, director)
    assert client.post("/logout").status_code == 303
    assert client.get("/login/mfa").status_code == 302  # logged out: back to the login page


def test_admin_resets_a_users_second_factor_audited(login_as, login, factory, db):
    admin = login_as(Role.ADMIN)
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    director_session = login(director)
    assert director_session.get("/").status_code == 200
    assert "重置两步验证" in admin.get(f"/admin/users/{director.id}").get_data(as_text=True)
    response = admin.post(f"/admin/users/{director.id}/mfa-reset")
    assert response.status_code == 303
    db.session.refresh(director)
    assert director.totp_secret is None and director.mfa_enrolled_at is None
    assert director_session.get("/").status_code == 302  # sessions confirmed with the old factor end
    audit = _audits(db, "user.mfa_reset")
    assert len(audit) == 1 and audit[0].user_id == admin.user.id and audit[0].object_id == str(director.id)
    again = director_session.client.post(
        "/login", data={"username": director.username, "password": TEST_PASSWORD}
    )
    assert again.headers["Location"].endswith("/account/mfa/setup")


def test_only_admins_reset_a_second_factor(login_as, factory, db):
    director = login_as(Role.DIRECTOR)
    target = factory.user(role=Role.MANAGER)
    db.session.commit()
    assert director.post(f"/admin/users/{target.id}/mfa-reset").status_code == 403
    db.session.refresh(target)
    assert target.mfa_enrolled_at is not None


def test_password_change_keeps_the_confirmed_second_factor(login, factory, db):
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    session = login(director)
    response = session.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "amber meadow clock",
            "confirm": "amber meadow clock",
        },
    )
    assert response.status_code == 303
    assert session.get("/").status_code == 200


def test_login_helper_can_log_the_same_user_in_twice(login, factory, db):
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    assert login(director).get("/").status_code == 200
    _ready_second_factor(director)
    assert login(director).get("/").status_code == 200


def test_demo_users_who_need_a_second_factor_are_enrolled_with_the_printed_key(app, db):
    from app.accounts.models import User
    from app.demo.seed import DEMO_TOTP_SECRET, print_logins, seed_demo_data

    seed_demo_data(n_leads=20, n_stores=1, echo=lambda *_: None)
    db.session.commit()
    users = db.session.execute(select(User)).scalars().all()
    for user in users:
        enrolled = user.totp_secret == DEMO_TOTP_SECRET and user.mfa_enrolled_at is not None
        assert enrolled == mfa_required(user), user.username
    lines = []
    print_logins(echo=lines.append)
    assert any(DEMO_TOTP_SECRET in line for line in lines)
    c = app.test_client()
    c.post("/login", data={"username": "director", "password": "leadloop-demo-2026"})
    assert c.post("/login/mfa", data={"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()}).status_code == 303


def test_a_consultant_who_enrolled_of_their_own_accord_is_asked_too(app, factory, db):
    consultant = factory.user()
    db.session.commit()
    c = app.test_client()
    assert _password(c, consultant).headers["Location"] == "/"
    setup = c.get("/account/mfa/setup").get_data(as_text=True)
    secret = re.search(r'<code class="mfa-secret">([A-Z2-7]+)</code>', setup).group(1)
    assert c.post("/account/mfa/setup", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    again = app.test_client()
    assert _password(again, consultant).headers["Location"].endswith("/login/mfa")
    assert again.get("/leads").headers["Location"].endswith("/login/mfa")


def test_the_bell_poll_before_the_second_factor_gets_no_count_and_no_redirect(app, factory, db):
    """The bell polls from every page, the second-factor page too: it must not send the page there again."""
    from tests.factories import TEST_PASSWORD

    manager = factory.user("manager")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": manager.username, "password": TEST_PASSWORD})
    response = client.get("/notifications/count", headers={"HX-Request": "true"})
    assert response.status_code == 204 and "HX-Redirect" not in response.headers
    assert client.get("/").status_code in (302, 303)  # every page still waits for the code


def test_the_menu_stays_hidden_until_the_second_factor_is_confirmed(client, factory, db):
    """Before the code, the menu's pages all send the director back to the code page: none is shown."""
    director = factory.user(role=Role.DIRECTOR)
    db.session.commit()
    _password(client, director)
    page = client.get("/login/mfa").get_data(as_text=True)
    menu = page[page.index('id="main-nav"') : page.index("</nav>")]
    assert 'href="/leads' not in menu and 'href="/reports' not in menu
    assert 'href="/account/password"' not in menu and 'action="/logout"' in menu  # logging out stays
    client.post("/login/mfa", data={"code": pyotp.TOTP(TEST_TOTP_SECRET).now()})
    home = client.get("/").get_data(as_text=True)
    menu = home[home.index('id="main-nav"') : home.index("</nav>")]
    assert 'href="/leads' in menu and 'href="/reports' in menu and 'href="/account/password"' in menu
