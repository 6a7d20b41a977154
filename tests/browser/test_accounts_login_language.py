"""Real Chromium: log in through the Chinese UI, switch to English, phone-sized navigation."""

import re

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from tests.conftest import browser_second_factor
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A browser set up for Chinese, as in the showrooms."""
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture
def manager(factory, db):
    user = factory.user(Role.MANAGER, display_name="李经理")
    db.session.commit()
    return user


def test_login_in_chinese_then_switch_to_english(page, live_server, manager):
    page.goto(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(manager.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/login/mfa")
    expect(page.get_by_role("heading", level=1)).to_have_text("两步验证")
    browser_second_factor(page, manager)
    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("李经理")
    expect(page.get_by_text("过期未执行")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Overdue plans")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()  # the choice is kept on the user


def test_login_form_submits_with_enter(page, live_server, manager):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{live_server}/login/mfa")  # a manager exports: a second factor follows
    browser_second_factor(page, manager)
    page.wait_for_url(f"{live_server}/")
    expect(page.locator(".tiles")).to_be_visible()


def test_wrong_password_shows_the_message_next_to_the_form(page, live_server, manager):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", "not the password")
    page.press("input[name=password]", "Enter")
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()


def test_phone_viewport_has_a_working_menu(browser, live_server, manager, browser_login):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    try:
        browser_login(page, manager)
        toggle = page.locator("[data-nav-toggle]")
        nav = page.locator("#main-nav")
        expect(toggle).to_be_visible()
        expect(nav.get_by_role("link", name="工作台")).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        link = nav.get_by_role("link", name="工作台")
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 24  # tappable
        expect(nav.get_by_role("button", name="退出")).to_be_visible()
        link.click()
        page.wait_for_url(re.compile(r".*/$"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways on a phone"
    finally:
        context.close()


def test_no_console_errors_or_csp_violations_on_the_dashboard(page, live_server, manager, browser_login):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    browser_login(page, manager)
    page.goto(f"{live_server}/")
    expect(page.locator(".tiles")).to_be_visible()
    assert not problems, problems
