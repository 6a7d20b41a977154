"""Phone and tablet markup: clickable links in notes and directions, lead cards, tab bar, RSVP, manifest."""

import re
from datetime import timedelta

import pytest

from app.core.timeutil import today_for
from app.extensions import db
from app.followups.models import Plan, PlanStatus
from app.invitations.models import InvitationStatus as S
from tests.helpers_invite import make_event, make_invitation

URL = "https://map.example.com/route?from=a&to=b"
PAYLOAD = "javascript:alert(document.cookie)"


@pytest.fixture
def store_world(factory):
    store = factory.store(name="朝阳店")
    consultant = factory.user("consultant", store, display_name="李娜")
    lead = factory.lead(
        owner=consultant, name="王先生", notes=f"地图 {URL}\n{PAYLOAD}\n<img src=x onerror=alert(1)>"
    )
    event = make_event(store, directions=f"停车见 {URL} 。{PAYLOAD}")
    invitation = make_invitation(event, lead, inviter=consultant, status=S.INVITED)
    db.session.commit()
    return {"store": store, "consultant": consultant, "lead": lead, "event": event, "invitation": invitation}


def _one_safe_link(html):
    assert html.count('href="https://map.example.com/route?from=a&amp;to=b"') == 1
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'href="javascript:' not in html and PAYLOAD in html
    assert "<img src=x" not in html


def test_lead_notes_links_are_clickable_and_safe(login, store_world):
    html = login(store_world["consultant"]).get(f"/leads/{store_world['lead'].id}").get_data(as_text=True)
    _one_safe_link(html)


def test_rsvp_directions_links_are_clickable_and_safe(client, store_world):
    html = client.get(f"/r/{store_world['invitation'].token}").get_data(as_text=True)
    _one_safe_link(html)


# ---- lists as cards ------------------------------------------------------------------------------


@pytest.fixture
def lists_world(factory):
    store = factory.store(name="朝阳店")
    consultant = factory.user("consultant", store, display_name="李娜")
    manager = factory.user("manager", store)
    lead = factory.lead(owner=consultant, name="王先生", phone="+8613912345678", grade="H")
    db.session.add(
        Plan(
            lead_id=lead.id,
            assignee_id=consultant.id,
            store_id=store.id,
            kind="follow_up",
            due_date=today_for(consultant) - timedelta(days=1),
            status=PlanStatus.OPEN,
            content="回访",
        )
    )
    db.session.commit()
    return {"consultant": consultant, "manager": manager, "lead": lead}


def test_lead_list_rows_carry_card_labels_and_a_call_button_for_the_owner(login, lists_world):
    html = login(lists_world["consultant"]).get("/leads").get_data(as_text=True)
    assert 'class="table-wrap as-cards"' in html
    assert 'data-label="阶段"' in html or 'data-label="Stage"' in html
    assert 'href="tel:+8613912345678"' in html
    assert 'class="badge badge-H"' in html


def test_lead_list_has_no_call_button_without_phone_rights(login, lists_world):
    html = login(lists_world["manager"]).get("/leads").get_data(as_text=True)
    assert "as-cards" in html and "王先生" in html
    assert "tel:" not in html
    assert "+8613912345678" not in html


def test_lead_list_filters_fold_into_a_drawer_with_removable_chips(login, lists_world):
    html = login(lists_world["consultant"]).get("/leads?grade=H&overdue=1&q=王").get_data(as_text=True)
    assert '<details class="filter-drawer" open data-filter-drawer>' in html
    assert 'data-chip="grade"' in html and 'data-chip="overdue"' in html and 'data-chip="q"' in html
    # removing the grade chip keeps the other filters
    href = re.search(r'data-chip="grade" href="([^"]+)"', html)
    assert href and "grade=" not in href.group(1) and "overdue=1" in href.group(1)
    plain = login(lists_world["consultant"]).get("/leads").get_data(as_text=True)
    assert "data-chip=" not in plain


def test_plans_list_is_cards_with_a_call_button_only_for_phone_rights(login, lists_world):
    own = login(lists_world["consultant"]).get("/plans?tab=overdue").get_data(as_text=True)
    assert "as-cards" in own and 'href="tel:+8613912345678"' in own
    other = login(lists_world["manager"]).get("/plans?tab=overdue").get_data(as_text=True)
    assert "王先生" in other and "tel:" not in other


def test_follow_up_page_offers_a_call_button_to_the_owner_only(login, lists_world):
    lead = lists_world["lead"]
    own = login(lists_world["consultant"]).get(f"/leads/{lead.id}/followups/new").get_data(as_text=True)
    assert 'href="tel:+8613912345678"' in own
    other = login(lists_world["manager"]).get(f"/leads/{lead.id}/followups/new")
    assert "tel:+86" not in other.get_data(as_text=True)


def test_discipline_board_cells_carry_card_labels(login, lists_world):
    response = login(lists_world["manager"]).htmx("get", "/discipline")
    html = response.get_data(as_text=True)
    assert 'class="table-wrap as-cards"' in html and "data-label=" in html and "card-title" in html


# ---- bottom tab bar ------------------------------------------------------------------------------


def test_consultant_gets_the_five_tab_bar_with_the_vendored_sprite(app, login, lists_world):
    html = login(lists_world["consultant"]).get("/plans").get_data(as_text=True)
    tabs = re.search(r'<nav class="tabbar".*?</nav>', html, re.S).group(0)
    assert re.findall(r'data-tab="(\w+)"', tabs) == ["home", "board", "leads", "plans", "me"]
    assert re.search(r'data-tab="plans"\s+aria-current="page"', tabs)
    assert "/static/icons/tabs.svg#tab-home" in tabs and "has-tabbar" in html
    sprite = app.test_client().get("/static/icons/tabs.svg").get_data(as_text=True)
    for icon in ("home", "board", "leads", "plans", "me"):
        assert f'id="tab-{icon}"' in sprite


def test_other_roles_keep_the_menu_without_a_tab_bar(login, lists_world):
    html = login(lists_world["manager"]).get("/").get_data(as_text=True)
    assert "tabbar" not in html and "has-tabbar" not in html


# ---- RSVP page -------------------------------------------------------------------------------------


@pytest.fixture
def accepted(factory):
    store = factory.store(name="朝阳店", phone="010 6500 1234")
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant, name="王先生")
    event = make_event(store, theme="揽月品鉴会", place="展厅一楼", address="朝阳路1号")
    invitation = make_invitation(event, lead, inviter=consultant, status=S.ACCEPTED, headcount=2)
    db.session.commit()
    return invitation


def test_rsvp_shows_the_code_first_with_the_chinese_headcount(client, accepted):
    html = client.get(f"/r/{accepted.token}").get_data(as_text=True)
    assert "共 2 人出席" in html
    assert "一同参加" not in html
    assert html.index('class="qr"') < html.index('class="rsvp-hello"') < html.index('class="rsvp-facts"')


def test_rsvp_links_the_store_phone_and_a_map(client, accepted):
    html = client.get(f"/r/{accepted.token}").get_data(as_text=True)
    assert 'href="tel:01065001234"' in html
    assert 'href="https://uri.amap.com/search?keyword=%E6%9C%9D%E9%98%B3%E8%B7%AF1%E5%8F%B7"' in html


def test_rsvp_has_share_card_meta_tags_with_a_default_image(app, client, accepted):
    html = client.get(f"/r/{accepted.token}").get_data(as_text=True)
    assert '<meta property="og:title" content="揽月品鉴会">' in html
    assert re.search(r'<meta property="og:description" content="[^"]*展厅一楼[^"]*朝阳店">', html)
    image = re.search(r'<meta property="og:image" content="(https?://[^"]+)">', html).group(1)
    assert image.endswith("/static/img/event-default.png")
    response = app.test_client().get("/static/img/event-default.png")
    assert response.status_code == 200 and response.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_rsvp_without_store_phone_or_address_has_no_empty_links(factory, client):
    store = factory.store(phone="")
    lead = factory.lead(owner=factory.user("consultant", store))
    event = make_event(store, place="", address="")
    invitation = make_invitation(event, lead, status=S.INVITED)
    db.session.commit()
    html = client.get(f"/r/{invitation.token}").get_data(as_text=True)
    assert "tel:" not in html and "amap" not in html and 'class="qr"' not in html


# ---- web app manifest and icons ------------------------------------------------------------------


def test_manifest_lets_a_tablet_pin_the_app_full_screen(app, client):
    import json

    static = app.test_client()
    response = static.get("/static/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        png = static.get(icon["src"])
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert any(s["url"] == "/showroom/reception" for s in manifest["shortcuts"])


def test_every_page_links_the_manifest_and_icons(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in html
    assert 'href="/static/favicon.ico"' in html and 'rel="apple-touch-icon"' in html
    assert client.get("/static/favicon.ico").status_code == 200


def test_follow_up_notes_in_the_timeline_and_staff_event_directions_are_linked(login, factory, store_world):
    from app.core.timeutil import utcnow
    from app.followups.models import FollowUp, FollowUpMethod, FollowUpResult

    lead, consultant = store_world["lead"], store_world["consultant"]
    db.session.add(
        FollowUp(
            lead_id=lead.id,
            user_id=consultant.id,
            store_id=lead.store_id,
            method=FollowUpMethod.PHONE,
            result=FollowUpResult.REACHED,
            content=f"发了路线 {URL} {PAYLOAD}",
            occurred_at=utcnow(),
        )
    )
    db.session.commit()
    html = login(consultant).get(f"/leads/{lead.id}").get_data(as_text=True)
    assert html.count('href="https://map.example.com/route?from=a&amp;to=b"') == 2  # notes and timeline
    assert 'href="javascript:' not in html
    manager = factory.user("manager", store_world["store"])
    db.session.commit()
    page = login(manager).get(f"/events/{store_world['event'].id}").get_data(as_text=True)
    _one_safe_link(page)
