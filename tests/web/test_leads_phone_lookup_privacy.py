"""Duplicate lookups by phone: POST only (the number stays out of addresses and logs), throttled
per user, and naming the owner and store only when the customer is in the user's scope."""

import pytest

from tests.factories import TEST_PASSWORD
from tests.helpers_platform import other_app

PHONE = "13800138000"


@pytest.fixture
def two_stores(factory, db):
    mine, theirs = factory.store(name="东城店"), factory.store(name="西城店")
    owner = factory.user("consultant", store=mine, display_name="王丽")
    far_owner = factory.user("consultant", store=theirs, display_name="赵敏")
    colleague_lead = factory.lead(owner=owner, phone="+8613800138000", name="李雷")
    far_lead = factory.lead(owner=far_owner, phone="+8613900139000", name="韩梅")
    db.session.commit()
    return {"mine": mine, "theirs": theirs, "colleague_lead": colleague_lead, "far_lead": far_lead}


def _check(client, phone):
    response = client.htmx("post", "/leads/check-phone", data={"phone": phone})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_check_phone_refuses_get(login_as):
    assert login_as("consultant").get(f"/leads/check-phone?phone={PHONE}").status_code == 405


def test_out_of_scope_duplicates_name_nobody(login_as, two_stores):
    consultant = login_as("consultant", store=two_stores["mine"])
    for phone in (PHONE, "13900139000"):
        html = _check(consultant, phone)
        assert 'data-phone-status="other"' in html
        for secret in ("王丽", "赵敏", "东城店", "西城店", "李雷", "韩梅"):
            assert secret not in html
        assert "已由同事跟进" in html
    manager = login_as("manager", store=two_stores["mine"])
    assert "西城店" not in _check(manager, "13900139000") and "赵敏" not in _check(manager, "13900139000")


def test_in_scope_duplicates_show_owner_and_store(login_as, two_stores):
    manager = login_as("manager", store=two_stores["mine"])
    html = _check(manager, PHONE)
    assert 'data-phone-status="visible"' in html and "王丽" in html and "东城店" in html
    director = login_as("director")
    html = _check(director, "13900139000")
    assert "赵敏" in html and "西城店" in html


def test_dcc_lookup_is_post_and_scoped(login_as, two_stores):
    agent = login_as("dcc", store=two_stores["mine"])
    assert agent.get(f"/dcc/inbound?phone={PHONE}").get_data(as_text=True).count("data-phone-status") == 0
    html = agent.post("/dcc/inbound/lookup", data={"phone": PHONE}).get_data(as_text=True)
    assert (
        'data-phone-status="other"' in html
        and "王丽" not in html
        and "东城店" not in html[html.index("lookup") :]
    )
    assert 'method="post" action="/dcc/inbound/lookup"' in html


def test_lookups_need_the_csrf_token(_tmpdir, factory, db):
    with other_app(_tmpdir, WTF_CSRF_ENABLED=True) as application:
        user = factory.user("dcc")
        db.session.commit()
        c = application.test_client()
        login_page = c.get("/login").get_data(as_text=True)
        token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        assert (
            c.post(
                "/login", data={"csrf_token": token, "username": user.username, "password": TEST_PASSWORD}
            ).status_code
            == 303
        )
        assert c.post("/leads/check-phone", data={"phone": PHONE}).status_code == 400
        assert c.post("/dcc/inbound/lookup", data={"phone": PHONE}).status_code == 400


def test_lookups_are_throttled_per_user(_tmpdir, factory, db):
    with other_app(_tmpdir, RATELIMIT_ENABLED=True, PHONE_CHECK_RATE_LIMIT="3 per minute") as application:
        first, second = factory.user("dcc"), factory.user("dcc")
        db.session.commit()
        clients = []
        for user in (first, second):
            c = application.test_client()
            assert (
                c.post("/login", data={"username": user.username, "password": TEST_PASSWORD}).status_code
                == 303
            )
            clients.append(c)
        a, b = clients
        answers = [a.post("/leads/check-phone", data={"phone": PHONE}).status_code for _ in range(2)]
        answers.append(a.post("/dcc/inbound/lookup", data={"phone": PHONE}).status_code)
        assert answers == [200, 200, 200]
        blocked = a.post("/leads/check-phone", data={"phone": PHONE}, headers={"HX-Request": "true"})
        assert blocked.status_code == 429 and "尝试次数过多" in blocked.get_data(as_text=True)
        assert a.post("/dcc/inbound/lookup", data={"phone": PHONE}).status_code == 429
        assert b.post("/leads/check-phone", data={"phone": PHONE}).status_code == 200


@pytest.mark.parametrize("url", ["/leads/new", "/showroom/reception"])
def test_live_checks_post_the_number(login_as, url):
    html = login_as("manager").get(url).get_data(as_text=True)
    assert 'data-hx-post="/leads/check-phone"' in html and 'hx-get="/leads/check-phone"' not in html


def test_dcc_lookup_fragment_renders_for_htmx(login_as):
    agent = login_as("dcc")
    response = agent.htmx("post", "/dcc/inbound/lookup", data={"phone": "13912345678"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'data-phone-status="new"' in html and 'id="inbound-form"' in html


def test_the_door_check_offers_no_transfer_button(login_as, two_stores):
    """At the event door the walk-in form is queued by checkin.js: no second submit button in it."""
    consultant = login_as("consultant", store=two_stores["mine"])
    door = consultant.htmx("post", "/leads/check-phone", data={"phone": PHONE, "context": "door"})
    entry = consultant.htmx("post", "/leads/check-phone", data={"phone": PHONE})
    assert 'data-phone-status="other"' in door.get_data(as_text=True)
    assert "formaction" not in door.get_data(as_text=True) and "formaction" in entry.get_data(as_text=True)
