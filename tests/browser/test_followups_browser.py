"""Logging a follow-up on the lead page in Chromium: the panel, the timeline and the lead's
facts change in place, without reloading the page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.core.timeutil import local_today, utcnow

pytestmark = pytest.mark.browser


def test_saving_a_followup_updates_the_timeline_and_next_plan_in_place(
    page, live_server, browser_login, factory, db
):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, name="钱女士", grade="H")
    db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, consultant)
    page.goto(f"{live_server}/leads/{lead.id}")
    page.evaluate("window.__samePage = true")  # gone if the browser loaded the page again
    timeline = page.locator("#lead-timeline")
    expect(timeline).not_to_contain_text("想周六带家人来试驾")
    due = local_today(utcnow()) + timedelta(days=2)
    form = page.locator("#followup-form")
    form.locator("[name=content]").fill("想周六带家人来试驾")
    form.locator("[name=next_due]").fill(due.isoformat())
    form.locator("[name=next_content]").fill("周五电话确认试驾时间")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-followup-saved]")).to_be_visible()
    expect(timeline).to_contain_text("想周六带家人来试驾")
    expect(page.locator("#lead-next-plan")).to_contain_text(str(due.day))
    assert page.evaluate("window.__samePage === true")
