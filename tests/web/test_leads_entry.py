"""The lead entry form: validation, phone spellings, duplicates, repeat purchase, ownership."""

import threading

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.admin.reference import channel_by_code
from app.followups.models import Plan, PlanKind
from app.leads.models import Lead, LeadTouch, TransferRequest
from tests.helpers_leads import entry_form

SPELLINGS = [
    "13800138000",
    "138 0013 8000",
    "138-0013-8000",
    "+86 138 0013 8000",
    "+8613800138000",
    "8613800138000",
    "008613800138000",
    "１３８００１３８０００",
    "(+86) 138-0013-8000",
    "'13800138000",
    "13800138000.0",
    " 13800138000 ",
    "+86-138-0013-8000",
    "86 138 0013 8000",
    "138.0013.8000",
    "０１３８００１３８０００"[1:],
]


def test_entry_form_shows_the_seven_mandatory_fields(login_as):
    html = login_as("consultant").get("/leads/new").get_data(as_text=True)
    for name in ("name", "phone", "gender", "source_channel", "model", "grade", "expected_purchase_date"):
        assert f'name="{name}"' in html
    assert 'data-hx-post="/leads/check-phone"' in html and "delay:300ms" in html


@pytest.mark.parametrize("raw", SPELLINGS)
def test_phone_spellings_are_accepted_and_normalised(login_as, db, raw):
    client = login_as("consultant")
    response = client.post("/leads/new", data=entry_form(phone=raw))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert db.session.scalar(select(Lead.phone)) == "+8613800138000"
    assert response.headers["Location"] == f"/leads/{db.session.scalar(select(Lead.id))}"


@pytest.mark.parametrize("raw", ["12345", "23800138000", "abc", "138001380001"])
def test_invalid_phone_gets_a_clear_message_next_to_the_field(login_as, db, raw):
    response = login_as("consultant").post("/leads/new", data=entry_form(phone=raw))
    assert response.status_code == 422
    assert "请输入有效的手机号码" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_missing_mandatory_fields_are_each_reported(login_as, db):
    data = entry_form(
        name="", phone="", gender="", source_channel="0", model="0", grade="0", expected_purchase_date=""
    )
    response = login_as("consultant").post("/leads/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "请输入客户姓名",
        "请输入客户手机号码",
        "请选择性别",
        "请选择客户来源渠道",
        "请选择意向车型",
        "请选择意向等级",
        "请输入预购日期",
    ):
        assert message in html
    assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_english_errors_for_english_users(login_as):
    client = login_as("consultant", locale="en")
    html = client.post("/leads/new", data=entry_form(phone="12345")).get_data(as_text=True)
    assert "Enter a valid mobile number" in html


def test_optional_fields_unknown_age_and_budget_order(login_as, db):
    client = login_as("consultant")
    bad = client.post("/leads/new", data=entry_form(budget_min="200000", budget_max="100000"))
    assert bad.status_code == 422 and "最高预算低于最低预算" in bad.get_data(as_text=True)
    ok = client.post(
        "/leads/new",
        data=entry_form(
            email="zw@example.com",
            region="朝阳",
            budget_min="100000",
            budget_max="200000",
            decision_role="spouse",
            notes="周末来",
            marketing_consent="y",
        ),
    )
    assert ok.status_code == 303
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.age is None and lead.birthday is None
    assert lead.marketing_consent and lead.consent_source == "staff" and lead.consent_at is not None


def test_consultant_owns_the_lead_and_gets_a_first_contact_plan(login_as, db):
    client = login_as("consultant")
    response = client.post("/leads/new", data=entry_form())
    lead = db.session.execute(select(Lead)).scalar_one()
    assert response.headers["Location"].endswith(f"/leads/{lead.id}")
    assert lead.owner_id == client.user.id
    assert lead.first_contact_due_at is not None and lead.next_plan_due is not None
    plan = db.session.execute(select(Plan)).scalar_one()
    assert plan.kind == PlanKind.FIRST_CONTACT and plan.assignee_id == client.user.id


@pytest.mark.parametrize("role", ["clerk", "marketing", "dcc"])
def test_staff_leads_go_to_the_store_pool(login_as, db, role):
    client = login_as(role)
    assert client.post("/leads/new", data=entry_form()).status_code == 303
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.owner_id is None and lead.store_id == client.user.store_id
    assert lead.next_plan_due is None and lead.first_contact_due_at is None


def test_clerk_may_choose_the_consultant(login_as, factory, db):
    client = login_as("clerk")
    consultant = factory.user("consultant", store=db.session.get(type(client.user), client.user.id).store)
    db.session.commit()
    assert client.post("/leads/new", data=entry_form(owner=str(consultant.id))).status_code == 303
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.owner_id == consultant.id and lead.first_contact_due_at is not None


def test_admin_cannot_enter_leads(login_as):
    assert login_as("admin").get("/leads/new").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/leads/new")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("channel", ["website", "event", "hotline_400", "referral"])
def test_duplicate_phone_is_refused_across_channels(login_as, factory, db, channel):
    other = factory.user("consultant", display_name="王丽")
    existing = factory.lead(owner=other, phone="+8613800138000", channel="walk_in")
    db.session.commit()
    client = login_as("consultant")
    response = client.post(
        "/leads/new",
        data=entry_form(phone="+86 138-0013-8000", source_channel=str(channel_by_code(channel).id)),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    # Only the masked number the user typed, and a transfer button: no owner, no store.
    assert "王丽" not in html and "138****8000" in html and "?phone=" not in html
    assert f'formaction="/leads/{existing.id}/transfer"' in html
    assert db.session.scalar(select(func.count(Lead.id))) == 1


def test_duplicate_visible_to_the_user_links_to_the_lead(login_as, factory, db):
    client = login_as("consultant")
    lead = factory.lead(owner=client.user, phone="+8613800138000")
    db.session.commit()
    html = client.post("/leads/new", data=entry_form()).get_data(as_text=True)
    assert f'href="/leads/{lead.id}"' in html


def test_repeat_purchase_records_a_touch_on_the_existing_customer(login_as, factory, db):
    client = login_as("consultant")
    lead = factory.lead(owner=client.user, phone="+8613800138000")
    db.session.commit()
    response = client.post("/leads/new", data=entry_form(source_channel=str(channel_by_code("repeat").id)))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/leads/{lead.id}")
    touch = db.session.execute(select(LeadTouch).where(LeadTouch.lead_id == lead.id)).scalar_one()
    assert touch.is_repeat_purchase
    assert db.session.scalar(select(func.count(Lead.id))) == 1


def test_check_phone_fragment_masks_other_consultants_customer(login_as, factory, db):
    other = factory.user("consultant", display_name="王丽")
    factory.lead(owner=other, phone="+8613800138000", name="李雷")
    db.session.commit()
    client = login_as("consultant")
    html = client.htmx("post", "/leads/check-phone", data={"phone": "138 0013 8000"}).get_data(as_text=True)
    assert "138****8000" in html and "李雷" not in html and "王丽" not in html


def test_transfer_request_needs_the_phone_and_notifies_the_managers(login_as, factory, db):
    from app.followups.models import Notification

    store = factory.store()
    manager = factory.user("manager", store=store)
    other = factory.user("consultant", store=store)
    lead = factory.lead(owner=other, phone="+8613800138000")
    db.session.commit()
    client = login_as("consultant", store=store)
    assert client.get(f"/leads/{lead.id}/transfer?phone=%2B8613800138000").status_code == 405
    assert client.post(f"/leads/{lead.id}/transfer", data={"start": "1"}).status_code == 404
    assert (
        client.post(f"/leads/{lead.id}/transfer", data={"start": "1", "phone": "13900000000"}).status_code
        == 404
    )
    page = client.post(f"/leads/{lead.id}/transfer", data={"start": "1", "phone": "138 0013 8000"})
    assert page.status_code == 200 and other.display_name not in page.get_data(as_text=True)
    empty = client.post(f"/leads/{lead.id}/transfer", data={"phone": "+8613800138000", "reason": ""})
    assert empty.status_code == 422
    response = client.post(
        f"/leads/{lead.id}/transfer", data={"phone": "+8613800138000", "reason": "客户是我朋友"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/leads/new"
    req = db.session.execute(select(TransferRequest)).scalar_one()
    assert req.requested_by_id == client.user.id and req.from_owner_id == other.id and req.status == "pending"
    assert db.session.execute(select(Notification.user_id)).scalars().all() == [manager.id]
    again = client.post(f"/leads/{lead.id}/transfer", data={"phone": "+8613800138000", "reason": "再次"})
    assert again.status_code == 422


@pytest.mark.postgres_only
def test_concurrent_creates_of_one_phone_exactly_one_wins(app, factory, db, login):
    users = [factory.user("consultant") for _ in range(4)]
    db.session.commit()
    clients = [login(u) for u in users]
    results = []
    barrier = threading.Barrier(len(clients))
    form = entry_form()

    def post(c):
        barrier.wait()
        results.append(c.post("/leads/new", data=form).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [303, 422, 422, 422]
    assert db.session.scalar(select(func.count(Lead.id))) == 1


def test_roles_allowed_to_enter_leads(login_as):
    for role in (Role.CONSULTANT, Role.CLERK, Role.DCC, Role.MARKETING, Role.MANAGER):
        assert login_as(role).get("/leads/new").status_code == 200


def test_htmx_entry_answers_with_the_form_fragment_or_a_redirect(login_as, db):
    client = login_as("consultant")
    bad = client.htmx("post", "/leads/new", data=entry_form(phone="12345"))
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<html" not in html and "请输入有效的手机号码" in html
    good = client.htmx("post", "/leads/new", data=entry_form())
    lead = db.session.execute(select(Lead)).scalar_one()
    assert good.status_code == 200 and good.headers["HX-Redirect"] == f"/leads/{lead.id}"


def test_htmx_transfer_errors_render_in_place(login_as, factory, db):
    lead = factory.lead(owner=factory.user("consultant"), phone="+8613800138000")
    db.session.commit()
    response = login_as("consultant").htmx(
        "post", f"/leads/{lead.id}/transfer", data={"phone": "+8613800138000", "reason": ""}
    )
    assert response.status_code == 422 and "请填写转移原因" in response.get_data(as_text=True)


def test_a_create_that_loses_the_race_is_reported_as_a_duplicate(login_as, factory, db, monkeypatch):
    """The pre-check saw no customer, but the insert hits the unique phone: the loser gets the winner's lead."""
    from app.leads import services

    winner = factory.lead(phone="+8613800138000")
    db.session.commit()
    real = services.find_by_phone
    calls = []

    def not_yet_visible(phone):
        calls.append(phone)
        return None if len(calls) == 1 else real(phone)

    monkeypatch.setattr(services, "find_by_phone", not_yet_visible)
    response = login_as("consultant").post("/leads/new", data=entry_form())
    assert response.status_code == 422 and "该客户已存在" in response.get_data(as_text=True)
    assert len(calls) == 2
    assert db.session.scalar(select(func.count(Lead.id))) == 1 and winner.id


def test_dcc_agent_keeps_the_leads_they_enter_in_their_queue(login_as, db):
    client = login_as("dcc")
    assert client.post("/leads/new", data=entry_form()).status_code == 303
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.dcc_agent_id == client.user.id and lead.owner_id is None
    assert client.get(f"/leads/{lead.id}").status_code == 200


def test_director_enters_a_lead_for_a_chosen_store(login_as, factory, db):
    store = factory.store()
    db.session.commit()
    client = login_as("director")
    assert client.post("/leads/new", data=entry_form(store=str(store.id))).status_code == 303
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.store_id == store.id and lead.owner_id is None
