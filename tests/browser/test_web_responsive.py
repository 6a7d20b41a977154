"""Phones and tablets: no page is wider than the screen, and every button is big enough to tap."""

import io
import re

import pytest
from PIL import Image

from app.admin.reference import stage_by_code
from app.core.timeutil import today_for
from app.extensions import db
from app.followups.models import Plan, PlanStatus
from app.invitations import services
from app.invitations.models import InvitationStatus
from app.leads.models import Lead
from tests.helpers_invite import make_event, make_invitation

SIZES = [{"width": 360, "height": 740}, {"width": 768, "height": 1024}]
LONG_WORD = "甲" * 5 + "x" * 300
LONG_URL = "https://map.example.com/route?" + "&".join(f"p{i}=abcdefgh" for i in range(17))
LONG_MAIL = "a.very.long.mailbox.name.for.a.customer.who.likes.long.names@example-dealer-group.com.cn"

OVERFLOW_JS = "document.documentElement.scrollWidth"

SMALL_TARGETS_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('button, a.btn, input[type=submit], summary.btn')) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!r.width || !r.height || style.visibility === 'hidden') continue;
    if (r.width < 44 - 0.5 || r.height < 44 - 0.5) out.push(`${el.outerHTML.slice(0, 90)} ${r.width}x${r.height}`);
  }
  return out;
}"""


@pytest.fixture
def world(factory):
    store = factory.store(name="北京朝阳店")
    consultant = factory.user("consultant", store, display_name="王丽")
    manager = factory.user("manager", store)
    clerk = factory.user("clerk", store)
    director = factory.user("director")
    lead = factory.lead(
        owner=consultant, name="李先生", email=LONG_MAIL, notes=f"{LONG_WORD}\n{LONG_URL}\n{LONG_MAIL}"
    )
    for n in range(3):
        other = factory.lead(owner=consultant, name=f"客户{n}{'很长的名字' * 4}")
        db.session.add(
            Plan(
                lead_id=other.id,
                assignee_id=consultant.id,
                store_id=store.id,
                kind="follow_up",
                due_date=today_for(consultant),
                status=PlanStatus.OPEN,
                content=LONG_WORD,
            )
        )
    event = make_event(store, theme="揽月品鉴会", directions=f"地图：{LONG_URL}\n{LONG_WORD}")
    invitation = make_invitation(
        event, lead, inviter=consultant, status=InvitationStatus.ACCEPTED, headcount=2
    )
    # A wide cover image: the RSVP page's header and the event pages must still fit a phone.
    wide = io.BytesIO()
    Image.new("RGB", (3000, 700), (40, 80, 120)).save(wide, "PNG")
    event_fields = {key: getattr(event, key) for key in services.EVENT_FIELDS}
    services.save_event(event, event_fields, actor=manager, image=wide.getvalue())
    db.session.commit()
    return {
        "consultant": consultant,
        "manager": manager,
        "clerk": clerk,
        "director": director,
        "lead": lead,
        "event": event,
        "invitation": invitation,
    }


def _pages(w):
    lead, event = w["lead"], w["event"]
    return {
        "consultant": ["/", "/board", "/leads", f"/leads/{lead.id}", "/plans", "/account/devices"],
        "manager": [
            "/",
            "/leads",
            "/plans",
            f"/leads/{lead.id}",
            f"/events/{event.id}",
            f"/events/{event.id}/edit",
            "/review",
            "/approvals",
            "/pool",
        ],
        "clerk": ["/", f"/checkin/{event.id}", "/showroom/reception"],
        "director": ["/", "/leads"],
        None: [f"/r/{w['invitation'].token}"],
    }


def _check(page, url, width, problems):
    response = page.goto(url)
    if not response.ok:
        problems.append(f"{url} answered {response.status}")
        return
    if page.locator("[data-hx-trigger='load']").count():  # parts loaded after the page (the discipline board)
        page.wait_for_load_state("networkidle")
    scroll = page.evaluate(OVERFLOW_JS)
    if scroll > width:
        problems.append(f"{url} at {width}px is {scroll}px wide")
    for small in page.evaluate(SMALL_TARGETS_JS):
        problems.append(f"{url} at {width}px: small target {small}")


def _run(browser, live_server, browser_login, w):
    problems = []
    for size in SIZES:
        for role, urls in _pages(w).items():
            context = browser.new_context(viewport=size, has_touch=True, is_mobile=True)
            page = context.new_page()
            if role:
                browser_login(page, w[role])
            for url in urls:
                _check(page, live_server + url, size["width"], problems)
            context.close()
    return problems


@pytest.mark.browser
def test_key_pages_fit_the_screen_and_every_button_is_big_enough_to_tap(
    browser, live_server, browser_login, world
):
    """Each role's key pages at 360 x 740 and 768 x 1024 on a touch screen: no sideways scrolling,
    and every visible button, button-styled link and submit input is at least 44 x 44 CSS px."""
    problems = _run(browser, live_server, browser_login, world)
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_consultant_tab_bar_shows_on_phones_only(browser, live_server, browser_login, world):
    context = browser.new_context(viewport=SIZES[0], has_touch=True, is_mobile=True)
    page = context.new_page()
    browser_login(page, world["consultant"])
    page.goto(f"{live_server}/leads")
    tabbar = page.locator("nav.tabbar")
    assert tabbar.is_visible()
    assert tabbar.locator("a").count() == 5
    box = tabbar.bounding_box()
    assert box["y"] + box["height"] == pytest.approx(SIZES[0]["height"], abs=1)
    icon = tabbar.locator("svg.tab-icon").first.bounding_box()
    assert icon["width"] == pytest.approx(24, abs=1)
    page.click("nav.tabbar a[data-tab=plans]")
    page.wait_for_url("**/plans")
    page.set_viewport_size(SIZES[1])
    assert not page.locator("nav.tabbar").is_visible()
    context.close()


@pytest.mark.browser
def test_on_a_touch_screen_the_card_menu_alone_moves_the_card(browser, live_server, browser_login, world):
    lead = world["lead"]
    context = browser.new_context(viewport=SIZES[0], has_touch=True, is_mobile=True)
    page = context.new_page()
    browser_login(page, world["consultant"])
    page.goto(f"{live_server}/board")
    card = page.locator(f"#card-{lead.id}")
    assert not card.locator(".bcard-move button").is_visible()
    box = card.locator(".bcard-select").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    with page.expect_response(re.compile(r".*/board/move$")):
        card.locator(".bcard-select").select_option("contacted")
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).stage_id == stage_by_code("contacted").id
    context.close()
