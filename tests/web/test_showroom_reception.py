"""Showroom reception: walk-ins with and without contact info, departure, duty list, access."""

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import DutyRoster
from app.admin.reference import channel_by_code, stage_by_code
from app.core.timeutil import to_local, utcnow
from app.leads.models import Lead, LeadTouch
from app.showroom.models import ShowroomVisit


@pytest.fixture
def setup(factory, db):
    store = factory.store("BJ01")
    other = factory.store("SH01")
    c1 = factory.user("consultant", store, display_name="王丽")
    c2 = factory.user("consultant", store, display_name="张强")
    clerk = factory.user("clerk", store)
    db.session.commit()
    return {"store": store, "other": other, "c1": c1, "c2": c2, "clerk": clerk}


def _now_hm(store):
    return to_local(utcnow(), store.timezone).strftime("%H:%M")


def _form(setup, **kw):
    data = {
        "arrived_at": _now_hm(setup["store"]),
        "party_size": "2",
        "consultant_id": str(setup["c1"].id),
        "first_visit": "yes",
        "left_contact": "no",
        "gender": "unknown",
        "model_id": "0",
        "grade": "B",
    }
    data.update(kw)
    return data


def _count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_clerk_sees_reception_with_on_duty_fallback_and_phone_check(login, setup):
    page = login(setup["clerk"]).get("/showroom/reception")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "王丽" in html and "张强" in html
    assert 'data-hx-post="/leads/check-phone"' in html
    assert re.search(r'name="arrived_at"[^>]*value="\d\d:\d\d"', html)


def test_walk_in_without_contact_is_counted_but_creates_no_lead(login, setup, db):
    response = login(setup["clerk"]).post("/showroom/reception", data=_form(setup))
    assert response.status_code == 303 and response.headers["Location"] == "/showroom/reception"
    visit = db.session.execute(select(ShowroomVisit)).scalar_one()
    assert visit.lead_id is None and not visit.left_contact and visit.party_size == 2
    assert visit.consultant_id == setup["c1"].id and visit.registered_by_id == setup["clerk"].id
    assert _count(db, Lead) == 0


def test_walk_in_with_contact_creates_lead_owned_by_consultant_at_visited(login, setup, db):
    data = _form(setup, left_contact="yes", phone="139-1111-2222", name="赵六", gender="female", grade="H")
    assert login(setup["clerk"]).post("/showroom/reception", data=data).status_code == 303
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.owner_id == setup["c1"].id and lead.store_id == setup["store"].id
    assert lead.source_channel_id == channel_by_code("walk_in").id
    assert lead.stage_id == stage_by_code("visited").id and lead.arrived_at is not None
    assert lead.expected_purchase_date is not None
    visit = db.session.execute(select(ShowroomVisit)).scalar_one()
    assert visit.lead_id == lead.id and visit.left_contact


def test_walk_in_with_known_phone_links_existing_lead_and_records_touch(login, setup, db, factory):
    old = factory.lead(owner=setup["c2"], phone="+8613911112222", channel="website")
    db.session.commit()
    data = _form(setup, left_contact="yes", phone="13911112222", name="赵六", first_visit="no")
    assert login(setup["clerk"]).post("/showroom/reception", data=data).status_code == 303
    assert _count(db, Lead) == 1
    db.session.expire_all()
    lead = db.session.get(Lead, old.id)
    assert lead.owner_id == setup["c2"].id  # the existing owner keeps the customer
    assert lead.stage_id == stage_by_code("visited").id
    touch = db.session.execute(select(LeadTouch).where(LeadTouch.lead_id == old.id)).scalar_one()
    assert touch.source_channel_id == channel_by_code("walk_in").id
    assert db.session.execute(select(ShowroomVisit.lead_id)).scalar() == old.id


def test_contact_left_needs_valid_phone_and_name(login, setup, db):
    data = _form(setup, left_contact="yes", phone="123", name="")
    response = login(setup["clerk"]).post("/showroom/reception", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="phone-error"' in html and 'id="name-error"' in html
    assert _count(db, ShowroomVisit) == 0


def test_consultant_must_be_from_the_offered_list(login, setup, db, factory):
    stranger = factory.user("consultant", setup["other"])
    db.session.commit()
    response = login(setup["clerk"]).post(
        "/showroom/reception", data=_form(setup, consultant_id=str(stranger.id))
    )
    assert response.status_code == 422 and _count(db, ShowroomVisit) == 0


def test_duty_list_limits_the_consultants_offered(login, setup, db):
    client = login(setup["clerk"])
    response = client.post("/showroom/reception/duty", data={"on_duty": [str(setup["c2"].id)]})
    assert response.status_code == 303 and response.headers["Location"] == "/showroom/reception"
    assert db.session.execute(select(DutyRoster.user_id)).scalars().all() == [setup["c2"].id]
    html = client.get("/showroom/reception").get_data(as_text=True)
    form_part = html.split('id="walkin-form"')[1].split("</form>")[0]
    assert "张强" in form_part and "王丽" not in form_part
    assert client.post("/showroom/reception", data=_form(setup)).status_code == 422  # c1 is off duty


def test_departure_and_retention_rate(login, setup, db):
    client = login(setup["clerk"])
    client.post("/showroom/reception", data=_form(setup, left_contact="yes", phone="13911112222", name="甲"))
    client.post("/showroom/reception", data=_form(setup))
    client.post("/showroom/reception", data=_form(setup, first_visit="no"))
    visit_id = db.session.execute(select(ShowroomVisit.id).order_by(ShowroomVisit.id)).scalars().first()
    response = client.htmx("post", f"/showroom/visits/{visit_id}/depart")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<dd data-stat="retention">50.0%</dd>' in html and '<dd data-stat="visits">3</dd>' in html
    assert "<html" not in html
    db.session.expire_all()
    assert db.session.get(ShowroomVisit, visit_id).left_at is not None


def test_traffic_fragment_for_htmx(login, setup):
    response = login(setup["clerk"]).htmx("get", "/showroom/reception/traffic")
    assert response.status_code == 200 and 'data-stat="retention">—' in response.get_data(as_text=True)


def test_other_store_visit_is_404(login, setup, db, factory):
    other_clerk = factory.user("clerk", setup["other"])
    db.session.commit()
    login(setup["clerk"]).post("/showroom/reception", data=_form(setup))
    visit_id = db.session.execute(select(ShowroomVisit.id)).scalar()
    assert login(other_clerk).post(f"/showroom/visits/{visit_id}/depart").status_code == 404


@pytest.mark.parametrize("role", ["consultant", "dcc", "admin"])
def test_other_roles_are_forbidden(login_as, setup, role):
    client = login_as(role, setup["store"] if role != "admin" else None)
    assert client.get("/showroom/reception").status_code == 403
    assert client.post("/showroom/reception", data={}).status_code == 403


@pytest.mark.parametrize("role", ["manager", "marketing"])
def test_manager_and_marketing_may_use_reception(login_as, setup, role):
    assert login_as(role, setup["store"]).get("/showroom/reception").status_code == 200


def test_anonymous_is_sent_to_login(client):
    response = client.get("/showroom/reception")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_traffic_query_count_is_constant(login, setup, db, factory, count_queries):
    client = login(setup["clerk"])
    client.post("/showroom/reception", data=_form(setup, left_contact="yes", phone="13911110000", name="甲"))
    with count_queries() as one:
        client.htmx("get", "/showroom/reception/traffic")
    for i in range(1, 50):
        client.post(
            "/showroom/reception", data=_form(setup, left_contact="yes", phone=f"139111{i:05d}", name="乙")
        )
    with count_queries() as many:
        client.htmx("get", "/showroom/reception/traffic")
    assert one.count == many.count


def test_the_reception_reads_the_consultants_and_the_roster_once(login, setup, db, count_queries):
    """The walk-in form and the duty list show the same consultants: one read each per page."""
    client = login(setup["clerk"])
    client.post("/showroom/reception/duty", data={"on_duty": [str(setup["c2"].id)]})
    client.get("/showroom/reception")
    with count_queries() as counter:
        html = client.get("/showroom/reception").get_data(as_text=True)
    consultants = [s for s in counter.statements if re.search(r"\bFROM users\b", s) and "users.role =" in s]
    roster = [s for s in counter.statements if re.search(r"\bFROM duty_roster\b", s)]
    assert (len(consultants), len(roster)) == (1, 1)
    form = html[html.index('name="consultant_id"') :].split("</select>")[0]
    assert "张强" in form and "王丽" not in form  # only the one on duty is offered
    assert "王丽" in html  # and the duty list still shows every consultant
