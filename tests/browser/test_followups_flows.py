"""A consultant logs a follow-up and finds the next plan on the dashboard; a manager comments."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.core.timeutil import local_today, utcnow
from app.followups.models import FollowUp, ManagerComment


@pytest.mark.browser
def test_consultant_logs_a_followup_and_sees_the_next_plan(page, live_server, browser_login, factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, grade="H", name="王先生")
    db.session.commit()
    browser_login(page, consultant)
    page.goto(f"{live_server}/leads/{lead.id}/followups/new")
    page.select_option("#result", "reached")
    page.fill("#content", "客户想周末试驾揽月")
    expected = (local_today(utcnow()) + timedelta(days=3)).isoformat()
    expect(page.locator("#next_due")).to_have_value(expected)  # from the H cadence
    page.fill("#next_content", "约周六试驾")
    url_before = page.url
    page.click("#followup-form button[type=submit]")
    expect(page.locator("[data-followup-saved]")).to_be_visible()
    assert page.url == url_before  # no page reload
    page.goto(f"{live_server}/")
    plans = page.locator("#today-plans")
    expect(plans).to_contain_text("王先生")
    expect(plans).to_contain_text("约周六试驾")
    expect(plans).to_contain_text(expected)


@pytest.mark.browser
def test_followup_without_next_plan_shows_the_error_in_place(page, live_server, browser_login, factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, grade="A")
    db.session.commit()
    browser_login(page, consultant)
    page.goto(f"{live_server}/leads/{lead.id}/followups/new")
    page.select_option("#result", "not_reached")
    page.fill("#next_due", "")
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#next_due:invalid")).to_have_count(1)  # the browser refuses first
    # and the server refuses too when the browser check is bypassed
    page.eval_on_selector("#followup-form", "f => f.setAttribute('novalidate', '')")
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#next_due-error")).to_be_visible()
    assert db.session.execute(select(FollowUp)).first() is None


@pytest.mark.browser
def test_manager_comments_from_the_review_queue(page, live_server, browser_login, factory, db):
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant, name="李女士")
    followup = FollowUp(
        lead_id=lead.id,
        user_id=consultant.id,
        store_id=store.id,
        method="phone",
        result="reached",
        content="价格还在考虑",
        occurred_at=utcnow(),
        is_effective=True,
    )
    db.session.add(followup)
    db.session.commit()
    browser_login(page, manager)
    page.goto(f"{live_server}/review")
    item = page.locator(f"#review-{followup.id}")
    expect(item).to_contain_text("价格还在考虑")
    item.locator("textarea").fill("周末前给他报个优惠价")
    item.locator("button.btn-primary").click()
    expect(page.locator(f"#review-{followup.id} .flash-success")).to_contain_text("周末前给他报个优惠价")
    db.session.expire_all()
    assert db.session.execute(select(ManagerComment.body)).scalar_one() == "周末前给他报个优惠价"


@pytest.mark.browser
def test_director_opens_a_store_on_the_discipline_board_and_goes_back(
    page, live_server, browser_login, factory, db
):
    north, south = factory.store(name="北京朝阳店"), factory.store(name="上海浦东店")
    factory.user("consultant", north, display_name="朝阳顾问")
    factory.user("consultant", south, display_name="浦东顾问")
    director = factory.user("director", None)
    db.session.commit()
    browser_login(page, director)
    page.goto(f"{live_server}/")
    board = page.locator("#discipline")
    expect(board.locator(f'tr[data-store="{north.id}"]')).to_contain_text("北京朝阳店")
    expect(board).not_to_contain_text("朝阳顾问")  # the group's stores first, not every consultant
    board.get_by_role("link", name="北京朝阳店").click()
    expect(page.locator("#discipline [data-opened-store]")).to_have_text("北京朝阳店")
    expect(page.locator("#discipline")).to_contain_text("朝阳顾问")
    expect(page.locator("#discipline")).not_to_contain_text("浦东顾问")
    assert f"store={north.id}" in page.url  # the address opens the same store again
    page.reload()
    expect(page.locator("#discipline")).to_contain_text("朝阳顾问")
    page.locator("#discipline [data-all-stores]").click()
    expect(page.locator(f'#discipline tr[data-store="{south.id}"]')).to_contain_text("上海浦东店")
    assert "store=" not in page.url
