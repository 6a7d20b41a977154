"""Every hand-off of the loop produces one notification for the person who must act, with a link
built from its endpoint; arrivals also reach the store's WeCom robot, and the door and the
reception show the lead's owner."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import LeaveWindow
from app.admin.reference import defeat_reasons
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.followups.models import AssignmentProposal, DefeatRequest, Notification
from app.invitations.models import InvitationStatus as S
from app.leads.models import TransferRequest
from app.messaging.models import Message
from tests.helpers_invite import DOOR_PATH_STATEMENTS, make_event, make_invitation


def _notes(user=None):
    stmt = select(Notification).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    db.session.expire_all()
    return db.session.execute(stmt).scalars().all()


def _opens(client, note, path):
    """The list links the notification; opening it lands on `path` and marks it read."""
    assert f"/notifications/{note.id}/open" in client.get("/notifications").get_data(as_text=True)
    response = client.get(f"/notifications/{note.id}/open")
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.fixture
def shop(factory):
    store = factory.store(wecom_webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=shop")
    manager = factory.user("manager", store, display_name="赵经理")
    consultant = factory.user("consultant", store, display_name="张伟")
    db.session.commit()
    return store, manager, consultant


def _wecom():
    return db.session.execute(select(Message).where(Message.channel == "wecom")).scalars().all()


# ---- assignment ----------------------------------------------------------------------------


def test_an_approved_proposal_tells_the_manager_then_each_consultant(shop, factory, login):
    store, manager, consultant = shop
    marketing = factory.user("marketing", store)
    lead = factory.lead(store=store, name="池客户", grade="B")
    db.session.commit()
    assert login(marketing).htmx("post", "/pool/proposals", data={"lead": [str(lead.id)]}).status_code == 200
    proposal = db.session.execute(select(AssignmentProposal)).scalar_one()
    [waiting] = _notes()
    assert (waiting.user_id, waiting.kind, waiting.endpoint, waiting.args) == (
        manager.id,
        "approval",
        "followups.show_proposal",
        {"proposal_id": proposal.id},
    )
    assert len(_wecom()) == 1  # an approval waiting: the store's robot hears it
    mc = login(manager)
    _opens(mc, waiting, f"/approvals/proposals/{proposal.id}")
    mc.htmx("post", f"/approvals/proposals/{proposal.id}", data={"decision": "approve"})
    [assigned] = _notes(consultant)
    assert (assigned.kind, assigned.endpoint, assigned.args) == (
        "assignment",
        "leads.lead_detail",
        {"lead_id": lead.id},
    )
    assert assigned.title == "分配给你的新客户：池客户"
    [decided] = _notes(marketing)
    assert decided.kind == "proposal_decided"
    _opens(login(consultant), assigned, f"/leads/{lead.id}")


def test_a_new_h_lead_given_to_a_consultant_alerts_the_store(shop, factory):
    from app.followups.assignment import assign_lead

    store, manager, consultant = shop
    lead = factory.lead(store=store, name="李总", grade="H")
    assign_lead(lead, consultant, manager)
    db.session.commit()
    assert len(_notes(consultant)) == 1
    [robot] = _wecom()
    assert "李总" in robot.body and "张伟" in robot.body and f"/leads/{lead.id}" in robot.body


# ---- defeat ------------------------------------------------------------------------------


def test_a_defeat_request_tells_the_manager_and_the_decision_tells_the_requester(shop, factory, login):
    store, manager, consultant = shop
    lead = factory.lead(owner=consultant, name="钱先生")
    db.session.commit()
    c = login(consultant)
    response = c.htmx(
        "post",
        f"/leads/{lead.id}/defeat",
        data={"reason_id": str(defeat_reasons()[0].id), "detail": "已在别家购买"},
    )
    assert response.status_code == 200
    [waiting] = _notes()
    assert (waiting.user_id, waiting.kind, waiting.endpoint) == (
        manager.id,
        "approval",
        "followups.approvals",
    )
    assert "钱先生" in waiting.title and waiting.body == "已在别家购买"
    assert len(_wecom()) == 1
    req = db.session.execute(select(DefeatRequest)).scalar_one()
    mc = login(manager)
    _opens(mc, waiting, "/approvals")
    assert (
        mc.htmx(
            "post", f"/approvals/defeats/{req.id}", data={"decision": "reject", "comment": "再跟一次"}
        ).status_code
        == 200
    )
    [decided] = _notes(consultant)
    assert (decided.kind, decided.endpoint, decided.args) == (
        "defeat",
        "leads.lead_detail",
        {"lead_id": lead.id},
    )
    assert "钱先生" in decided.title and decided.body == "再跟一次"
    _opens(c, decided, f"/leads/{lead.id}")


def test_a_refused_decision_notifies_nobody(shop, factory, login):
    from app.followups.defeats import request_defeat

    store, manager, consultant = shop
    lead = factory.lead(owner=consultant)
    req = request_defeat(lead, defeat_reasons()[0].id, "x", consultant)
    db.session.commit()
    before = len(_notes())
    other_store_manager = factory.user("manager", factory.store())
    db.session.commit()
    assert (
        login(other_store_manager)
        .htmx("post", f"/approvals/defeats/{req.id}", data={"decision": "approve"})
        .status_code
        == 404
    )
    assert len(_notes()) == before


# ---- transfer ----------------------------------------------------------------------------


def test_a_transfer_request_and_its_decision(shop, factory, login):
    store, manager, consultant = shop
    holder = factory.user("consultant", store)
    lead = factory.lead(owner=holder, phone="+8613800138000")
    db.session.commit()
    c = login(consultant)
    assert (
        c.post(
            f"/leads/{lead.id}/transfer", data={"phone": "+8613800138000", "reason": "老客户介绍"}
        ).status_code
        == 303
    )
    [waiting] = _notes()
    assert (waiting.user_id, waiting.kind, waiting.endpoint) == (
        manager.id,
        "approval",
        "followups.approvals",
    )
    req = db.session.execute(select(TransferRequest)).scalar_one()
    assert (
        login(manager)
        .htmx("post", f"/approvals/transfers/{req.id}", data={"decision": "approve"})
        .status_code
        == 200
    )
    [decided] = _notes(consultant)
    assert (decided.kind, decided.endpoint, decided.args) == (
        "transfer",
        "leads.lead_detail",
        {"lead_id": lead.id},
    )
    assert decided.title == "你的转移申请已批准"
    _opens(c, decided, f"/leads/{lead.id}")  # the customer is theirs now: the page opens


# ---- RSVP -------------------------------------------------------------------------------


def test_an_rsvp_answer_tells_the_inviter(shop, factory, client, login):
    store, manager, consultant = shop
    lead = factory.lead(owner=consultant, name="孙女士")
    event = make_event(store)
    invitation = make_invitation(event, lead, inviter=consultant, status=S.INVITED)
    db.session.commit()
    answer = client.post(f"/r/{invitation.token}", data={"answer": "accept", "headcount": "2"})
    assert answer.status_code == 303 and answer.headers["Location"] == f"/r/{invitation.token}"
    [answered] = _notes()
    assert (answered.user_id, answered.kind, answered.endpoint, answered.args) == (
        consultant.id,
        "rsvp",
        "invitations.show_event",
        {"event_id": event.id},
    )
    assert "孙女士" in answered.title
    _opens(login(consultant), answered, f"/events/{event.id}")


# ---- arrival at the door -----------------------------------------------------------------


@pytest.fixture
def door(shop, factory):
    store, manager, consultant = shop
    clerk = factory.user("clerk", store, display_name="王丽")
    inviter = factory.user("consultant", store, display_name="邀约人")
    lead = factory.lead(owner=consultant, name="张三", stage="invited")
    event = make_event(store, starts_in=timedelta(hours=-1), theme="新车品鉴会")
    invitation = make_invitation(event, lead, inviter=inviter)
    db.session.commit()
    return store, manager, consultant, clerk, lead, event, invitation


def test_a_door_check_in_tells_the_owner_at_once_and_the_card_shows_the_owner(door, login):
    store, manager, consultant, clerk, lead, event, invitation = door
    response = login(clerk).htmx(
        "post", f"/checkin/{event.id}", data={"code": invitation.token, "client_id": "a-1"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"data-owner>负责人: 张伟<", html) and "邀约人" not in html
    [arrived] = _notes()
    local = to_local(db.session.get(type(invitation), invitation.id).checked_in_at, store.timezone)
    assert arrived.user_id == consultant.id and arrived.kind == "arrival"
    assert arrived.title == f"您的客户 张三 已于 {local:%H:%M} 到店（活动：新车品鉴会，签到人 王丽）"
    assert (arrived.endpoint, arrived.args) == ("leads.lead_detail", {"lead_id": lead.id})
    [robot] = _wecom()
    assert robot.to_address.endswith("key=shop") and "张伟 的客户 张三" in robot.body
    assert robot.body.endswith(f"/leads/{lead.id}")
    # a second scan is refused and tells nobody again
    login(clerk).htmx("post", f"/checkin/{event.id}", data={"code": invitation.token, "client_id": "a-2"})
    assert len(_notes()) == 1 and len(_wecom()) == 1
    _opens(login(consultant), arrived, f"/leads/{lead.id}")


def test_the_door_search_names_the_owner_not_the_inviter(door, login):
    store, manager, consultant, clerk, lead, event, invitation = door
    html = login(clerk).htmx("get", f"/checkin/{event.id}/search?q=张").get_data(as_text=True)
    assert "负责人: 张伟" in html and "邀约人" not in html


def test_with_the_owner_on_leave_the_managers_are_told(door, factory, login):
    store, manager, consultant, clerk, lead, event, invitation = door
    second = factory.user("manager", store)
    today = to_local(utcnow(), store.timezone).date()
    db.session.add(
        LeaveWindow(
            user_id=consultant.id, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)
        )
    )
    db.session.commit()
    login(clerk).htmx("post", f"/checkin/{event.id}", data={"code": invitation.token, "client_id": "l-1"})
    notes = _notes()
    assert sorted(n.user_id for n in notes) == sorted([manager.id, second.id])
    assert all("负责顾问（张伟）不在岗" in n.title and n.kind == "arrival" for n in notes)


def test_a_leave_that_ended_does_not_count(door, login):
    store, manager, consultant, clerk, lead, event, invitation = door
    db.session.add(LeaveWindow(user_id=consultant.id, starts_on=date(2020, 1, 1), ends_on=date(2020, 1, 5)))
    db.session.commit()
    login(clerk).htmx("post", f"/checkin/{event.id}", data={"code": invitation.token, "client_id": "l-2"})
    assert [n.user_id for n in _notes()] == [consultant.id]


def test_a_guest_without_an_owner_goes_to_the_managers(door, factory, login):
    store, manager, consultant, clerk, lead, event, invitation = door
    orphan = factory.lead(store=store, name="无主客户", stage="invited")
    inv = make_invitation(event, orphan)
    db.session.commit()
    login(clerk).htmx("post", f"/checkin/{event.id}", data={"code": inv.token, "client_id": "o-1"})
    [note] = _notes()
    assert note.user_id == manager.id and "负责顾问（未分配）不在岗" in note.title


def test_a_deactivated_owner_is_away(door, login):
    store, manager, consultant, clerk, lead, event, invitation = door
    consultant.active = False
    db.session.commit()
    login(clerk).htmx("post", f"/checkin/{event.id}", data={"code": invitation.token, "client_id": "d-1"})
    assert [n.user_id for n in _notes()] == [manager.id]


def test_the_robot_costs_one_more_statement_on_the_door_path(door, login, count_queries):
    store, manager, consultant, clerk, lead, event, invitation = door
    c = login(clerk)
    url, token = f"/checkin/{event.id}", invitation.token
    db.session.expire_all()
    with count_queries() as counter:
        assert c.htmx("post", url, data={"code": token, "client_id": "r-1"}).status_code == 200
    # a scan whose lead moves to "visited": the statements of tests/web/test_checkin_door.py,
    # plus the robot's outbox row
    door_path = DOOR_PATH_STATEMENTS[db.engine.dialect.name]
    assert counter.count == door_path + 1, "\n".join(s[:80] for s in counter.statements)
    assert sum("INSERT INTO messages" in s for s in counter.statements) == 1


# ---- arrival at the showroom ---------------------------------------------------------------


def _now_hm(store):
    return to_local(utcnow(), store.timezone).strftime("%H:%M")


def _visit(client, store, consultant, phone, name="周先生"):
    return client.post(
        "/showroom/reception",
        data={
            "arrived_at": _now_hm(store),
            "party_size": "1",
            "consultant_id": str(consultant.id),
            "first_visit": "no",
            "left_contact": "yes",
            "name": name,
            "phone": phone,
            "gender": "male",
            "model_id": "0",
            "grade": "A",
        },
    )


def test_a_known_customer_at_the_reception_tells_the_owner(shop, factory, login):
    store, manager, consultant = shop
    clerk = factory.user("clerk", store, display_name="前台小刘")
    receiver = factory.user("consultant", store, display_name="值班顾问")
    lead = factory.lead(owner=consultant, name="周先生", phone="+8613911112222")
    db.session.commit()
    c = login(clerk)
    assert _visit(c, store, receiver, "13911112222").status_code == 303
    [arrived] = _notes()
    assert arrived.user_id == consultant.id and arrived.kind == "arrival"
    assert (
        arrived.title.startswith("您的客户 周先生 已于 ") and "（展厅接待，登记人 前台小刘）" in arrived.title
    )
    assert arrived.args == {"lead_id": lead.id}
    assert len(_wecom()) == 1
    traffic = c.get("/showroom/reception").get_data(as_text=True)
    assert re.search(r"<td data-owner[^>]*>张伟</td>", traffic)


def test_a_new_customer_at_the_reception_is_no_arrival_notice(shop, factory, login):
    store, manager, consultant = shop
    clerk = factory.user("clerk", store)
    db.session.commit()
    assert _visit(login(clerk), store, consultant, "13922223333", name="新客户").status_code == 303
    assert [n.kind for n in _notes()] == []
