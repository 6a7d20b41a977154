"""Manager queues (批示 /review, 审批 /approvals, 分配 /pool, 回收 /reclaim): every row links to the
customer and shows what the decision needs, and each page's SQL statement count does not grow
with its rows."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.admin.reference import defeat_reasons
from app.core.timeutil import local_today, utcnow
from app.followups.assignment import build_proposal
from app.followups.defeats import request_defeat
from app.followups.models import AssignmentProposal, FollowUp
from app.followups.plans import open_plan


def _today():
    return local_today(utcnow())


def _followup(db, lead, user, content="聊了配置", recording_url=None):
    f = FollowUp(
        lead_id=lead.id,
        user_id=user.id,
        store_id=lead.store_id,
        method="phone",
        result="reached",
        content=content,
        occurred_at=utcnow(),
        is_effective=True,
        recording_url=recording_url,
    )
    db.session.add(f)
    db.session.flush()
    return f


def _lead_link(html: str, lead) -> bool:
    return f'href="/leads/{lead.id}"' in html


def _figures(html: str, consultant_id: int) -> tuple[int, int]:
    """The open leads and overdue plans shown beside a consultant (from the data attributes)."""
    row = re.search(
        rf'data-consultant="{consultant_id}"[^>]*>.*?data-open-leads="(\d+)" data-overdue="(\d+)"', html, re.S
    )
    assert row, f"no workload shown for consultant {consultant_id}"
    return int(row.group(1)), int(row.group(2))


@pytest.fixture
def shop(factory, db):
    store = factory.store()
    manager = factory.user("manager", store)
    busy = factory.user("consultant", store, display_name="忙碌的王丽", capacity=40)
    for n in range(3):
        lead = factory.lead(owner=busy, name=f"在跟{n}")
        if n < 2:
            open_plan(lead, _today() - timedelta(days=n + 1), "回访", assignee_id=busy.id)
    db.session.commit()
    return {"store": store, "manager": manager, "busy": busy}


# ---- review -------------------------------------------------------------------------------


def test_review_row_links_the_customer_and_shows_the_text_and_the_recording(shop, factory, db, login):
    busy = shop["busy"]
    lead = factory.lead(owner=busy, name="录音客户")
    _followup(db, lead, busy, content="客户想周末试驾", recording_url="https://rec.example.com/a.mp3")
    sneaky = factory.lead(owner=busy, name="脚本客户")
    _followup(db, sneaky, busy, content="别点", recording_url="javascript://alert(1)")
    db.session.commit()
    html = login(shop["manager"]).get("/review").get_data(as_text=True)
    assert _lead_link(html, lead) and _lead_link(html, sneaky)
    assert "客户想周末试驾" in html
    assert 'href="https://rec.example.com/a.mp3"' in html
    assert "javascript:" not in html  # only http(s) recordings become links
    # every comment box has its own label
    for box_id in re.findall(r'<textarea[^>]* id="(body-\d+)"', html):
        assert f'<label for="{box_id}">' in html


# ---- approvals ----------------------------------------------------------------------------


def test_defeat_request_row_shows_reason_and_note_with_the_customer_link(shop, factory, db, login):
    busy = shop["busy"]
    lead = factory.lead(owner=busy, name="战败客户")
    reason = defeat_reasons()[0]
    request_defeat(lead, reason.id, "在别家买了", busy)
    db.session.commit()
    html = login(shop["manager"]).get("/approvals").get_data(as_text=True)
    row = html[html.index('id="defeat-') :]
    assert _lead_link(row, lead)
    assert reason.name_zh in row[:2000] and "在别家买了" in row[:2000]


def test_proposal_row_shows_each_consultants_share_and_workload(shop, factory, db, login):
    store, busy = shop["store"], shop["busy"]
    pool = [factory.lead(store=store, name=f"池{n}") for n in range(2)]
    db.session.flush()
    proposal = build_proposal(pool, store.id, shop["manager"], _today())
    db.session.commit()
    html = login(shop["manager"]).get("/approvals").get_data(as_text=True)
    assert f"/approvals/proposals/{proposal.id}" in html
    assert _figures(html, busy.id) == (3, 2)  # three open leads, two plans overdue
    assert "+2" in html

    page = login(shop["manager"]).get(f"/approvals/proposals/{proposal.id}").get_data(as_text=True)
    assert all(_lead_link(page, lead) for lead in pool)
    assert 'data-open-leads="3" data-overdue="2"' in page


def test_each_request_on_the_approvals_page_is_decided_by_its_own_form(shop, factory, db, login):
    # The page writes a decision form once and fills in each request's id: every id must be its own.
    from app.leads.models import TransferRequest

    store, busy = shop["store"], shop["busy"]
    other = factory.user("consultant", store)
    defeats = []
    for n in range(2):
        lead = factory.lead(owner=other, name=f"败{n}")
        defeats.append(request_defeat(lead, defeat_reasons()[0].id, "贵", other))
    transfers = [
        TransferRequest(
            lead_id=factory.lead(owner=other).id,
            requested_by_id=busy.id,
            from_owner_id=other.id,
            store_id=store.id,
            reason="老客户",
        )
        for _n in range(2)
    ]
    db.session.add_all(transfers)
    db.session.commit()
    html = login(shop["manager"]).get("/approvals").get_data(as_text=True)
    assert "ROW_" not in html
    for kind, reqs in (("defeats", defeats), ("transfers", transfers)):
        for req in reqs:
            path = f"/approvals/{kind}/{req.id}"
            assert f'action="{path}" data-hx-post="{path}"' in html
            comment = f"{kind[:-1]}-comment-{req.id}"
            assert f'<label for="{comment}">' in html and f'<input id="{comment}" name="comment"' in html
            assert f'href="/leads/{req.lead_id}"' in html
    assert html.count(defeat_reasons()[0].name_zh) >= 2


# ---- pool and reclaim ---------------------------------------------------------------------


def test_pool_rows_link_the_customer_and_the_page_shows_who_could_take_them(shop, factory, db, login):
    lead = factory.lead(store=shop["store"], name="池客户")
    db.session.commit()
    html = login(shop["manager"]).get("/pool").get_data(as_text=True)
    assert _lead_link(html, lead)
    assert _figures(html, shop["busy"].id) == (3, 2)


def test_the_pool_lists_open_unassigned_leads_of_the_store_important_first(shop, factory, db, login):
    store = shop["store"]
    older = factory.lead(store=store, name="池旧", created_at=utcnow() - timedelta(days=2))
    newer = factory.lead(store=store, name="池新", created_at=utcnow() - timedelta(days=1))
    important = factory.lead(
        store=store, name="池要紧", is_important=True, created_at=utcnow() - timedelta(days=3)
    )
    factory.lead(store=store, name="池已成交", stage="won")
    factory.lead(store=store, name="池已战败", stage="lost")
    factory.lead(store=store, name="池被合并", merged_into_id=older.id)
    factory.lead(store=factory.store(), name="别店池")
    db.session.commit()
    html = login(shop["manager"]).get("/pool").get_data(as_text=True)
    shown = re.findall(r'aria-label="(池[^"]*|别店池)"', html)
    assert shown == [important.name, newer.name, older.name]


def test_reclaim_rows_link_the_customer_and_show_the_owners_workload(shop, factory, db, login):
    old = factory.lead(
        owner=shop["busy"], name="三十一天", last_effective_followup_at=utcnow() - timedelta(days=31)
    )
    factory.user("consultant", shop["store"], display_name="接手的人")
    db.session.commit()
    html = login(shop["manager"]).get("/reclaim").get_data(as_text=True)
    assert _lead_link(html, old)
    assert 'data-open-leads="4" data-overdue="2"' in html  # the owner: three plus this one


# ---- constant statements per page -----------------------------------------------------------


def _grow(kind, shop, factory, db, n):
    store, busy = shop["store"], shop["busy"]
    for i in range(n):
        other = factory.user("consultant", store)
        if kind == "review":
            _followup(db, factory.lead(owner=other), other, recording_url="https://rec.example.com/x.mp3")
        elif kind == "approvals":
            request_defeat(factory.lead(owner=other), defeat_reasons()[0].id, "贵", other)
            db.session.flush()
            build_proposal([factory.lead(store=store), factory.lead(store=store)], store.id, busy, _today())
        elif kind == "pool":
            factory.lead(store=store, name=f"池{i}")
            open_plan(factory.lead(owner=other), _today() - timedelta(days=1), "x", assignee_id=other.id)
        elif kind == "reclaim":
            factory.lead(owner=other, last_effective_followup_at=utcnow() - timedelta(days=40))
    db.session.commit()


@pytest.mark.parametrize(
    "url,kind",
    [
        ("/review", "review"),
        ("/approvals", "approvals"),
        ("/pool", "pool"),
        ("/reclaim", "reclaim"),
        ("proposal", "approvals"),
    ],
)
def test_queue_pages_run_a_constant_number_of_statements(url, kind, shop, factory, db, login, count_queries):
    _grow(kind, shop, factory, db, 1)
    client = login(shop["manager"])

    def target():
        if url != "proposal":
            return url
        newest = db.session.execute(
            select(AssignmentProposal.id).order_by(AssignmentProposal.id.desc())
        ).scalar()
        return f"/approvals/proposals/{newest}"

    first = target()
    with count_queries() as one:
        assert client.get(first).status_code == 200
    _grow(kind, shop, factory, db, 12)
    with count_queries() as many:
        assert client.get(first).status_code == 200
    second = target()
    with count_queries() as again:
        assert client.get(second).status_code == 200
    assert one.count == many.count == again.count
