"""Every hand-off keeps an open lead in the loop: an owner and an open next plan, or the pool.

Walk-ins at the showroom and at the event door get the receiving consultant (or the store's rule)
as owner, a first-contact deadline and a next plan at the grade's cadence; after-event tasks always
have an assignee; and `open_leads_without_owner_or_plan()` stays empty after each flow.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import LeaveWindow
from app.accounts.services import deactivate_user
from app.admin.reference import channel_by_code, grade_by_code, stage_by_code
from app.core.timeutil import to_local, utcnow
from app.dcc.services import create_inbound_lead
from app.extensions import db
from app.followups.assignment import reassign, reopen_defeated
from app.followups.defeats import decide_defeat, request_defeat
from app.followups.jobs import report_loop_gaps
from app.followups.models import Notification, Plan, PlanKind, PlanStatus
from app.followups.plans import open_plan
from app.followups.queries import open_leads_without_owner_or_plan
from app.invitations.jobs import create_post_event_tasks
from app.invitations.models import Invitation
from app.leads.merge import MERGE_FIELDS, merge_leads
from app.leads.models import Lead
from app.leads.services import LeadInput
from tests.helpers_intake import bearer, csv_bytes, lead_row, make_api_key, run_import
from tests.helpers_invite import make_event, make_invitation
from tests.helpers_leads import entry_form


@pytest.fixture
def shop(factory):
    store = factory.store("BJ01")
    c1 = factory.user("consultant", store, display_name="王丽")
    c2 = factory.user("consultant", store, display_name="张强")
    manager = factory.user("manager", store, display_name="刘经理")
    clerk = factory.user("clerk", store, display_name="李娜")
    db.session.commit()
    return {"store": store, "c1": c1, "c2": c2, "manager": manager, "clerk": clerk}


def _owned(factory, owner, **kw) -> Lead:
    """A lead already in the loop: an owner and an open follow-up plan."""
    lead = factory.lead(owner=owner, **kw)
    open_plan(lead, utcnow().date() + timedelta(days=3), "回访", assignee_id=owner.id if owner else None)
    return lead


def _open_plans(lead_id: int) -> list[Plan]:
    return list(
        db.session.execute(
            select(Plan).where(Plan.lead_id == lead_id, Plan.status == PlanStatus.OPEN).order_by(Plan.id)
        ).scalars()
    )


def _in_loop(lead: Lead, owner_id: int) -> None:
    db.session.refresh(lead)
    assert lead.owner_id == owner_id
    assert lead.first_contact_due_at is not None
    kinds = {p.kind: p for p in _open_plans(lead.id)}
    assert PlanKind.FIRST_CONTACT in kinds and PlanKind.FOLLOW_UP in kinds
    assert all(p.assignee_id == owner_id for p in kinds.values())
    assert open_leads_without_owner_or_plan() == []


def test_the_invariant_finds_an_owned_lead_without_plan_and_a_deactivated_owner(factory, shop):
    pool = factory.lead(store=shop["store"])  # the pool: no owner by design
    bare = factory.lead(owner=shop["c1"])
    planned = _owned(factory, shop["c2"])
    factory.lead(owner=shop["c1"], stage="won")
    shop["c2"].active = False
    db.session.flush()
    assert open_leads_without_owner_or_plan() == [(bare.id, "no_plan"), (planned.id, "inactive_owner")]
    assert pool.id not in dict(open_leads_without_owner_or_plan())
    assert report_loop_gaps(utcnow()) == {"no_plan": 1, "inactive_owner": 1}


# ---- walk-ins -----------------------------------------------------------------------------------


def _reception_form(shop, consultant, **kw):
    data = {
        "arrived_at": to_local(utcnow(), shop["store"].timezone).strftime("%H:%M"),
        "party_size": "1",
        "consultant_id": str(consultant.id),
        "first_visit": "yes",
        "left_contact": "yes",
        "gender": "female",
        "model_id": "0",
        "grade": "H",
        "name": "赵六",
        "phone": "139-1111-2222",
    }
    data.update(kw)
    return data


def test_reception_walk_in_gets_the_receiving_consultant_a_deadline_and_a_cadence_plan(login, shop):
    response = login(shop["clerk"]).post("/showroom/reception", data=_reception_form(shop, shop["c2"]))
    assert response.status_code == 303
    lead = db.session.execute(select(Lead).where(Lead.phone == "+8613911112222")).scalar_one()
    _in_loop(lead, shop["c2"].id)
    follow_up = next(p for p in _open_plans(lead.id) if p.kind == PlanKind.FOLLOW_UP)
    assert (follow_up.due_date - to_local(utcnow(), shop["store"].timezone).date()).days == 3  # H cadence


def test_reception_walk_in_of_a_pool_customer_gives_them_to_the_consultant(login, factory, shop):
    lead = factory.lead(store=shop["store"], phone="+8613911112222")
    db.session.commit()
    login(shop["clerk"]).post("/showroom/reception", data=_reception_form(shop, shop["c1"]))
    _in_loop(lead, shop["c1"].id)


def test_reception_walk_in_of_someone_elses_customer_keeps_the_owner(login, factory, shop):
    lead = _owned(factory, shop["c1"], phone="+8613911112222")
    db.session.commit()
    login(shop["clerk"]).post("/showroom/reception", data=_reception_form(shop, shop["c2"]))
    db.session.refresh(lead)
    assert lead.owner_id == shop["c1"].id
    assert open_leads_without_owner_or_plan() == []


@pytest.fixture
def event(shop):
    ev = make_event(shop["store"], starts_in=timedelta(hours=-1))
    db.session.commit()
    return ev


def _door_walk_in(client, event, **kw):
    data = {"name": "赵女士", "phone": "13800138000", "gender": "female", "headcount": "1"}
    data.update(kw)
    return client.htmx("post", f"/checkin/{event.id}/walk-in", data=data)


def test_door_walk_in_gets_the_consultant_the_clerk_picked(login, shop, event):
    assert 'name="consultant_id"' in login(shop["clerk"]).get(f"/checkin/{event.id}").get_data(as_text=True)
    response = _door_walk_in(login(shop["clerk"]), event, consultant_id=str(shop["c2"].id))
    assert response.status_code == 200
    lead = db.session.execute(select(Lead).where(Lead.phone == "+8613800138000")).scalar_one()
    _in_loop(lead, shop["c2"].id)
    assert (
        db.session.execute(select(Notification.kind).where(Notification.user_id == shop["c2"].id))
        .scalars()
        .all()
        .count("assignment")
        == 1
    )


def test_door_walk_in_without_a_pick_follows_the_store_rule_skipping_leave(login, shop, event):
    today = to_local(utcnow(), shop["store"].timezone).date()
    db.session.add(LeaveWindow(user_id=shop["c1"].id, starts_on=today, ends_on=today))
    db.session.commit()
    _door_walk_in(login(shop["clerk"]), event)
    lead = db.session.execute(select(Lead).where(Lead.phone == "+8613800138000")).scalar_one()
    _in_loop(lead, shop["c2"].id)


def test_door_walk_in_refuses_a_consultant_of_another_store(login, factory, shop, event):
    stranger = factory.user("consultant", factory.store("SH01"))
    db.session.commit()
    response = _door_walk_in(login(shop["clerk"]), event, consultant_id=str(stranger.id))
    assert response.status_code == 422
    assert db.session.execute(select(Lead)).first() is None


def test_door_walk_in_of_an_owned_customer_keeps_the_owner(login, factory, shop, event):
    lead = _owned(factory, shop["c1"], phone="+8613800138000")
    db.session.commit()
    _door_walk_in(login(shop["clerk"]), event, consultant_id=str(shop["c2"].id))
    db.session.refresh(lead)
    assert lead.owner_id == shop["c1"].id


# ---- after-event tasks --------------------------------------------------------------------------


def test_after_event_tasks_fall_back_to_the_inviter_then_a_store_manager(factory, shop):
    past = make_event(shop["store"], starts_in=timedelta(hours=-5), hours=2)
    came = factory.lead(store=shop["store"])
    missed = factory.lead(store=shop["store"])
    invited = factory.lead(store=shop["store"])
    make_invitation(past, came, inviter=None, checked_in_at=utcnow() - timedelta(hours=4))
    make_invitation(past, missed, inviter=None)
    make_invitation(past, invited, inviter=shop["c1"])
    db.session.commit()
    assert create_post_event_tasks(utcnow()) == {"plans": 3}
    assignees = {p.lead_id: p.assignee_id for p in db.session.execute(select(Plan)).scalars()}
    assert assignees == {
        came.id: shop["manager"].id,
        missed.id: shop["manager"].id,
        invited.id: shop["c1"].id,
    }


# ---- the invariant after every flow -------------------------------------------------------------


def test_invariant_after_entry_form_api_intake_and_import(login, factory, shop):
    client = login(shop["c1"])
    assert client.post("/leads/new", data=entry_form()).status_code in (302, 303)
    assert open_leads_without_owner_or_plan() == []
    _key, raw = make_api_key(db, shop["store"])
    response = client.post(
        "/api/v1/leads",
        json={"name": "李雷", "phone": "13900001111", "gender": "male", "marketing_consent": False},
        headers=bearer(raw),
    )
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    assert open_leads_without_owner_or_plan() == []
    run_import(login(shop["manager"]), csv_bytes([lead_row(phone="13700001111")]))
    assert (
        db.session.execute(select(Lead).where(Lead.phone == "+8613700001111")).scalar_one().owner_id is None
    )
    assert open_leads_without_owner_or_plan() == []


def test_invariant_after_dcc_create_merge_reclaim_defeat_and_deactivation(factory, shop):
    dcc = factory.user("dcc", shop["store"])
    data = LeadInput(
        name="来电",
        phone="13600001111",
        gender="male",
        source_channel_id=channel_by_code("hotline").id
        if _has_channel("hotline")
        else channel_by_code("walk_in").id,
        model_id=None,
        grade_id=grade_by_code("B").id,
        expected_purchase_date=None,
    )
    create_inbound_lead(data, dcc)
    assert open_leads_without_owner_or_plan() == []

    a = _owned(factory, shop["c1"])
    b = _owned(factory, shop["c2"])
    merge_leads([a, b], a.id, {f: a.id for f in MERGE_FIELDS}, actor=shop["manager"])
    assert open_leads_without_owner_or_plan() == []

    reclaimed = _owned(factory, shop["c1"])
    reassign(reclaimed, shop["c2"], shop["manager"], kind="reclaim", reason="30天无有效跟进")
    assert open_leads_without_owner_or_plan() == []

    lost = _owned(factory, shop["c1"])
    from app.admin.reference import defeat_reasons

    req = request_defeat(lost, defeat_reasons()[0].id, "买了别家", shop["c1"])
    decide_defeat(req, True, "同意", shop["manager"])
    db.session.refresh(lost)
    assert lost.stage_id == stage_by_code("lost").id
    reopen_defeated(lost, shop["c2"], shop["manager"], "再试一次")
    assert open_leads_without_owner_or_plan() == []

    _owned(factory, shop["c1"])
    deactivate_user(shop["c1"], shop["c2"], actor=shop["manager"])
    db.session.flush()
    assert open_leads_without_owner_or_plan() == []


def _has_channel(code: str) -> bool:
    try:
        channel_by_code(code)
    except Exception:  # noqa: BLE001 - an unknown code raises the reference lookup's error
        return False
    return True


def test_the_door_walk_in_invitation_gets_an_after_event_task_for_its_new_owner(login, shop):
    past = make_event(shop["store"], starts_in=timedelta(minutes=-30), hours=1)
    db.session.commit()
    _door_walk_in(login(shop["clerk"]), past, consultant_id=str(shop["c1"].id))
    invitation = db.session.execute(select(Invitation)).scalar_one()
    past.ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert create_post_event_tasks(utcnow()) == {"plans": 1}
    plan = db.session.execute(select(Plan).where(Plan.kind == PlanKind.POST_EVENT)).scalar_one()
    assert plan.lead_id == invitation.lead_id and plan.assignee_id == shop["c1"].id


def test_a_closed_customer_at_the_door_is_not_given_plans(login, factory, shop, event):
    lead = factory.lead(store=shop["store"], phone="+8613800138000", stage="lost")
    db.session.commit()
    _door_walk_in(login(shop["clerk"]), event, consultant_id=str(shop["c1"].id))
    db.session.refresh(lead)
    assert lead.owner_id is None and _open_plans(lead.id) == []
