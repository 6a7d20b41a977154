"""Invitation calls leave a follow-up on the lead; one-off invitations are worked from the lead page."""

import pytest
from sqlalchemy import select

from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.followups.models import FollowUp, Notification, Plan, PlanKind, PlanStatus
from app.followups.queries import open_leads_without_owner_or_plan
from app.invitations.models import Invitation
from app.invitations.models import InvitationStatus as S
from app.invitations.rules import call_followup_result
from app.leads.models import Lead
from app.messaging.models import Message
from tests.helpers_invite import make_event, make_invitation


@pytest.fixture
def setup(factory):
    store = factory.store()
    owner = factory.user("consultant", store, display_name="王丽")
    caller = factory.user("consultant", store, display_name="张强")
    manager = factory.user("manager", store, display_name="刘经理")
    lead = factory.lead(owner=owner, name="赵先生", grade="A", marketing_consent=True)
    event = make_event(store, theme="周末试驾日")
    invitation = make_invitation(event, lead, inviter=caller, status=S.TODO, invited_at=None)
    db.session.commit()
    return {
        "store": store,
        "owner": owner,
        "caller": caller,
        "manager": manager,
        "lead": lead,
        "event": event,
        "invitation": invitation,
    }


def test_call_results_map_to_follow_up_results():
    assert call_followup_result("accepted") == "reached"
    assert call_followup_result("declined") == "reached"
    assert call_followup_result("no_answer") == "not_reached"
    assert call_followup_result("wrong_number") == "wrong_number"


def _followups(lead_id):
    return list(db.session.execute(select(FollowUp).where(FollowUp.lead_id == lead_id)).scalars())


def test_an_accepted_call_is_an_effective_phone_follow_up_with_a_cadence_plan_and_tells_the_owner(
    login, setup
):
    inv, lead = setup["invitation"], setup["lead"]
    r = login(setup["caller"]).htmx(
        "post",
        f"/invitations/{inv.id}/outcome",
        data={"outcome": "accepted", "headcount": "2", "words": "周六上午带太太来"},
    )
    assert r.status_code == 200
    (fu,) = _followups(lead.id)
    assert (
        fu.method == "phone"
        and fu.result == "reached"
        and fu.is_effective
        and fu.user_id == setup["caller"].id
    )
    assert "周末试驾日" in fu.content and "2" in fu.content and "周六上午带太太来" in fu.content
    db.session.refresh(lead)
    assert lead.last_effective_followup_at is not None
    plan = db.session.execute(
        select(Plan).where(
            Plan.lead_id == lead.id, Plan.status == PlanStatus.OPEN, Plan.kind == PlanKind.FOLLOW_UP
        )
    ).scalar_one()
    today = to_local(utcnow(), setup["store"].timezone).date()
    assert (plan.due_date - today).days == 7 and plan.assignee_id == setup["owner"].id  # A cadence
    note = db.session.execute(
        select(Notification).where(Notification.user_id == setup["owner"].id)
    ).scalar_one()
    assert note.endpoint == "leads.lead_detail" and note.args == {"lead_id": lead.id} and "张强" in note.title
    assert open_leads_without_owner_or_plan() == []


@pytest.mark.parametrize(
    "outcome, result, words",
    [
        ("no_answer", "not_reached", "无人接听"),
        ("wrong_number", "wrong_number", "空号"),
        ("declined", "reached", "出差"),
    ],
)
def test_every_outcome_leaves_a_follow_up(login, setup, outcome, result, words):
    inv, lead = setup["invitation"], setup["lead"]
    login(setup["caller"]).htmx(
        "post",
        f"/invitations/{inv.id}/outcome",
        data={"outcome": outcome, "reason": "出差", "retry_hours": "2"},
    )
    (fu,) = _followups(lead.id)
    assert fu.result == result and fu.method == "phone"
    assert (words in fu.content) if outcome == "declined" else fu.content
    assert fu.is_effective == (result == "reached")


def test_the_owner_calling_is_not_told_about_their_own_call(login, setup):
    inv = setup["invitation"]
    inv.inviter_id = setup["owner"].id
    db.session.commit()
    login(setup["owner"]).htmx("post", f"/invitations/{inv.id}/outcome", data={"outcome": "accepted"})
    assert len(_followups(setup["lead"].id)) == 1
    assert db.session.execute(select(Notification)).first() is None


# ---- the lead page -----------------------------------------------------------------------------


def test_inviting_from_the_lead_page_returns_to_the_lead(login, setup):
    other = make_event(setup["store"], theme="新车发布会")
    db.session.commit()
    lead = setup["lead"]
    r = login(setup["owner"]).post(f"/leads/{lead.id}/invite", data={"event_id": other.id})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/leads/{lead.id}")


def test_the_lead_panel_offers_outcomes_and_sending_for_a_one_off_invitation(login, setup):
    lead, inv = setup["lead"], setup["invitation"]
    html = login(setup["owner"]).get(f"/leads/{lead.id}").get_data(as_text=True)
    assert f"/leads/{lead.id}/invitations/{inv.id}/outcome" in html
    assert f"/leads/{lead.id}/invitations/{inv.id}/send" in html


def test_outcome_from_the_lead_page_uses_the_call_service_and_returns_to_the_lead(login, setup):
    lead, inv = setup["lead"], setup["invitation"]
    r = login(setup["owner"]).post(
        f"/leads/{lead.id}/invitations/{inv.id}/outcome",
        data={"outcome": "accepted", "headcount": "3", "words": "一定来"},
    )
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/leads/{lead.id}")
    db.session.expire_all()
    assert db.session.get(Invitation, inv.id).status == S.ACCEPTED
    assert db.session.get(Invitation, inv.id).headcount == 3
    (fu,) = _followups(lead.id)
    assert "一定来" in fu.content


def test_send_from_the_lead_page_queues_the_message_and_returns_to_the_lead(login, setup):
    lead, inv = setup["lead"], setup["invitation"]
    r = login(setup["owner"]).post(f"/leads/{lead.id}/invitations/{inv.id}/send", data={"channel": "sms"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/leads/{lead.id}")
    message = db.session.execute(select(Message)).scalar_one()
    assert inv.token in message.body
    db.session.expire_all()
    assert db.session.get(Invitation, inv.id).status == S.INVITED


def test_lead_page_invitation_actions_are_scoped(login, factory, setup):
    lead, inv = setup["lead"], setup["invitation"]
    # a consultant who does not own the lead: 404 (out of scope)
    r = login(setup["caller"]).post(
        f"/leads/{lead.id}/invitations/{inv.id}/outcome", data={"outcome": "accepted"}
    )
    assert r.status_code == 404
    # an invitation of another lead under this lead's URL: 404
    other = factory.lead(owner=setup["owner"])
    stray = make_invitation(make_event(setup["store"]), other, status=S.TODO)
    db.session.commit()
    r = login(setup["owner"]).post(f"/leads/{lead.id}/invitations/{stray.id}/send", data={"channel": "sms"})
    assert r.status_code == 404
    # a clerk sees the store's leads but does not invite: 403
    clerk = factory.user("clerk", setup["store"])
    db.session.commit()
    r = login(clerk).post(f"/leads/{lead.id}/invitations/{inv.id}/outcome", data={"outcome": "accepted"})
    assert r.status_code == 403
    assert db.session.get(Lead, lead.id) and db.session.execute(select(FollowUp)).first() is None


def test_anonymous_lead_invitation_posts_go_to_login(client, setup):
    r = client.post(f"/leads/{setup['lead'].id}/invitations/{setup['invitation'].id}/outcome")
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]
