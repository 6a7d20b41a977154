"""Phones and tablets: no page is wider than the screen, and every touch target is big enough to tap.

Every page of every role is visited: the GET routes of the HTML check (tests/web/test_web_html_valid.py,
filled from the security world's objects) that answer a whole HTML page for that role, and the public
pages, with long real-world values in the data (long Chinese and Latin names, a store's full
registered name, pasted links, long e-mail addresses, unbroken text), at 360 x 740 and 768 x 1024 on a
touch screen: one browser context per role and size.
"""

import io
import re
import time

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import update

from app.accounts.models import Store, User
from app.admin.reference import stage_by_code
from app.core.timeutil import today_for
from app.extensions import db
from app.files.models import StoredFile
from app.followups.models import (
    AssignmentProposal,
    DefeatRequest,
    FollowUp,
    ManagerComment,
    Notification,
    Plan,
    PlanStatus,
)
from app.invitations.models import Campaign, Event, InvitationStatus
from app.leads.models import ImportJob, Lead, TransferRequest
from app.messaging.models import Message
from app.showroom.models import ShowroomVisit
from tests.helpers_invite import make_event, make_invitation
from tests.security_world import ROLES
from tests.web.test_web_html_valid import QUERIES, _make_personal, own_world, public_urls, route_urls

SIZES = [{"width": 360, "height": 740}, {"width": 768, "height": 1024}]
LONG_WORD = "甲" * 5 + "x" * 300
LONG_URL = "https://map.example.com/route?" + "&".join(f"p{i}=abcdefgh" for i in range(17))
LONG_MAIL = "a.very.long.mailbox.name.for.a.customer.who.likes.long.names@example-dealer-group.com.cn"
# Real-world long values: a long Chinese name, a long Latin name without a space to break at, a store
# with its full registered name, and notes pasted from a chat (a long link and unbroken text).
LONG_NAME = "阿卜杜热合曼·买买提艾力·吐尔逊托合提·欧阳诸葛慕容先生"
LONG_LATIN = "Christopher-Alexander-Montgomery-Wellington-Fitzgerald"
LONG_STORE = "北京市朝阳区东三环北路汽车文化产业园揽月豪华汽车销售服务有限公司旗舰展厅"
LONG_TEXT = f"{LONG_WORD}\n{LONG_URL}\n{LONG_MAIL}"

# One round trip per page: the document's width, parts still to load, and the touch targets under
# 44 x 44 CSS px (buttons, button-styled links, selects, tabs, filter chips, a card's actions).
MEASURE_JS = """() => {
  const small = [];
  const targets = 'button, a.btn, input[type=submit], summary.btn, select, .tabs a, a.filter-chip, .card-actions a';
  for (const el of document.querySelectorAll(targets)) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (r.width < 44 - 0.5 || r.height < 44 - 0.5) small.push(`${el.outerHTML.replace(/\\s+/g, ' ').slice(0, 90)} ${r.width}x${r.height}`);
  }
  return {width: document.documentElement.scrollWidth, small,
          lazy: document.querySelector("[data-hx-trigger='load']") !== null};
}"""
# The innermost elements that reach past the right edge of the screen (named in a failure).
WIDE_JS = """() => {
  const edge = document.documentElement.clientWidth + 1;
  const past = el => { const r = el.getBoundingClientRect(); return r.right > edge || r.left + el.scrollWidth > edge; };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  return [...document.body.querySelectorAll('*')]
    .filter(el => past(el) && ![...el.children].some(past))
    .slice(0, 3)
    .map(el => { const path = []; for (let e = el; e && e !== document.body; e = e.parentElement) path.unshift(name(e));
                 return path.slice(-4).join(' > '); });
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


def _check(page, url, width, problems, who=None):
    response = page.goto(url)
    where = f"{who or 'anonymous'} {url.split('/', 3)[-1]} at {width}px"
    if not response.ok:
        problems.append(f"{where} answered {response.status}")
        return
    found = page.evaluate(MEASURE_JS)
    if found["lazy"]:  # parts loaded after the page (the discipline board)
        page.wait_for_load_state("networkidle")
        found = page.evaluate(MEASURE_JS)
    if found["width"] > width:
        problems.append(f"{where} is {found['width']}px wide: {'; '.join(page.evaluate(WIDE_JS))}")
    problems += [f"{where}: small target {small}" for small in found["small"]]


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
def test_on_a_touch_screen_two_taps_move_the_card(browser, live_server, browser_login, world):
    """On a phone the card's "move to…" button opens the stages as full-size buttons; tapping one
    moves the card."""
    lead = world["lead"]
    context = browser.new_context(viewport=SIZES[0], has_touch=True, is_mobile=True)
    page = context.new_page()
    browser_login(page, world["consultant"])
    page.goto(f"{live_server}/board")
    card = page.locator(f"#card-{lead.id}")
    opener = card.locator(".bcard-move-open")
    box = opener.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    opener.tap()
    stage = page.locator('#board-dialog .board-move-stage[value="contacted"]')
    expect(stage).to_be_visible()
    box = stage.bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= SIZES[0]["width"]
    with page.expect_response(re.compile(r".*/board/move$")):
        stage.tap()
    expect(page.locator("#board-dialog")).not_to_be_visible()
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).stage_id == stage_by_code("contacted").id
    context.close()


def _lengthen(world) -> None:
    """Every name, title and text the pages show, made as long as real data gets."""
    values = {
        Store: {"name": LONG_STORE, "address": LONG_STORE + "东侧停车场入口向北二百米"},
        User: {"display_name": LONG_NAME[:20]},
        Lead: {"name": LONG_NAME, "email": LONG_MAIL, "region": LONG_STORE, "notes": LONG_TEXT},
        Event: {
            "theme": "揽月全新纯电旗舰SUV上市品鉴会暨老客户专属答谢晚宴" + LONG_LATIN,
            "place": LONG_STORE,
            "address": LONG_STORE,
            "directions": f"地图：{LONG_URL}\n{LONG_WORD}",
        },
        Campaign: {"name": "2026年第四季度老客户增购换购邀约专项活动" + LONG_LATIN, "script": LONG_TEXT},
        Plan: {"content": LONG_TEXT[:500]},
        FollowUp: {"content": LONG_TEXT[:500]},
        ManagerComment: {"body": LONG_TEXT},
        DefeatRequest: {"detail": LONG_TEXT},
        TransferRequest: {"reason": LONG_TEXT[:500]},
        ShowroomVisit: {"notes": LONG_TEXT[:500]},
        AssignmentProposal: {"note": LONG_TEXT[:500]},
        ImportJob: {"filename": "2026年12月车展留资名单_" + LONG_LATIN * 3 + ".xlsx"},
        Notification: {"title": "客户" + LONG_NAME + "的跟进被经理点评：" + LONG_LATIN},
        Message: {"subject": LONG_WORD[:255], "body": LONG_TEXT, "last_error": LONG_URL},
    }
    for model, fields in values.items():
        db.session.execute(update(model).values(**fields))
    # A wide cover image on every event: the RSVP page's header and the event pages must still fit.
    wide = io.BytesIO()
    Image.new("RGB", (3000, 700), (40, 80, 120)).save(wide, "JPEG")
    db.session.execute(
        update(StoredFile)
        .where(StoredFile.owner_type == "event", StoredFile.role == "image")
        .values(content=wide.getvalue())
    )
    # One customer with the long Latin name, so both kinds of long name are on the lists.
    db.session.execute(
        update(Lead).where(Lead.id == world.targets["own"].ids["lead2"]).values(name=LONG_LATIN)
    )
    db.session.commit()


def _is_page(response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and response.get_data(as_text=True).lstrip()[:15].lower() == "<!doctype html>"
    )


def _role_pages(app, client, world, stage_id: int) -> list[str]:
    """The pages this user opens: every GET route answering a whole HTML page, as in the HTML check."""
    urls = []
    for endpoint, tries, extra in route_urls(app, world, stage_id):
        for candidates in tries:
            pages = [url for url in candidates if _is_page(client.get(url))]
            if pages:
                urls += pages
                break
        if extra and endpoint in QUERIES and _is_page(client.get(extra)):
            urls.append(extra)
    return urls


@pytest.mark.browser
def test_every_page_of_every_role_fits_phone_and_tablet_with_long_values(
    app, factory, login, browser, live_server, browser_login
):
    """Every page each role can open (the routes of the HTML check) and the public pages, with long
    real-world values in the data, at 360 x 740 and 768 x 1024 on a touch screen: no sideways
    scrolling, and every visible button is at least 44 x 44 CSS px."""
    world = own_world(factory)
    _lengthen(world)
    stage_id = stage_by_code("new").id
    anonymous = app.test_client()
    public = [url for url in public_urls(app, world) if _is_page(anonymous.get(url))]
    problems, visited, started = [], 0, time.monotonic()
    for role in [*ROLES, None]:
        if role:
            user = world.actors[role]
            _make_personal(world.targets["own"], user)
            urls = _role_pages(app, login(user).client, world, stage_id)
        else:
            urls = public
        signed_in = None  # the session of the first size's login, reused for the second
        for size in SIZES:
            context = browser.new_context(
                viewport=size, has_touch=True, is_mobile=True, storage_state=signed_in
            )
            page = context.new_page()
            if role and not signed_in:
                browser_login(page, user)
                signed_in = context.storage_state()
            for url in urls:
                _check(page, live_server + url, size["width"], problems, role)
                visited += 1
            context.close()
    print(f"\n[responsive] {visited} page visits in {time.monotonic() - started:.0f} s")
    assert visited > 300
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
