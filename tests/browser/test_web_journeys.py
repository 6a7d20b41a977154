"""Timed journeys: the everyday jobs, counted in steps on the device each person uses.

A step is one user action: a tap or click on one control, filling one field (typing into it,
however many characters), choosing one option of a select, or pressing Enter to submit. Opening
the starting screen is not a step (the consultant's dashboard after login, the reception and door
tablets already on their screen, the customer's RSVP link opened from the SMS), and neither is
waiting for the page to answer or scrolling. Each journey ends when the result is saved (checked
in the database), and its count must stay within the target; a journey that grows past it is a
UI to change (defaults, fewer fields), not a target to raise.

| journey | who, device | target |
|---|---|---|
| walk-in who leaves contact details | clerk, 1024 x 768 tablet, 展厅接待 | ≤ 6 |
| follow-up with the next plan, from the dashboard | consultant, 390 x 844 phone | ≤ 4 |
| accept an invitation | customer, 390 x 844 phone | 1 |
| door check-in by the last 4 digits of the phone | clerk, 1024 x 768 tablet | ≤ 2 |
"""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.core.timeutil import today_for
from app.extensions import db
from app.followups.models import FollowUp, Plan, PlanStatus
from app.followups.plans import open_plan
from app.invitations.models import Invitation
from app.invitations.models import InvitationStatus as S
from app.leads.models import Lead
from app.showroom.models import ShowroomVisit
from tests.helpers_invite import make_event, make_invitation

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "locale": "zh-CN"}


class Steps:
    """Drives the page through user actions and counts them (see the module docstring)."""

    def __init__(self, page):
        self.page = page
        self.taken: list[str] = []

    @property
    def count(self) -> int:
        return len(self.taken)

    def tap(self, locator):
        locator.tap()
        self.taken.append(f"tap {locator}")

    def fill(self, locator, value: str):
        locator.fill(value)
        self.taken.append(f"fill {locator}")

    def choose(self, locator, value: str):
        locator.select_option(value)
        self.taken.append(f"choose {locator}")

    def enter(self, locator):
        locator.press("Enter")
        self.taken.append(f"enter {locator}")


@pytest.fixture
def device(browser):
    contexts = []

    def _open(size):
        context = browser.new_context(**size)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def shop(factory):
    store = factory.store("BJ01", name="北京朝阳店")
    consultant = factory.user("consultant", store, display_name="王丽")
    clerk = factory.user("clerk", store)
    db.session.commit()
    return {"store": store, "consultant": consultant, "clerk": clerk}


@pytest.mark.browser
def test_walk_in_with_contact_on_the_reception_tablet(device, live_server, browser_login, shop):
    page = device(TABLET)
    browser_login(page, shop["clerk"])
    page.goto(f"{live_server}/showroom/reception")
    steps = Steps(page)
    steps.tap(page.locator("#walkin-form").get_by_text("王丽"))
    steps.tap(page.locator("input[name=left_contact][value=yes]"))
    steps.fill(page.locator("input[name=phone]"), "13922223333")
    expect(page.locator("[data-phone-status=new]")).to_be_visible()
    steps.fill(page.locator("input[name=name]"), "新客户")
    steps.tap(page.locator("#walkin-form button[type=submit]"))
    expect(page.locator(".flash-success")).to_be_visible()
    lead = db.session.execute(select(Lead).where(Lead.name == "新客户")).scalar_one()
    assert lead.owner_id == shop["consultant"].id
    assert db.session.execute(select(ShowroomVisit.lead_id)).scalar() == lead.id
    assert steps.count <= 6, steps.taken


@pytest.mark.browser
def test_follow_up_with_next_plan_from_the_phone_dashboard(device, live_server, browser_login, shop, factory):
    consultant = shop["consultant"]
    lead = factory.lead(owner=consultant, name="王先生", grade="H")
    open_plan(lead, today_for(consultant), "问试驾时间", assignee_id=consultant.id)
    db.session.commit()
    page = device(PHONE)
    browser_login(page, consultant)
    page.goto(f"{live_server}/")
    steps = Steps(page)
    steps.tap(page.locator("[data-plan-group=today] a", has_text="王先生"))
    page.wait_for_url(f"**/leads/{lead.id}**")
    steps.fill(page.locator("#followup-form [name=content]"), "客户周六上午来试驾")
    steps.fill(page.locator("#followup-form [name=next_content]"), "周六接待试驾")
    steps.tap(page.locator("#followup-form button[type=submit]"))
    expect(page.locator("[data-followup-saved]")).to_be_visible()
    db.session.expire_all()
    followup = db.session.execute(select(FollowUp).where(FollowUp.lead_id == lead.id)).scalar_one()
    assert followup.content == "客户周六上午来试驾"
    plans = db.session.execute(
        select(Plan.content, Plan.due_date).where(Plan.lead_id == lead.id, Plan.status == PlanStatus.OPEN)
    ).all()
    assert [p.content for p in plans] == ["周六接待试驾"]  # today's plan done, the next one open
    assert plans[0].due_date > today_for(consultant)
    assert steps.count <= 4, steps.taken


@pytest.mark.browser
def test_customer_accepts_the_invitation_with_one_tap(device, live_server, shop, factory):
    lead = factory.lead(owner=shop["consultant"], name="李女士")
    invitation = make_invitation(
        make_event(shop["store"], theme="揽月品鉴会"), lead, inviter=shop["consultant"], status=S.INVITED
    )
    db.session.commit()
    page = device(PHONE)
    page.goto(f"{live_server}/r/{invitation.token}")
    steps = Steps(page)
    steps.tap(page.locator("button[value=accept]"))
    expect(page.locator(".qr svg")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == S.ACCEPTED
    assert steps.count == 1, steps.taken


@pytest.mark.browser
def test_door_check_in_by_phone_tail_on_the_tablet(device, live_server, browser_login, shop, factory):
    lead = factory.lead(owner=shop["consultant"], name="赵先生", phone="+8613700005678")
    event = make_event(shop["store"], theme="揽月品鉴会", starts_in=timedelta(hours=-1))
    invitation = make_invitation(event, lead, inviter=shop["consultant"], status=S.ACCEPTED, headcount=2)
    db.session.commit()
    page = device(TABLET)
    browser_login(page, shop["clerk"])
    page.goto(f"{live_server}/checkin/{event.id}")
    steps = Steps(page)
    steps.fill(page.locator("#search-q"), "5678")
    result = page.locator(".search-results .guest", has_text="赵先生")
    steps.tap(result.locator("button[type=submit]"))
    expect(page.locator("#door-result")).not_to_be_empty()
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).checked_in_at is not None
    assert steps.count <= 2, steps.taken
