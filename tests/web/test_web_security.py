"""Security baseline: headers, CSRF, login throttling, cookies, audit, error pages."""

import re

import pytest
from flask import abort
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditLog
from app.web.access import public
from tests.factories import TEST_PASSWORD
from tests.helpers_platform import other_app


def audit_count(db, action):
    return db.session.scalar(select(func.count()).where(AuditLog.action == action))


# ---- headers ----------------------------------------------------------------------------------


def _assert_security_headers(response, page=True):
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"no-referrer", "same-origin", "strict-origin"}
    if page:
        assert "no-store" in response.headers["Cache-Control"]


def test_security_headers_on_every_anonymous_route(app, client):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments:
            continue
        _assert_security_headers(client.get(rule.rule))


def test_security_headers_on_pages_fragments_and_errors(login_as):
    c = login_as(Role.MANAGER)
    for response in (
        c.get("/"),
        c.htmx("get", "/"),
        c.get("/no-such-page"),
        c.get("/admin/"),
        c.get("/account/password"),
    ):
        _assert_security_headers(response)


def test_static_files_are_cacheable_but_still_nosniff(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_styles(login_as):
    html = login_as(Role.CONSULTANT).get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and " onclick=" not in html and "hx-on" not in html


# ---- CSRF -------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(_tmpdir):
    with other_app(_tmpdir, WTF_CSRF_ENABLED=True) as application:
        yield application


def test_post_without_csrf_token_is_rejected(csrf_app, factory, db):
    user = factory.user()
    db.session.commit()
    c = csrf_app.test_client()
    response = c.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert audit_count(db, "auth.login") == 0


def test_htmx_post_without_token_asks_for_a_refresh(csrf_app, factory, db):
    c = csrf_app.test_client()
    response = c.post("/language", data={"locale": "en"}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and response.headers["HX-Refresh"] == "true"


def test_post_with_token_from_the_page_succeeds(csrf_app, factory, db):
    user = factory.user()
    db.session.commit()
    c = csrf_app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = c.post(
        "/login", data={"username": user.username, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    dashboard = c.get("/").get_data(as_text=True)
    header_token = re.search(r'data-hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', dashboard).group(1)
    ok = c.post(
        "/language", data={"locale": "en"}, headers={"HX-Request": "true", "X-CSRFToken": header_token}
    )
    assert ok.status_code == 303


# ---- login throttling -------------------------------------------------------------------------


@pytest.fixture
def throttled_app(_tmpdir):
    with other_app(_tmpdir, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute") as application:
        yield application


def _attempt(c, username, password, ip="10.0.0.1"):
    return c.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def test_failed_logins_are_throttled_with_a_clear_message(throttled_app, factory, db):
    user = factory.user()
    db.session.commit()
    c = throttled_app.test_client()
    assert [_attempt(c, user.username, "wrong wrong").status_code for _ in range(3)] == [200, 200, 200]
    blocked = _attempt(c, user.username, TEST_PASSWORD)
    assert blocked.status_code == 429
    html = blocked.get_data(as_text=True)
    assert "尝试次数过多" in html and "请稍等几分钟后再试" in html and "Traceback" not in html


def test_successful_logins_do_not_count(throttled_app, factory, db):
    user = factory.user()
    db.session.commit()
    for _ in range(5):
        c = throttled_app.test_client()
        assert _attempt(c, user.username, TEST_PASSWORD).status_code == 303


def test_username_limit_holds_across_addresses(throttled_app, factory, db):
    user, other = factory.user(), factory.user()
    db.session.commit()
    c = throttled_app.test_client()
    for i in range(3):
        assert _attempt(c, user.username, "wrong wrong", ip=f"10.0.1.{i}").status_code == 200
    assert _attempt(c, user.username, TEST_PASSWORD, ip="10.0.2.1").status_code == 429
    assert _attempt(c, other.username, TEST_PASSWORD, ip="10.0.2.2").status_code == 303


# ---- accounts, sessions, cookies --------------------------------------------------------------


def test_failed_login_bodies_do_not_reveal_which_usernames_exist(client, factory, db):
    user = factory.user(username="realperson")
    db.session.commit()
    known = client.post("/login", data={"username": "realperson", "password": "bad password here"})
    unknown = client.post("/login", data={"username": "ghostperson", "password": "bad password here"})
    assert known.status_code == unknown.status_code == 200

    def normalised(response, name):
        # CSRF tokens carry a timestamp; everything else must be byte-identical.
        return re.sub(
            r'(X-CSRFToken": "|value=")[\w.-]{40,}', "TOKEN", response.get_data(as_text=True)
        ).replace(name, "X")

    assert normalised(known, "realperson") == normalised(unknown, "ghostperson")
    assert user.active


def test_session_cookie_is_httponly_and_samesite(client, factory, db):
    user = factory.user()
    db.session.commit()
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_when_configured(_tmpdir, factory, db):
    user = factory.user()
    db.session.commit()
    with other_app(_tmpdir, SESSION_COOKIE_SECURE=True) as application:
        c = application.test_client()
        response = c.post(
            "/login",
            data={"username": user.username, "password": TEST_PASSWORD},
            base_url="https://localhost",
        )
        cookie = next(
            v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("__Host-session=")
        )
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_deactivated_user_is_sent_to_login_on_the_next_request(login, factory, db):
    from app.accounts.services import deactivate_user

    user, heir = factory.user(), factory.user()
    db.session.commit()
    c = login(user)
    assert c.htmx("get", "/").status_code == 200
    deactivate_user(user, heir)
    db.session.commit()
    response = c.htmx("get", "/")
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]


def test_each_account_event_writes_exactly_one_audit_row(client, factory, db):
    from app.accounts.services import create_user, deactivate_user

    admin = factory.user(role=Role.ADMIN)
    user = create_user("auditme", "lantern river stone", Role.CONSULTANT, factory.store(), actor=admin)
    heir = factory.user()
    db.session.commit()
    client.post("/login", data={"username": "auditme", "password": "lantern river stone"})
    client.application.test_client().post(
        "/login", data={"username": "auditme", "password": "wrong password"}
    )
    deactivate_user(user, heir, actor=admin)
    db.session.commit()
    for action in ("user.create", "auth.login", "auth.login_failed", "user.deactivate"):
        assert audit_count(db, action) == 1, action
    failed = db.session.execute(select(AuditLog).where(AuditLog.action == "auth.login_failed")).scalar_one()
    assert failed.detail == {"username": "auditme"} and "wrong password" not in str(failed.detail)
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "user.deactivate")).scalar_one()
    assert row.username == admin.username and row.object_id == str(user.id)


# ---- password policy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short12", "too_short"),
        ("eight888x", None),
        ("a" * 7 + "b", "too_common"),
        ("tulip7kz", None),
        ("x" * 128, "too_common"),
        ("xy" * 64, "too_common"),
        ("qz" + "w" * 126, None),
        ("q" * 129, "too_long"),
        ("password", "too_common"),
        ("Password", "too_common"),
        ("12345678", "too_common"),
        ("woaini1314", "too_common"),
        ("iloveyou", "too_common"),
        ("alllowercasewords", None),
        ("我的密码是一句很长的话", None),
        ("correct horse battery staple", None),
    ],
)
def test_password_policy(password, problem):
    from app.accounts.passwords import password_problem

    assert password_problem(password) == problem


def test_password_equal_to_username_is_refused():
    from app.accounts.passwords import password_problem

    assert password_problem("wangli2026", "WangLi2026") == "same_as_username"


# ---- error pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text403", "text404"),
    [
        ("zh-CN", "您没有权限访问此页面", "页面不存在"),
        ("en", "You do not have access to this page", "Page not found"),
    ],
)
def test_error_pages_in_both_languages(login_as, lang, text403, text404):
    c = login_as(Role.CONSULTANT)
    c.post("/language", data={"locale": "en" if lang == "en" else "zh_CN"})
    forbidden = c.get("/admin/users")
    missing = c.get("/definitely/not/here")
    assert forbidden.status_code == 403 and text403 in forbidden.get_data(as_text=True)
    assert missing.status_code == 404 and text404 in missing.get_data(as_text=True)
    for response in (forbidden, missing):
        assert "Traceback" not in response.get_data(as_text=True)


def test_forced_exception_shows_the_generic_500_page(_tmpdir):
    with other_app(_tmpdir) as application:

        @application.get("/boom")
        @public
        def boom():
            raise RuntimeError("secret internals 42")

        @application.get("/teapot")
        @public
        def teapot():
            abort(418)

        response = application.test_client().get("/boom")
        html = response.get_data(as_text=True)
        assert response.status_code == 500 and "出错了" in html
        assert "Traceback" not in html and "secret internals" not in html and "RuntimeError" not in html
        assert application.test_client().get("/teapot").status_code == 418
        assert not application.debug


def test_forwarded_for_is_ignored_without_trusted_proxies(client, factory, db):
    user = factory.user()
    db.session.commit()
    client.post(
        "/login",
        data={"username": user.username, "password": TEST_PASSWORD},
        headers={"X-Forwarded-For": "6.6.6.6"},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "auth.login")).scalar_one()
    assert row.ip == "10.1.1.1"


def test_forwarded_for_is_used_behind_a_trusted_proxy(_tmpdir, factory, db):
    user = factory.user()
    db.session.commit()
    with other_app(_tmpdir, TRUSTED_PROXIES=1) as application:
        application.test_client().post(
            "/login",
            data={"username": user.username, "password": TEST_PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.7"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "auth.login")).scalar_one()
    assert row.ip == "203.0.113.7"


def test_expired_htmx_session_returns_to_the_current_page(client):
    response = client.get(
        "/admin/users", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/admin/users?q=li"}
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/admin/users?q%3Dli"
