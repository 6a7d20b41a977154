"""axe-core (bundled by axe-playwright-python, no network) on the key pages of every role: no
critical or serious accessibility violation (missing labels, contrast below 4.5:1, ARIA misuse…)."""

import io
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image

from app.core.timeutil import today_for, utcnow
from app.extensions import db
from app.followups.models import FollowUp, Plan, PlanStatus
from app.invitations import services
from app.invitations.models import InvitationStatus
from tests.helpers_invite import make_event, make_invitation

BLOCKING = {"critical", "serious"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture
def world(factory):
    store = factory.store("BJ01", name="北京朝阳店")
    consultant = factory.user("consultant", store, display_name="王丽")
    manager = factory.user("manager", store, display_name="李经理")
    clerk = factory.user("clerk", store)
    lead = factory.lead(owner=consultant, name="李先生", grade="H")
    for n, days in enumerate((0, -2, 3)):
        other = lead if n == 0 else factory.lead(owner=consultant, name=f"客户{n}")
        db.session.add(
            Plan(
                lead_id=other.id,
                assignee_id=consultant.id,
                store_id=store.id,
                kind="follow_up",
                due_date=today_for(consultant) + timedelta(days=days),
                status=PlanStatus.OPEN,
                content="回访",
            )
        )
    db.session.add(
        FollowUp(
            lead_id=lead.id,
            user_id=consultant.id,
            store_id=store.id,
            method="phone",
            result="reached",
            content="客户想周末试驾",
            occurred_at=utcnow(),
            is_effective=True,
            recording_url="https://rec.example.com/a.mp3",
        )
    )
    factory.lead(store=store, name="池客户")
    event = make_event(store, theme="揽月品鉴会")
    invitation = make_invitation(
        event, lead, inviter=consultant, status=InvitationStatus.ACCEPTED, headcount=2
    )
    cover = io.BytesIO()
    Image.new("RGB", (1600, 900), (40, 80, 120)).save(cover, "JPEG")
    event_fields = {key: getattr(event, key) for key in services.EVENT_FIELDS}
    services.save_event(event, event_fields, actor=manager, image=cover.getvalue())
    db.session.commit()
    return {
        "consultant": consultant,
        "manager": manager,
        "clerk": clerk,
        "lead": lead,
        "event": event,
        "invitation": invitation,
        "store": store,
    }


def _pages(w):
    lead, event = w["lead"], w["event"]
    return [
        (None, DESKTOP, "/login"),
        ("consultant", PHONE, "/"),
        ("consultant", DESKTOP, "/board"),
        ("consultant", DESKTOP, "/leads"),
        ("consultant", PHONE, "/leads"),
        ("consultant", DESKTOP, f"/leads/{lead.id}"),
        ("consultant", PHONE, "/plans"),
        ("manager", DESKTOP, "/review"),
        ("manager", DESKTOP, "/approvals"),
        ("manager", DESKTOP, "/reports/"),
        ("manager", DESKTOP, f"/events/{event.id}"),
        ("manager", DESKTOP, f"/events/{event.id}/edit"),
        # Lists shown as cards on phones: the pool, events, a guest list with a call button, metrics.
        ("manager", PHONE, "/pool"),
        ("manager", PHONE, "/events"),
        ("manager", PHONE, "/events/metrics"),
        ("consultant", PHONE, f"/events/{event.id}"),
        ("clerk", PHONE, "/showroom/reception"),
        ("clerk", TABLET, "/showroom/reception"),
        ("clerk", TABLET, f"/checkin/{event.id}"),
        (None, PHONE, f"/r/{w['invitation'].token}"),
        (None, PHONE, f"/f/{w['store'].code}"),
    ]


def _describe(url, violation) -> str:
    nodes = "; ".join(
        " ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
        for n in violation["nodes"][:4]
    )
    return f"{url}: [{violation['impact']}] {violation['id']} ({violation['help']}) at {nodes}"


@pytest.mark.browser
def test_key_pages_have_no_critical_or_serious_accessibility_violation(
    browser, live_server, browser_login, world
):
    axe = Axe()
    problems = []
    contexts = {}
    for role, size, url in _pages(world):
        key = (role, size["viewport"]["width"])
        if key not in contexts:
            context = browser.new_context(**size)
            page = context.new_page()
            if role:
                browser_login(page, world[role])
            contexts[key] = (context, page)
        page = contexts[key][1]
        response = page.goto(live_server + url)
        assert response.ok, f"{url} answered {response.status}"
        page.wait_for_load_state("networkidle")
        results = axe.run(page)
        problems += [_describe(url, v) for v in results.response["violations"] if v["impact"] in BLOCKING]
    for context, _page in contexts.values():
        context.close()
    assert not problems, "\n".join(problems)
