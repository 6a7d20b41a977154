"""Reclaim never offers the current owner; merge keeps the second number (found by search and the
duplicate check); managers mark fleet (批售) customers, who are never merged."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.assignment import reassign
from app.leads.merge import MERGE_FIELDS, merge_leads
from app.leads.models import Lead
from app.leads.rules import second_phone
from app.leads.services import LeadInput, create_lead, find_by_phone
from tests.helpers_leads import entry_form

# ---- reclaim ------------------------------------------------------------------------------------


def test_reclaim_does_not_offer_the_current_owner(factory, login):
    store = factory.store()
    manager = factory.user("manager", store)
    owner = factory.user("consultant", store, display_name="老顾问")
    other = factory.user("consultant", store, display_name="新顾问")
    lead = factory.lead(
        owner=owner, name="久未跟进", last_effective_followup_at=utcnow() - timedelta(days=40)
    )
    db.session.commit()
    client = login(manager)
    assert "久未跟进" in client.get("/reclaim").get_data(as_text=True)
    html = client.get(f"/reclaim/{lead.id}/reassign").get_data(as_text=True)
    assert f'<option value="{other.id}"' in html and f'<option value="{owner.id}"' not in html
    assert client.post(f"/reclaim/{lead.id}", data={"to_user": str(owner.id)}).status_code == 422
    with pytest.raises(DomainError):
        reassign(lead, owner, manager, kind="reclaim", reason="")


# ---- the second phone ---------------------------------------------------------------------------


def test_second_phone_rule():
    assert second_phone("+1", ["+1", "+2", "+3"]) == "+2"
    assert second_phone("+2", ["+1", "+2"]) == "+1"
    assert second_phone("+1", ["+1"]) is None


@pytest.fixture
def merged(factory):
    store = factory.store()
    consultant = factory.user("consultant", store)
    manager = factory.user("manager", store)
    a = factory.lead(owner=consultant, name="张三", phone="+8613800138000")
    b = factory.lead(owner=consultant, name="张叁", phone="+8613900139000")
    merge_leads([a, b], a.id, {f: a.id for f in MERGE_FIELDS}, actor=manager)
    db.session.commit()
    return {"store": store, "consultant": consultant, "manager": manager, "survivor": a, "merged": b}


def test_merge_keeps_the_second_number_on_the_survivor(merged):
    survivor = db.session.get(Lead, merged["survivor"].id)
    assert survivor.phone == "+8613800138000" and survivor.secondary_phone == "+8613900139000"
    assert db.session.get(Lead, merged["merged"].id).secondary_phone is None
    assert find_by_phone("+8613900139000").id == survivor.id


def test_the_duplicate_check_finds_the_customer_by_the_second_number(merged, login):
    client = login(merged["consultant"])
    html = client.post("/leads/check-phone", data={"phone": "13900139000"}).get_data(as_text=True)
    assert "张三" in html
    response = client.post("/leads/new", data=entry_form(phone="139 0013 9000"))
    assert response.status_code != 303 or f"/leads/{merged['survivor'].id}" in response.headers.get(
        "Location", ""
    )
    assert db.session.execute(select(Lead).where(Lead.merged_into_id.is_(None))).scalars().all() == [
        db.session.get(Lead, merged["survivor"].id)
    ]
    with pytest.raises(DomainError) as err:
        create_lead(
            LeadInput(
                name="又一个",
                phone="13900139000",
                gender="male",
                source_channel_id=1,
                model_id=None,
                grade_id=1,
                expected_purchase_date=None,
            ),
            store_id=merged["store"].id,
        )
    assert err.value.code == "duplicate" and err.value.details["lead_id"] == merged["survivor"].id


def test_lead_search_finds_the_customer_by_the_second_number(merged, login):
    html = login(merged["manager"]).get("/leads?q=13900139000").get_data(as_text=True)
    assert f"/leads/{merged['survivor'].id}" in html


def test_the_lead_page_shows_the_second_number_masked_to_managers(merged, login):
    html = login(merged["manager"]).get(f"/leads/{merged['survivor'].id}").get_data(as_text=True)
    assert "lead-secondary-phone" in html and "13900139000" not in html.replace(" ", "")


# ---- fleet customers ----------------------------------------------------------------------------


@pytest.fixture
def lead_setup(factory):
    store = factory.store()
    consultant = factory.user("consultant", store)
    manager = factory.user("manager", store)
    lead = factory.lead(owner=consultant, name="车队客户")
    other = factory.lead(owner=consultant, name="普通客户")
    db.session.commit()
    return store, consultant, manager, lead, other


def test_a_manager_marks_and_clears_a_fleet_customer_audited(lead_setup, login):
    store, consultant, manager, lead, other = lead_setup
    client = login(manager)
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert f"/leads/{lead.id}/fleet" in page and "标记为批售客户" in page
    response = client.post(f"/leads/{lead.id}/fleet", data={"fleet": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/leads/{lead.id}")
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).is_fleet
    assert "批售客户" in client.get(f"/leads/{lead.id}").get_data(as_text=True)
    client.post(f"/leads/{lead.id}/fleet", data={"fleet": "0"})
    db.session.expire_all()
    assert not db.session.get(Lead, lead.id).is_fleet
    audits = (
        db.session.execute(
            select(AuditLog.detail).where(AuditLog.action == "lead.fleet").order_by(AuditLog.id)
        )
        .scalars()
        .all()
    )
    assert audits == [{"before": False, "after": True}, {"before": True, "after": False}]


def test_a_consultant_may_not_mark_a_fleet_customer(lead_setup, login):
    store, consultant, manager, lead, other = lead_setup
    client = login(consultant)
    assert f"/leads/{lead.id}/fleet" not in client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert client.post(f"/leads/{lead.id}/fleet", data={"fleet": "1"}).status_code == 403
    db.session.expire_all()
    assert not db.session.get(Lead, lead.id).is_fleet


def test_a_director_may_mark_but_a_manager_of_another_store_may_not(lead_setup, login, factory):
    store, consultant, manager, lead, other = lead_setup
    director = factory.user("director")
    stranger = factory.user("manager", factory.store())
    db.session.commit()
    assert login(stranger).post(f"/leads/{lead.id}/fleet", data={"fleet": "1"}).status_code == 404
    assert login(director).post(f"/leads/{lead.id}/fleet", data={"fleet": "1"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).is_fleet


def test_a_customer_marked_fleet_is_not_merged(lead_setup, login):
    store, consultant, manager, lead, other = lead_setup
    client = login(manager)
    client.post(f"/leads/{lead.id}/fleet", data={"fleet": "1"})
    data = {
        "ids": [str(lead.id), str(other.id)],
        "step": "merge",
        "survivor": str(other.id),
        **{f"f_{n}": str(other.id) for n in ("name", "phone", "owner")},
    }
    response = client.post("/leads/merge", data=data)
    assert response.status_code == 422 and "批售客户和已有订单的客户不能合并" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).merged_into_id is None
