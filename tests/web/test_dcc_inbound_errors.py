"""DCC inbound call screen: the lookup and the new-caller form answered over htmx, their errors,
the live duplicate check, and noting a call only on a customer of the agent's own store."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.admin.reference import grade_by_code, vehicle_models
from app.core.timeutil import local_today, utcnow
from app.followups.models import Notification
from app.leads.models import Lead, LeadTouch


def _new_caller(phone="13912345678", **kw):
    data = {
        "phone": phone,
        "name": "来电客户",
        "gender": "male",
        "channel": "hotline_400",
        "model_id": str(vehicle_models()[0].id),
        "grade_id": str(grade_by_code("A").id),
        "expected_purchase_date": (local_today(utcnow()) + timedelta(days=20)).isoformat(),
    }
    data.update(kw)
    return data


def _errors(response) -> list[str]:
    return re.findall(r'<p class="error" id="[^"]+-error">([^<]*)</p>', response.get_data(as_text=True))


@pytest.fixture
def agent_client(factory, db, login):
    store = factory.store()
    agent = factory.user("dcc", store)
    db.session.commit()
    return login(agent)


@pytest.mark.parametrize("phone", ["13912345678", "139 1234 5678", "12345"])
def test_htmx_lookup_of_a_new_caller_answers_the_form(agent_client, phone):
    response = agent_client.htmx("get", f"/dcc/inbound?phone={phone}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="lookup">') and 'id="inbound-form"' in html


def test_new_caller_form_has_a_live_duplicate_check(agent_client):
    html = agent_client.get("/dcc/inbound").get_data(as_text=True)
    phone_input = re.search(
        r'<input[^>]*name="phone"[^>]*id="phone"|<input[^>]*id="phone"[^>]*>', html
    ).group(0)
    assert (
        'data-hx-get="/leads/check-phone' in phone_input or 'data-hx-post="/leads/check-phone' in phone_input
    )
    assert 'hx-target="#inbound-phone-check"' in phone_input and "hx_get" not in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "请输入姓名。"),
        ("phone", "", "请输入电话号码。"),
        ("phone", "123", "这不是有效的手机号码。"),
        ("expected_purchase_date", "", "请输入预购日期。"),
        ("model_id", "", "请选择意向车型。"),
        ("grade_id", "", "请选择意向等级。"),
    ],
)
def test_invalid_new_caller_is_422_with_the_field_error_in_chinese(agent_client, db, field, value, message):
    response = agent_client.htmx("post", "/dcc/inbound", data=_new_caller(**{field: value}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="inbound-form"' in html and f'id="{field}-error">{message}<' in html
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_invalid_new_caller_without_htmx_is_the_whole_page(agent_client):
    response = agent_client.post("/dcc/inbound", data=_new_caller(name=""))
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)
    assert _errors(response) == ["请输入姓名。"]


@pytest.mark.parametrize("role", ["dcc", "manager"])
def test_call_note_on_another_stores_customer_is_404_and_writes_nothing(factory, db, login, role):
    mine, theirs = factory.store(), factory.store()
    user = factory.user(role, mine)
    owner = factory.user("consultant", theirs)
    lead = factory.lead(owner=owner, store=theirs)
    db.session.commit()
    response = login(user).htmx(
        "post", f"/dcc/inbound/{lead.id}/note", data={"channel": "hotline_400", "note": "x"}
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(LeadTouch)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize("role", ["dcc", "manager"])
def test_call_note_on_own_stores_customer_is_recorded(factory, db, login, role):
    store = factory.store()
    user = factory.user(role, store)
    owner = factory.user("consultant", store)
    lead = factory.lead(owner=owner, store=store)
    db.session.commit()
    response = login(user).htmx(
        "post", f"/dcc/inbound/{lead.id}/note", data={"channel": "hotline_400", "note": "x"}
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(LeadTouch)) == 1
    assert db.session.execute(select(Notification.user_id)).scalar_one() == owner.id


def test_director_may_note_a_call_in_any_store(factory, db, login):
    director = factory.user("director", factory.store())
    theirs = factory.store()
    lead = factory.lead(owner=factory.user("consultant", theirs), store=theirs)
    db.session.commit()
    response = login(director).htmx("post", f"/dcc/inbound/{lead.id}/note", data={"channel": "hotline_400"})
    assert response.status_code == 200
