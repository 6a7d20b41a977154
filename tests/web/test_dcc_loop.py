"""DCC: inbound lookup and creation, outbound outcomes, appointment hand-off, figures."""

from datetime import timedelta

from sqlalchemy import select

from app.admin.reference import channel_by_code, grade_by_code, vehicle_models
from app.core.timeutil import local_today, utcnow
from app.followups.models import FollowUp, Notification, Plan, PlanKind, PlanStatus
from app.followups.plans import open_plan
from app.leads.models import Lead, LeadTouch, OwnerChange


def _today():
    return local_today(utcnow())


def _new_caller(phone="13912345678", **kw):
    data = {
        "phone": phone,
        "name": "来电客户",
        "gender": "male",
        "channel": "hotline_400",
        "model_id": str(vehicle_models()[0].id),
        "grade_id": str(grade_by_code("A").id),
        "expected_purchase_date": (_today() + timedelta(days=20)).isoformat(),
    }
    data.update(kw)
    return data


def test_inbound_creates_a_customer_held_by_the_agent(factory, db, login):
    store = factory.store()
    agent = factory.user("dcc", store)
    db.session.commit()
    client = login(agent)
    html = client.post("/dcc/inbound/lookup", data={"phone": "139 1234 5678"}).get_data(as_text=True)
    assert 'data-phone-status="new"' in html and 'id="inbound-form"' in html
    response = client.htmx("post", "/dcc/inbound", data=_new_caller())
    assert response.status_code == 200
    lead = db.session.execute(select(Lead)).scalar_one()
    assert response.headers["HX-Redirect"] == f"/leads/{lead.id}/followups/new"
    assert lead.dcc_agent_id == agent.id and lead.source_channel_id == channel_by_code("hotline_400").id
    plan = db.session.execute(select(Plan)).scalar_one()
    assert plan.kind == PlanKind.DCC_CALL and lead.next_plan_due == _today() + timedelta(days=7)
    assert 'data-phone-status="visible"' in client.post(
        "/dcc/inbound/lookup", data={"phone": "13912345678"}
    ).get_data(as_text=True)


def test_inbound_existing_customer_of_a_consultant_is_noted_for_them(factory, db, login):
    store = factory.store()
    agent = factory.user("dcc", store)
    owner = factory.user("consultant", store)
    lead = factory.lead(owner=owner, phone="+8613900001111")
    db.session.commit()
    client = login(agent)
    html = client.post("/dcc/inbound/lookup", data={"phone": "13900001111"}).get_data(as_text=True)
    assert 'data-phone-status="other"' in html and lead.name not in html and owner.display_name not in html
    assert client.htmx("post", "/dcc/inbound", data=_new_caller("13900001111")).status_code == 409
    response = client.htmx(
        "post", f"/dcc/inbound/{lead.id}/note", data={"channel": "showroom_call", "note": "问价格"}
    )
    assert response.status_code == 200
    assert (
        db.session.execute(select(LeadTouch.source_channel_id)).scalar_one()
        == channel_by_code("showroom_call").id
    )
    assert db.session.execute(select(Notification.user_id)).scalar_one() == owner.id


def test_outbound_outcomes_and_appointment_handoff(factory, db, login):
    store = factory.store()
    agent = factory.user("dcc", store)
    consultant = factory.user("consultant", store, email="c@example.com")
    lead = factory.lead(owner=None, store=store, dcc_agent_id=agent.id, name="待回访")
    open_plan(lead, _today(), "call", kind=PlanKind.DCC_CALL, assignee_id=agent.id)
    db.session.commit()
    client = login(agent)
    html = client.get("/dcc/queue").get_data(as_text=True)
    assert "待回访" in html
    assert f'href="tel:{lead.phone}"' in html  # one tap calls the customer
    assert client.htmx("post", f"/dcc/queue/{lead.id}", data={"outcome": "no_answer"}).status_code == 200
    db.session.expire_all()
    open_plans = db.session.execute(select(Plan).where(Plan.status == PlanStatus.OPEN)).scalars().all()
    assert [(p.kind, p.due_date) for p in open_plans] == [(PlanKind.DCC_CALL, _today() + timedelta(days=1))]
    assert not db.session.execute(select(FollowUp.is_effective)).scalar_one()

    day = _today() + timedelta(days=2)
    response = client.htmx(
        "post",
        f"/dcc/queue/{lead.id}",
        data={
            "outcome": "appointment",
            "consultant": str(consultant.id),
            "day": day.isoformat(),
            "note": "看揽月",
        },
    )
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/dcc/queue"
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.owner_id == consultant.id and lead.first_contact_due_at is not None
    assert db.session.execute(select(OwnerChange.kind)).scalar_one() == "dcc"
    kinds = {p.kind for p in db.session.execute(select(Plan).where(Plan.status == PlanStatus.OPEN)).scalars()}
    assert kinds == {PlanKind.FOLLOW_UP, PlanKind.FIRST_CONTACT}
    assert (
        db.session.execute(select(Notification.kind).where(Notification.user_id == consultant.id)).scalar()
        == "appointment"
    )
    html = client.get("/dcc/queue").get_data(as_text=True)
    assert 'data-figure="calls">2<' in html and 'data-figure="appointment_rate">100.0%' in html


def test_dcc_queue_only_shows_my_leads_and_others_are_404(factory, db, login):
    store = factory.store()
    me, other = factory.user("dcc", store), factory.user("dcc", store)
    theirs = factory.lead(store=store, dcc_agent_id=other.id, name="别人的")
    db.session.commit()
    client = login(me)
    assert "别人的" not in client.get("/dcc/queue").get_data(as_text=True)
    assert client.htmx("post", f"/dcc/queue/{theirs.id}", data={"outcome": "busy"}).status_code == 404


def test_consultant_cannot_use_dcc_pages(login_as):
    c = login_as("consultant")
    assert c.get("/dcc/inbound").status_code == 403
    assert c.get("/dcc/queue").status_code == 403


def test_dcc_queue_query_count_is_constant(factory, db, login, count_queries):
    store = factory.store()
    agent = factory.user("dcc", store)
    factory.lead(store=store, dcc_agent_id=agent.id)
    db.session.commit()
    client = login(agent)
    with count_queries() as one:
        client.get("/dcc/queue")
    for _n in range(49):
        factory.lead(store=store, dcc_agent_id=agent.id)
    db.session.commit()
    with count_queries() as fifty:
        client.get("/dcc/queue")
    assert one.count == fifty.count


def test_dcc_queue_puts_the_earliest_plan_first_and_leads_without_a_plan_last(factory, db):
    from app.dcc.queries import outbound_queue

    store = factory.store()
    agent = factory.user("dcc", store)
    today = _today()
    undated = [factory.lead(store=store, dcc_agent_id=agent.id) for _n in range(3)]
    later = factory.lead(store=store, dcc_agent_id=agent.id, next_plan_due=today + timedelta(days=3))
    same_day = [
        factory.lead(store=store, dcc_agent_id=agent.id, next_plan_due=today - timedelta(days=1))
        for _n in range(2)
    ]
    factory.lead(store=store, dcc_agent_id=agent.id, merged_into_id=later.id, next_plan_due=today)
    db.session.commit()
    expected = [same_day[0].id, same_day[1].id, later.id] + [lead.id for lead in undated]
    assert [r.id for r in outbound_queue(agent.id)] == expected
    assert [r.id for r in outbound_queue(agent.id, limit=4)] == expected[:4]
    assert [r.id for r in outbound_queue(agent.id, limit=2)] == expected[:2]
