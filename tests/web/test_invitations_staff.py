"""Events, campaigns, call lists, messages, webhooks, jobs and metrics."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.admin.reference import stage_by_code
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.models import Plan, PlanKind
from app.invitations import queries
from app.invitations.jobs import create_post_event_tasks, queue_reminders
from app.invitations.models import Campaign, CampaignMember, Event, Invitation
from app.invitations.models import InvitationStatus as S
from app.leads.models import Lead, LeadOrder
from app.messaging.models import Message
from tests.helpers_invite import make_event, make_invitation


def test_event_create_and_edit_in_local_time(login_as, factory):
    store = factory.store()
    c = login_as("marketing", store)
    data = {
        "theme": "揽月品鉴会",
        "type": "launch",
        "store_id": store.id,
        "starts_at": "2030-05-01T14:00",
        "ends_at": "2030-05-01T17:00",
        "place": "展厅",
        "capacity": "50",
    }
    response = c.post("/events/new", data=data)
    assert response.status_code == 303
    event = db.session.execute(select(Event)).scalar_one()
    assert response.headers["Location"] == f"/events/{event.id}"
    assert event.starts_at == datetime(2030, 5, 1, 6, 0)  # Asia/Shanghai → UTC
    bad = c.post(f"/events/{event.id}/edit", data={**data, "ends_at": "2030-05-01T13:00"})
    assert bad.status_code == 422
    assert c.get(f"/events/{event.id}").status_code == 200
    assert c.get("/events").status_code == 200


def test_event_pages_forbidden(login_as, factory, client):
    store = factory.store()
    event = make_event(store)
    db.session.commit()
    assert client.get("/events").status_code in (302, 303)
    assert login_as("consultant", store).get("/events/new").status_code == 403
    assert login_as("clerk", store).get(f"/events/{event.id}/edit").status_code == 403
    assert login_as("manager", factory.store()).get(f"/events/{event.id}").status_code == 404
    assert login_as("admin").get("/events").status_code == 403


def test_event_funnel_from_one_grouped_query(factory):
    store = factory.store()
    event = make_event(store, starts_in=timedelta(hours=-1))
    make_invitation(
        event,
        factory.lead(),
        status=S.ACCEPTED,
        responded_at=utcnow(),
        confirmed_at=utcnow(),
        checked_in_at=utcnow(),
        actual_headcount=2,
    )
    make_invitation(event, factory.lead(), status=S.ACCEPTED, responded_at=utcnow())
    make_invitation(event, factory.lead(), status=S.DECLINED, responded_at=utcnow())
    make_invitation(event, factory.lead(), status=S.TODO, invited_at=None)
    make_invitation(event, factory.lead(), status=S.ACCEPTED, is_walk_in=True, checked_in_at=utcnow())
    f = queries.funnel(event.id)
    assert (f.invited, f.responded, f.accepted, f.confirmed, f.arrived, f.walk_ins) == (3, 3, 2, 1, 1, 1)
    assert f.success_rate == 2 / 3 and f.feedback_rate == 1.0 and f.attendance_rate == 0.5


def test_event_page_query_count_constant(login_as, factory, count_queries):
    store = factory.store()
    event = make_event(store)
    make_invitation(event, factory.lead())
    db.session.commit()
    c = login_as("manager", store)
    url = f"/events/{event.id}"
    c.get(url)
    with count_queries() as one:
        c.get(url)
    for _ in range(30):
        make_invitation(event, factory.lead())
    db.session.commit()
    with count_queries() as many:
        c.get(url)
    assert one.count == many.count


@pytest.fixture
def campaign_setup(factory, login_as):
    store = factory.store()
    a = factory.user("consultant", store, display_name="甲")
    b = factory.user("dcc", store, display_name="乙")
    event = make_event(store)
    leads = [factory.lead(store=store, grade="H", marketing_consent=True) for _ in range(5)]
    leads += [factory.lead(store=store, grade="C") for _ in range(3)]
    own = factory.lead(owner=a, store=store, grade="H", marketing_consent=True)
    db.session.commit()
    c = login_as("marketing", store)
    response = c.post(
        "/campaigns/new",
        data={
            "name": "五一邀约",
            "store_id": store.id,
            "event_id": event.id,
            "starts_on": "2030-04-01",
            "ends_on": "2030-04-30",
            "channels": ["phone", "sms"],
            "script": "您好，诚邀您参加……",
            "goal_accepted": "5",
            "members": [a.id, b.id],
            "f_grade": ["H"],
        },
    )
    assert response.status_code == 303, re.findall(
        r"class=\"error\"[^<]*>([^<]*)<", response.get_data(as_text=True)
    )
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert response.headers["Location"] == f"/campaigns/{campaign.id}"
    return store, a, b, event, leads, own, campaign, c


def test_campaign_targets_filters_and_even_split(campaign_setup):
    store, a, b, event, leads, own, campaign, c = campaign_setup
    assert campaign.target_filters == {"grade": ["H"]}
    goals = dict(db.session.execute(select(CampaignMember.user_id, CampaignMember.goal_accepted)).all())
    assert goals == {a.id: 3, b.id: 2}
    generated = c.post(f"/campaigns/{campaign.id}/generate")
    assert generated.status_code == 303 and generated.headers["Location"] == f"/campaigns/{campaign.id}"
    rows = db.session.execute(
        select(Invitation.lead_id, Invitation.inviter_id, Invitation.token, Invitation.status)
    ).all()
    assert len(rows) == 6  # five H leads + the consultant's own H lead
    assert {r.lead_id: r.inviter_id for r in rows}[own.id] == a.id
    per = {}
    for r in rows:
        per[r.inviter_id] = per.get(r.inviter_id, 0) + 1
        assert len(r.token) == 26 and r.status == S.TODO
    assert per == {a.id: 3, b.id: 3}
    assert c.post(f"/campaigns/{campaign.id}/generate").status_code == 303  # nobody twice
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 6
    page = c.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "甲" in page and "乙" in page
    goals_saved = c.post(f"/campaigns/{campaign.id}/goals", data={f"goal-{a.id}": "7"})
    assert goals_saved.status_code == 303 and goals_saved.headers["Location"] == f"/campaigns/{campaign.id}"
    goals = dict(db.session.execute(select(CampaignMember.user_id, CampaignMember.goal_accepted)).all())
    assert goals == {a.id: 7, b.id: 2}


def test_call_list_outcomes_and_messages(campaign_setup, login):
    store, a, b, event, leads, own, campaign, c = campaign_setup
    c.post(f"/campaigns/{campaign.id}/generate")
    inviter = login(a)
    page = inviter.get(f"/campaigns/{campaign.id}/calls").get_data(as_text=True)
    assert "您好，诚邀您参加" in page
    mine = (
        db.session.execute(select(Invitation).where(Invitation.inviter_id == a.id).order_by(Invitation.id))
        .scalars()
        .all()
    )
    first, second, third = mine
    r = inviter.htmx(
        "post", f"/invitations/{first.id}/outcome", data={"outcome": "accepted", "headcount": "3"}
    )
    assert r.status_code == 200 and "3" in r.get_data(as_text=True)
    r = inviter.htmx(
        "post", f"/invitations/{second.id}/outcome", data={"outcome": "no_answer", "retry_hours": "2"}
    )
    assert r.status_code == 200
    r = inviter.htmx(
        "post", f"/invitations/{third.id}/outcome", data={"outcome": "declined", "reason": "出差"}
    )
    db.session.expire_all()
    first, second, third = (db.session.get(Invitation, i.id) for i in (first, second, third))
    assert first.status == S.ACCEPTED and first.headcount == 3 and first.responded_at
    assert second.status == S.NO_ANSWER and second.retry_at > utcnow()
    assert third.decline_reason == "出差"
    assert db.session.get(Lead, first.lead_id).stage_id == stage_by_code("invited").id
    # someone else's invitation: 404
    assert (
        login(b).htmx("post", f"/invitations/{first.id}/outcome", data={"outcome": "declined"}).status_code
        == 404
    )
    r = inviter.htmx("post", f"/invitations/{first.id}/send", data={"channel": "sms"})
    assert r.status_code == 200
    message = db.session.execute(select(Message)).scalar_one()
    assert message.status == "queued" and first.token in message.body and message.body.endswith("回复TD退订")
    progress = {p.key: p for p in queries.progress_by_inviter(campaign.id)}
    assert progress[a.id].accepted == 1 and progress[a.id].goal == 3


def test_opt_out_by_sms_reply_is_honoured_across_campaigns(factory, client, app, login):
    app.config["SMS_WEBHOOK_TOKEN"] = "s3cret"
    store = factory.store()
    inviter = factory.user("consultant", store)
    lead = factory.lead(owner=inviter, store=store, marketing_consent=True, phone="+8613700001111")
    first = make_invitation(make_event(store, theme="第一场"), lead, inviter=inviter, status=S.TODO)
    second = make_invitation(make_event(store, theme="第二场"), lead, inviter=inviter, status=S.TODO)
    db.session.commit()
    c = login(inviter)
    assert c.htmx("post", f"/invitations/{first.id}/send", data={"channel": "sms"}).status_code == 200
    assert client.post("/webhooks/sms/inbound", json={"from": "13700001111", "text": "TD"}).status_code == 403
    r = client.post("/webhooks/sms/inbound?token=s3cret", json={"from": "13700001111", "text": "退订"})
    assert r.get_json()["action"] == "opted_out"
    response = c.htmx("post", f"/invitations/{second.id}/send", data={"channel": "sms"})
    assert response.status_code == 422 and "TD" in response.get_data(as_text=True)
    statuses = db.session.execute(select(Message.status).order_by(Message.id)).scalars().all()
    assert statuses == ["queued", "suppressed"]
    page = c.get("/campaigns/0/calls")
    assert page.status_code == 404


def test_delivery_status_webhook(factory, client, app):
    app.config["SMS_WEBHOOK_TOKEN"] = "s3cret"
    db.session.add(
        Message(
            channel="sms", to_address="+8613700001111", body="x", status="sent", provider_message_id="p-1"
        )
    )
    db.session.commit()
    headers = {"X-Webhook-Token": "s3cret"}
    assert (
        client.post(
            "/webhooks/sms/status", json={"message_id": "p-1", "status": "DELIVRD"}, headers=headers
        ).status_code
        == 200
    )
    assert db.session.execute(select(Message.status)).scalar_one() == "delivered"
    assert (
        client.post(
            "/webhooks/sms/status", json={"message_id": "nope", "status": "ok"}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/webhooks/sms/status",
            json={"message_id": "p-1", "status": "ok"},
            headers={"X-Webhook-Token": "wrong"},
        ).status_code
        == 403
    )


def test_day_before_reminders_and_reconfirmation(factory, login):
    store = factory.store()
    inviter = factory.user("consultant", store)
    now = datetime(2030, 5, 1, 2, 0)  # 10:00 in Shanghai
    event = make_event(store)
    event.starts_at, event.ends_at = datetime(2030, 5, 2, 6, 0), datetime(2030, 5, 2, 9, 0)
    accepted = make_invitation(event, factory.lead(owner=inviter), inviter=inviter, status=S.ACCEPTED)
    make_invitation(event, factory.lead(owner=inviter), inviter=inviter, status=S.DECLINED)
    db.session.commit()
    assert queue_reminders(now) == {"reminders": 1, "reconfirm_plans": 1}
    assert queue_reminders(now) == {"reminders": 0, "reconfirm_plans": 0}
    db.session.commit()
    plan = db.session.execute(select(Plan)).scalar_one()
    assert (
        plan.kind == PlanKind.RECONFIRM
        and plan.assignee_id == inviter.id
        and plan.due_date == date(2030, 5, 1)
    )
    c = login(inviter)
    reconfirmed = c.post(f"/invitations/{accepted.id}/reconfirm")
    assert (
        reconfirmed.status_code == 303 and reconfirmed.headers["Location"] == f"/events/{accepted.event_id}"
    )
    db.session.expire_all()
    assert db.session.get(Invitation, accepted.id).confirmed_at is not None
    assert db.session.get(Plan, plan.id).status == "done"
    page = c.get(f"/events/{event.id}?status=confirmed").get_data(as_text=True)
    assert "✓" in page


def test_post_event_tasks_for_attendees_and_no_shows(factory):
    store = factory.store()
    consultant = factory.user("consultant", store)
    dcc = factory.user("dcc", store)
    event = make_event(store, starts_in=timedelta(days=-2))
    came = make_invitation(event, factory.lead(owner=consultant), status=S.ACCEPTED, checked_in_at=utcnow())
    no_show = make_invitation(event, factory.lead(owner=consultant, dcc_agent_id=dcc.id), status=S.ACCEPTED)
    make_invitation(event, factory.lead(owner=consultant), status=S.DECLINED)
    db.session.commit()
    assert create_post_event_tasks(utcnow()) == {"plans": 2}
    assert create_post_event_tasks(utcnow()) == {"plans": 0}
    plans = {p.lead_id: p for p in db.session.execute(select(Plan)).scalars()}
    assert (
        plans[came.lead_id].kind == PlanKind.POST_EVENT and plans[came.lead_id].assignee_id == consultant.id
    )
    assert plans[no_show.lead_id].kind == PlanKind.REINVITE and plans[no_show.lead_id].assignee_id == dcc.id


def test_metrics_by_inviter_and_orders_within_30_days(factory, login_as):
    store = factory.store()
    consultant = factory.user("consultant", store, display_name="甲")
    event = make_event(store, starts_in=timedelta(days=-10))
    a = make_invitation(
        event,
        factory.lead(),
        inviter=consultant,
        status=S.ACCEPTED,
        responded_at=utcnow(),
        checked_in_at=utcnow(),
    )
    make_invitation(event, factory.lead(), inviter=consultant, status=S.DECLINED, responded_at=utcnow())
    for days, vin in ((5, "LVVDB11B5RD000001"), (45, "LVVDB11B5RD000002")):
        db.session.add(
            LeadOrder(
                lead_id=a.lead_id,
                store_id=store.id,
                brand="星途",
                series="揽月",
                model="x",
                amount=200000,
                order_date=event.starts_at.date() + timedelta(days=days),
                vin=vin,
            )
        )
    db.session.commit()
    rows = queries.invitation_metrics("consultant", store_ids=[store.id])
    assert len(rows) == 1 and rows[0].success_rate == 0.5 and rows[0].attendance_rate == 1.0
    assert queries.invitation_metrics("dcc") == []
    assert queries.funnel(event.id).orders == 1
    page = login_as("manager", store).get("/events/metrics?by=consultant").get_data(as_text=True)
    assert "甲" in page and "50.0%" in page
