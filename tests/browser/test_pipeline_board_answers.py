"""The board's move answers in Chromium: a dialog cancelled, a refused or failed move puts the card back."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers_board import stage_id

pytestmark = pytest.mark.browser


def _board(page, live_server, browser_login, factory, db, stage="contacted"):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, name="客户甲", stage=stage)
    db.session.commit()
    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login(page, consultant)
    page.goto(f"{live_server}/board")
    return lead


def _drag(page, lead_id, code):
    target = page.locator(f'#board .board-cards[data-stage="{code}"]')
    with page.expect_response(re.compile(r".*/board/move$")) as info:
        page.locator(f"#card-{lead_id} .bcard-facts").drag_to(target, steps=10)
    return info.value


def test_dropping_on_lost_opens_the_defeat_dialog_and_cancel_leaves_the_card(
    page, live_server, browser_login, factory, db
):
    lead = _board(page, live_server, browser_login, factory, db)
    assert _drag(page, lead.id, "lost").status == 200
    dialog = page.locator("#board-dialog")
    expect(dialog.locator("#reason_id")).to_be_focused()
    expect(dialog).to_have_attribute("aria-labelledby", "board-dialog-title")
    # The card is back in its column while the dialog asks; the lost column lists nothing.
    expect(page.locator(f"#col-{stage_id('contacted')} #card-{lead.id}")).to_be_visible()
    expect(page.locator(f"#col-{stage_id('lost')} .bcard")).to_have_count(0)
    dialog.locator(".board-dialog-cancel").click()
    expect(dialog).not_to_be_visible()
    expect(dialog.locator("form")).to_have_count(0)
    expect(page.locator(f"#col-{stage_id('contacted')} .board-count")).to_have_text("1")


def test_a_refused_move_says_why_and_leaves_the_card(page, live_server, browser_login, factory, db):
    lead = _board(page, live_server, browser_login, factory, db)
    assert _drag(page, lead.id, "lost").status == 200
    dialog = page.locator("#board-dialog")
    dialog.locator("#reason_id").select_option(index=1)
    with page.expect_response(re.compile(r".*/board/move$")):
        dialog.locator("button[type=submit]").click()
    expect(dialog).not_to_be_visible()
    expect(page.locator(f"#card-{lead.id} .tag-defeat")).to_be_visible()
    # A second defeat request is refused: 422, the reason in the toast and the live region.
    response = _drag(page, lead.id, "lost")
    assert response.status == 422
    expect(page.locator("#toast")).to_be_visible()
    expect(page.locator("#board-live")).not_to_be_empty()
    expect(dialog).not_to_be_visible()
    expect(page.locator(f"#col-{stage_id('contacted')} #card-{lead.id}")).to_be_visible()
    expect(page.locator(f"#col-{stage_id('lost')} .board-count")).to_have_text("0")


@pytest.mark.parametrize("width", [390, 1400])
def test_a_card_waiting_for_a_defeat_decision_keeps_its_name_readable_in_english(
    page, live_server, browser_login, factory, db, width
):
    from app.admin.reference import defeat_reasons, stage_by_code
    from app.followups.models import DefeatRequest

    consultant = factory.user("consultant", locale="en")
    lead = factory.lead(owner=consultant, name="Alexandra Richardson-Whitfield", stage="contacted")
    db.session.flush()
    db.session.add(
        DefeatRequest(
            lead_id=lead.id,
            store_id=lead.store_id,
            requested_by_id=consultant.id,
            reason_id=defeat_reasons()[0].id,
            stage_before_id=stage_by_code("contacted").id,
        )
    )
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, consultant)
    page.goto(f"{live_server}/board")
    card = page.locator(f"#card-{lead.id}")
    card.scroll_into_view_if_needed()
    expect(card.locator(".tag-defeat")).to_be_visible()
    # The long English tag wraps below the name instead of squeezing it to nothing.
    assert card.locator(".bcard-name").bounding_box()["width"] >= 90
    assert card.evaluate("el => el.scrollWidth <= el.clientWidth")


def test_a_failed_move_puts_the_card_back(page, live_server, browser_login, factory, db):
    lead = _board(page, live_server, browser_login, factory, db)
    page.route(re.compile(r".*/board/move$"), lambda route: route.fulfill(status=500, body="boom"))
    assert _drag(page, lead.id, "invited").status == 500
    expect(page.locator("#toast")).to_be_visible()
    expect(page.locator(f"#col-{stage_id('contacted')} #card-{lead.id}")).to_be_visible()
    expect(page.locator(f"#col-{stage_id('invited')} #card-{lead.id}")).to_have_count(0)
