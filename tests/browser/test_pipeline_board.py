"""The board in Chromium: drag by mouse and by touch, conflicts between two users, keyboard moves."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.leads.models import Lead
from tests.helpers_board import stage_id, vin

pytestmark = pytest.mark.browser


def _stage_of(db, lead_id: int) -> int:
    db.session.expire_all()
    return db.session.execute(select(Lead.stage_id).where(Lead.id == lead_id)).scalar()


def _setup(factory, db, n=1, **kw):
    consultant = factory.user("consultant")
    leads = [factory.lead(owner=consultant, name=f"客户{i}", **kw) for i in range(n)]
    db.session.commit()
    return consultant, leads


def _column(page, code):
    return page.locator(f'#board .board-cards[data-stage="{code}"]')


def _drag(page, lead_id, code):
    with page.expect_response(re.compile(r".*/board/move$")) as info:
        page.locator(f"#card-{lead_id} .bcard-name").drag_to(_column(page, code), steps=10)
    return info.value


def test_drag_on_desktop_persists(page, live_server, browser_login, factory, db):
    consultant, (lead, other) = _setup(factory, db, 2)
    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login(page, consultant)
    page.goto(f"{live_server}/board")
    response = _drag(page, lead.id, "contacted")
    assert response.status == 200
    expect(_column(page, "contacted").locator(f"#card-{lead.id}")).to_be_visible()
    expect(page.locator(f"#col-{stage_id('contacted')} .board-count")).to_have_text("1")
    expect(page.locator(f"#col-{stage_id('new')} .board-count")).to_have_text("1")
    page.reload()
    expect(_column(page, "contacted").locator(f"#card-{lead.id}")).to_be_visible()
    assert _stage_of(db, lead.id) == stage_id("contacted")
    assert _stage_of(db, other.id) == stage_id("new")


def test_touch_drag_on_a_tablet_persists(browser, live_server, browser_login, factory, db):
    consultant, (lead,) = _setup(factory, db)
    context = browser.new_context(has_touch=True, is_mobile=False, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        browser_login(page, consultant)
        page.goto(f"{live_server}/board")
        card = page.locator(f"#card-{lead.id} .bcard-name").bounding_box()
        target = _column(page, "invited").bounding_box()
        x0, y0 = card["x"] + card["width"] / 2, card["y"] + card["height"] / 2
        x1, y1 = target["x"] + target["width"] / 2, target["y"] + 30
        cdp = context.new_cdp_session(page)

        def touch(kind, x, y):
            points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        with page.expect_response(re.compile(r".*/board/move$")) as info:
            touch("touchStart", x0, y0)
            page.wait_for_timeout(300)  # hold: the board starts a touch drag after a short press
            for i in range(1, 16):
                touch("touchMove", x0 + (x1 - x0) * i / 15, y0 + (y1 - y0) * i / 15)
                page.wait_for_timeout(20)
            touch("touchEnd", x1, y1)
        assert info.value.status == 200
        page.reload()
        expect(_column(page, "invited").locator(f"#card-{lead.id}")).to_be_visible()
        assert _stage_of(db, lead.id) == stage_id("invited")
    finally:
        context.close()


def test_two_users_move_the_same_card_and_the_second_gets_the_conflict(
    browser, live_server, browser_login, factory, db
):
    consultant, (lead,) = _setup(factory, db)
    manager = factory.user("manager", display_name="赵经理")
    db.session.commit()
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(2)]
    try:
        first, second = (c.new_page() for c in contexts)
        browser_login(first, manager)
        browser_login(second, consultant)
        for p in (first, second):
            p.goto(f"{live_server}/board")
        assert _drag(first, lead.id, "contacted").status == 200
        response = _drag(second, lead.id, "invited")
        assert response.status == 409
        expect(second.locator("#toast")).to_contain_text("赵经理")
        # The card is back where the server has it, not where it was dropped.
        expect(_column(second, "contacted").locator(f"#card-{lead.id}")).to_be_visible()
        expect(_column(second, "invited").locator(f"#card-{lead.id}")).to_have_count(0)
        assert _stage_of(db, lead.id) == stage_id("contacted")
        # With the fresh card the second user can move it.
        assert _drag(second, lead.id, "invited").status == 200
        assert _stage_of(db, lead.id) == stage_id("invited")
    finally:
        for c in contexts:
            c.close()


def test_keyboard_move_to_menu(page, live_server, browser_login, factory, db):
    """The card's "move to…" button opens the board's menu for that card: its own stage is not
    offered, the next one has the focus, Enter moves the card and the card keeps the focus."""
    consultant, (lead,) = _setup(factory, db)
    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login(page, consultant)
    page.goto(f"{live_server}/board")
    card = page.locator(f"#card-{lead.id}")
    expect(card).to_have_attribute("aria-label", re.compile(r"客户0, A, "))
    card.focus()
    page.keyboard.press("Tab")  # the details link
    page.keyboard.press("Tab")
    opener = card.locator(".bcard-move-open")
    expect(opener).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#board-move-title")).to_contain_text("客户0")
    expect(dialog.locator('.board-move-stage[value="new"]')).to_be_disabled()
    expect(dialog.locator('.board-move-stage[value="contacted"]')).to_be_focused()
    with page.expect_response(re.compile(r".*/board/move$")):
        page.keyboard.press("Enter")
    expect(dialog).not_to_be_visible()
    moved = _column(page, "contacted").locator(f"#card-{lead.id}")
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()
    assert _stage_of(db, lead.id) == stage_id("contacted")
    # Escape closes the menu without a move.
    moved.locator(".bcard-move-open").press("Enter")
    expect(dialog.locator('.board-move-stage[value="contacted"]')).to_be_disabled()
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    assert _stage_of(db, lead.id) == stage_id("contacted")


def test_keyboard_won_dialog_records_the_order(page, live_server, browser_login, factory, db):
    consultant, (lead,) = _setup(factory, db, stage="negotiation", model_id=1)
    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login(page, consultant)
    page.goto(f"{live_server}/board")
    page.locator(f"#card-{lead.id} .bcard-move-open").press("Enter")
    dialog = page.locator("#board-dialog")
    dialog.locator('.board-move-stage[value="won"]').press("Enter")
    expect(dialog.locator("#vin")).to_be_visible()
    dialog.locator("#vin").fill("LSVAB2180N0000001")
    dialog.locator("#amount").fill("150000")
    dialog.locator("button[type=submit]").press("Enter")
    expect(dialog.locator("#vin-error")).to_be_visible()
    assert _stage_of(db, lead.id) == stage_id("negotiation")
    dialog.locator("#vin").fill(vin(3))
    with page.expect_response(re.compile(r".*/board/move$")):
        dialog.locator("button[type=submit]").press("Enter")
    expect(dialog).not_to_be_visible()
    expect(page.locator(f"#board #card-{lead.id}")).to_have_count(0)
    expect(page.locator(f"#col-{stage_id('won')} .board-count")).to_have_text("1")
    assert _stage_of(db, lead.id) == stage_id("won")


def test_long_column_loads_more_on_scroll(page, live_server, browser_login, factory, db):
    consultant, leads = _setup(factory, db, 45, stage="contacted")
    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login(page, consultant)
    page.goto(f"{live_server}/board")
    cards = _column(page, "contacted").locator(".bcard")
    expect(cards).to_have_count(20)
    more = _column(page, "contacted").locator(".board-more")
    for expected in (40, 45):
        # Scroll to the column's end, as a person does: the "load more" row coming into view
        # fetches the next page without a click.
        more.scroll_into_view_if_needed()
        expect(cards).to_have_count(expected)
    ids = [int(x) for x in cards.evaluate_all("els => els.map(e => e.dataset.lead)")]
    assert ids == sorted(lead.id for lead in leads)
    expect(more).to_have_count(0)
