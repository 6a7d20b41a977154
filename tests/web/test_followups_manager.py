"""Dashboards, review queue, approvals, assignment proposals, reclaim and plans pages."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.admin.reference import defeat_reasons, stage_by_code
from app.core.timeutil import local_today, utcnow
from app.followups.defeats import request_defeat
from app.followups.models import (
    AssignmentProposal,
    DefeatRequest,
    DefeatStatus,
    FollowUp,
    ManagerComment,
    Notification,
    Plan,
    PlanKind,
    PlanStatus,
    ProposalItem,
)
from app.followups.plans import open_plan
from app.leads.models import Lead, OwnerChange, TransferRequest
from app.messaging import backends
from app.messaging.outbox import deliver_due


def _today():
    return local_today(utcnow())


def _followup(db, lead, user, content="talked"):
    f = FollowUp(
        lead_id=lead.id,
        user_id=user.id,
        store_id=lead.store_id,
        method="phone",
        result="reached",
        content=content,
        occurred_at=utcnow(),
        is_effective=True,
    )
    db.session.add(f)
    db.session.flush()
    return f


# ---- dashboards ---------------------------------------------------------------------------


def test_consultant_dashboard_counts(factory, db, login):
    consultant = factory.user("consultant")
    due = factory.lead(owner=consultant, grade="H")
    open_plan(due, _today(), "call today", assignee_id=consultant.id)
    late = factory.lead(owner=consultant, expected_purchase_date=_today() - timedelta(days=1))
    open_plan(late, _today() - timedelta(days=2), "call", assignee_id=consultant.id)
    factory.lead(owner=consultant)  # no plan
    factory.lead(owner=consultant, first_contact_due_at=utcnow() + timedelta(hours=5), name="刚分配")
    factory.lead(owner=factory.user("consultant"))  # someone else's
    db.session.commit()
    html = login(consultant).get("/").get_data(as_text=True)

    def count(name):
        import re

        return int(re.search(rf'data-count="{name}">(\d+)<', html).group(1))

    assert count("due_today") == 1 and count("overdue") == 1 and count("expired") == 1
    assert count("no_plan") == 2 and count("first_contact") == 1 and count("h_grade") == 1
    assert "call today" in html and "刚分配" in html
    assert "overdue=1" in html and "no_plan=1" in html


def test_consultant_dashboard_query_count_is_constant(factory, db, login, count_queries):
    consultant = factory.user("consultant")
    db.session.commit()
    client = login(consultant)

    def add(n):
        for _i in range(n):
            lead = factory.lead(owner=consultant, first_contact_due_at=utcnow() + timedelta(hours=2))
            open_plan(lead, _today(), "x", assignee_id=consultant.id)
            f = _followup(db, lead, consultant)
            db.session.add(
                ManagerComment(followup_id=f.id, lead_id=lead.id, author_id=consultant.id, body="ok")
            )
        db.session.commit()

    add(1)
    with count_queries() as one:
        assert client.get("/").status_code == 200
    add(49)
    with count_queries() as fifty:
        assert client.get("/").status_code == 200
    assert one.count == fifty.count


def test_manager_dashboard_discipline_and_penalty(factory, db, login, count_queries):
    store = factory.store()
    manager = factory.user("manager", store)
    c1 = factory.user("consultant", store, display_name="顾问甲")
    lead = factory.lead(owner=c1, expected_purchase_date=_today() - timedelta(days=1))  # expired
    open_plan(lead, _today() - timedelta(days=1), "late", assignee_id=c1.id)  # overdue
    db.session.commit()
    client = login(manager)
    assert 'data-hx-trigger="load"' in client.get("/").get_data(as_text=True)  # the board loads lazily
    with count_queries() as one:
        html = client.htmx("get", "/discipline").get_data(as_text=True)
    assert "顾问甲" in html
    # overdue 1 + expired 1 = two items: 50 + 100; the manager carries half
    assert "<span data-penalty>¥150</span>" in html and "<span data-manager-penalty>¥75</span>" in html
    assert re.search(r"<td data-violations[^>]*>2</td>", html)  # the cell also carries its card label
    for _n in range(20):
        c = factory.user("consultant", store)
        lead = factory.lead(owner=c)
        open_plan(lead, _today() - timedelta(days=1), "late", assignee_id=c.id)
        _followup(db, lead, c)
    db.session.commit()
    with count_queries() as many:
        client.htmx("get", "/discipline")
    assert one.count == many.count
    with count_queries() as dash_one:
        client.get("/")
    for _n in range(10):
        factory.lead(owner=factory.user("consultant", store))
    db.session.commit()
    with count_queries() as dash_many:
        client.get("/")
    assert dash_one.count == dash_many.count


def test_discipline_period_is_chosen_by_the_manager(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    c = factory.user("consultant", store)
    lead = factory.lead(owner=c)
    open_plan(lead, _today() - timedelta(days=40), "old", assignee_id=c.id)
    db.session.commit()
    client = login(manager)
    month = client.htmx("get", "/discipline").get_data(as_text=True)
    wide = client.htmx(
        "get", f"/discipline?from={(_today() - timedelta(days=60)).isoformat()}&to={_today().isoformat()}"
    ).get_data(as_text=True)
    assert "<span data-penalty>¥0</span>" in month and "<span data-penalty>¥50</span>" in wide
    assert login(c).htmx("get", "/discipline").status_code == 403


def test_director_sees_the_group_by_store_and_opens_a_store(factory, db, login, count_queries):
    s1, s2 = factory.store(name="北京一店"), factory.store(name="上海二店")
    north = factory.user("consultant", s1, display_name="北店顾问")
    factory.user("consultant", s1, display_name="北店顾问二")
    factory.user("consultant", s2, display_name="南店顾问")
    factory.user("manager", s1)
    lead = factory.lead(owner=north, expected_purchase_date=_today() - timedelta(days=1))  # expired
    open_plan(lead, _today() - timedelta(days=1), "late", assignee_id=north.id)  # overdue
    director = factory.user("director", None)
    db.session.commit()
    client = login(director)
    with count_queries() as few:
        html = client.htmx("get", "/discipline").get_data(as_text=True)
    # one row per store, not per consultant: the group's 1,200 consultants are one click away
    assert "北店顾问" not in html and "南店顾问" not in html
    north_row = html[html.index(f'<tr data-store="{s1.id}">') :]
    north_row = north_row[: north_row.index("</tr>")]
    assert "北京一店" in north_row and ">2</td>" in north_row  # two consultants
    assert re.search(r"<td data-violations[^>]*>2</td>", north_row)
    # 50 + 100 for the consultant, the store's manager carries half: 75
    assert "<span data-penalty>¥225</span>" in north_row and "¥75" in north_row
    assert f'data-hx-get="/discipline?store={s1.id}' in north_row
    # the counts lead to the store's leads behind them
    lead_links = re.findall(r'href="(/leads[^"]*)"', north_row)
    assert len(lead_links) == 3 and all(f"store={s1.id}" in link for link in lead_links)
    assert any("overdue=1" in link for link in lead_links) and any("no_plan=1" in link for link in lead_links)
    assert f'<tr data-store="{s2.id}">' in html
    for _n in range(6):
        factory.user("consultant", factory.store())
    db.session.commit()
    client.htmx("get", "/discipline")  # the stores' list is read again once after a store is added
    with count_queries() as more:
        client.htmx("get", "/discipline")
    assert few.count == more.count

    opened = client.htmx("get", f"/discipline?store={s1.id}").get_data(as_text=True)
    assert "北店顾问" in opened and "北店顾问二" in opened and "南店顾问" not in opened
    assert "<span data-penalty>¥150</span>" in opened and "data-opened-store" in opened
    assert f'name="store" value="{s1.id}"' in opened  # the period form keeps the store
    # the dashboard's own address with ?store= opens the board on that store
    page = client.get(f"/?store={s1.id}").get_data(as_text=True)
    assert f"store={s1.id}" in page[page.index('id="discipline"') :]


def test_a_manager_cannot_open_another_store_on_the_board(factory, db, login):
    s1, s2 = factory.store(), factory.store()
    manager = factory.user("manager", s1)
    factory.user("consultant", s1, display_name="本店顾问")
    factory.user("consultant", s2, display_name="别店顾问")
    db.session.commit()
    html = login(manager).htmx("get", f"/discipline?store={s2.id}").get_data(as_text=True)
    assert "本店顾问" in html and "别店顾问" not in html and "data-opened-store" not in html


# ---- review queue -------------------------------------------------------------------------


def test_manager_comments_from_the_review_queue(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant)
    f = _followup(db, lead, consultant, content="客户想试驾")
    db.session.commit()
    client = login(manager)
    assert "客户想试驾" in client.get("/review").get_data(as_text=True)
    response = client.htmx("post", f"/review/{f.id}", data={"body": "明天带他试驾"})
    assert response.status_code == 200 and "明天带他试驾" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FollowUp, f.id).reviewed_at is not None
    note = db.session.execute(select(Notification).where(Notification.user_id == consultant.id)).scalar_one()
    assert note.kind == "comment"
    # the consultant sees it on the lead and the dashboard
    c = login(consultant)
    assert "明天带他试驾" in c.get(f"/leads/{lead.id}/followups/new").get_data(as_text=True)
    assert "明天带他试驾" in c.get("/").get_data(as_text=True)
    read = c.post("/comments/read")
    assert read.status_code == 303 and read.headers["Location"] == "/"
    db.session.expire_all()
    assert db.session.execute(select(ManagerComment.read_at)).scalar_one() is not None
    assert "明天带他试驾" not in client.get("/review").get_data(as_text=True)


def test_empty_comment_is_refused(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    f = _followup(db, factory.lead(owner=consultant), consultant)
    db.session.commit()
    assert login(manager).htmx("post", f"/review/{f.id}", data={"body": " "}).status_code == 422


def test_each_review_item_names_its_own_follow_up_and_the_refusal_its_field(factory, db, login):
    # The page writes the comment form once and fills in each row's id: every id must be the row's.
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    followups = [_followup(db, factory.lead(owner=consultant), consultant) for _i in range(3)]
    db.session.commit()
    client = login(manager)
    html = client.get("/review").get_data(as_text=True)
    for f in followups:
        assert f'<li id="review-{f.id}"' in html and f'href="/leads/{f.lead_id}"' in html
        assert f'action="/review/{f.id}"' in html and f'data-hx-post="/review/{f.id}"' in html
        assert f'data-hx-target="#review-{f.id}"' in html
        assert f'<label for="body-{f.id}">' in html and f'id="body-{f.id}"' in html
    assert "ROW_ID" not in html and html.count('name="body"') == 3
    refused = client.htmx("post", f"/review/{followups[1].id}", data={"body": " "}).get_data(as_text=True)
    assert f'aria-describedby="body-{followups[1].id}-error"' in refused
    assert f'id="body-{followups[1].id}-error"' in refused and "ROW_ID" not in refused


def test_review_of_another_store_is_404(factory, db, login):
    other = factory.store()
    consultant = factory.user("consultant", other)
    f = _followup(db, factory.lead(owner=consultant), consultant)
    manager = factory.user("manager", factory.store())
    db.session.commit()
    assert login(manager).htmx("post", f"/review/{f.id}", data={"body": "x"}).status_code == 404


def test_review_queue_query_count_is_constant(factory, db, login, count_queries):
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    _followup(db, factory.lead(owner=consultant), consultant)
    db.session.commit()
    client = login(manager)
    with count_queries() as one:
        client.get("/review")
    for _i in range(49):
        _followup(db, factory.lead(owner=consultant), consultant)
    db.session.commit()
    with count_queries() as fifty:
        client.get("/review")
    assert one.count == fifty.count


def test_review_queues_list_the_newest_unreviewed_first_per_store_and_for_the_director(factory, db):
    from app.followups.queries import review_queue

    north, south = factory.store(), factory.store()
    manager = factory.user("manager", north)
    director = factory.user("director", None)
    now = utcnow()
    made = {}
    for store, label in ((north, "北"), (south, "南")):
        consultant = factory.user("consultant", store)
        for hours in (5, 1, 3):
            f = _followup(db, factory.lead(owner=consultant), consultant, content=f"{label}{hours}")
            f.occurred_at = now - timedelta(hours=hours)
            made[f.content] = f
    made["北3"].reviewed_at = now  # reviewed: out of every queue
    db.session.commit()
    assert [row.FollowUp.content for row in review_queue(manager)] == ["北1", "北5"]
    # at the same time, the later entry first
    assert [row.FollowUp.content for row in review_queue(director)] == ["南1", "北1", "南3", "南5", "北5"]
    assert [row.FollowUp.content for row in review_queue(director, limit=2)] == ["南1", "北1"]
    assert all(row.lead_name and row.user_name for row in review_queue(director))


@pytest.mark.parametrize("url", ["/review", "/approvals", "/reclaim"])
def test_consultant_gets_403_on_manager_pages(login_as, url):
    assert login_as("consultant").get(url).status_code == 403


@pytest.mark.parametrize("url", ["/pool", "/plans", "/review", "/approvals", "/"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_clerk_gets_403_on_plans_and_pool(login_as):
    clerk = login_as("clerk")
    assert clerk.get("/plans").status_code == 403
    assert clerk.get("/pool").status_code == 403


# ---- approvals: defeats and transfers -----------------------------------------------------


def _defeat(factory, db, requester, lead):
    req = request_defeat(lead, defeat_reasons()[0].id, "bought elsewhere", requester)
    db.session.commit()
    return req


def test_manager_confirms_a_defeat(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant)
    open_plan(lead, _today(), "x", assignee_id=consultant.id)
    req = _defeat(factory, db, consultant, lead)
    client = login(manager)
    assert "bought elsewhere" in client.get("/approvals").get_data(as_text=True)
    response = client.htmx(
        "post", f"/approvals/defeats/{req.id}", data={"decision": "approve", "comment": "ok"}
    )
    assert response.status_code == 200
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.stage_id == stage_by_code("lost").id and lead.next_plan_due is None
    assert db.session.get(DefeatRequest, req.id).status == DefeatStatus.CONFIRMED
    assert (
        db.session.execute(select(Notification.kind).where(Notification.user_id == consultant.id)).scalar()
        == "defeat"
    )


def test_reject_needs_a_comment_and_the_lead_stays(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant)
    req = _defeat(factory, db, consultant, lead)
    client = login(manager)
    assert client.htmx("post", f"/approvals/defeats/{req.id}", data={"decision": "reject"}).status_code == 422
    client.htmx("post", f"/approvals/defeats/{req.id}", data={"decision": "reject", "comment": "再跟一次"})
    db.session.expire_all()
    assert db.session.get(DefeatRequest, req.id).status == DefeatStatus.REJECTED
    assert db.session.get(Lead, lead.id).stage_id == stage_by_code("new").id
    assert "再跟一次" in login(consultant).get(f"/leads/{lead.id}/followups/new").get_data(as_text=True)


def test_manager_cannot_approve_their_own_defeat_request(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    lead = factory.lead(owner=manager)
    req = _defeat(factory, db, manager, lead)
    response = login(manager).htmx("post", f"/approvals/defeats/{req.id}", data={"decision": "approve"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(DefeatRequest, req.id).status == DefeatStatus.PENDING


def test_consultant_cannot_approve_a_defeat(factory, db, login):
    store = factory.store()
    consultant = factory.user("consultant", store)
    req = _defeat(factory, db, consultant, factory.lead(owner=consultant))
    response = login(consultant).htmx("post", f"/approvals/defeats/{req.id}", data={"decision": "approve"})
    assert response.status_code == 403


def test_transfer_approval_changes_the_owner(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    holder = factory.user("consultant", store)
    taker = factory.user("consultant", store)
    lead = factory.lead(owner=holder)
    open_plan(lead, _today(), "x", assignee_id=holder.id)
    req = TransferRequest(
        lead_id=lead.id,
        requested_by_id=taker.id,
        from_owner_id=holder.id,
        store_id=store.id,
        reason="客户是我朋友",
    )
    db.session.add(req)
    db.session.commit()
    response = login(manager).htmx("post", f"/approvals/transfers/{req.id}", data={"decision": "approve"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).owner_id == taker.id
    change = db.session.execute(select(OwnerChange)).scalar_one()
    assert change.kind == "transfer" and change.reason == "客户是我朋友"
    assert db.session.execute(select(Plan.assignee_id)).scalar_one() == taker.id


def test_lost_lead_can_be_tried_again(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    first = factory.user("consultant", store)
    second = factory.user("consultant", store)
    lead = factory.lead(owner=first, stage="lost", lost_at=utcnow())
    db.session.commit()
    response = login(manager).htmx("post", f"/reclaim/{lead.id}", data={"to_user": str(second.id)})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/reclaim"
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.owner_id == second.id and lead.stage_id == stage_by_code("new").id
    assert db.session.execute(select(OwnerChange.kind)).scalar_one() == "defeat_reassign"


# ---- assignment ---------------------------------------------------------------------------


def test_proposal_approval_assigns_notifies_and_emails(factory, db, login):
    store = factory.store(region="北京")
    marketing = factory.user("marketing", store)
    manager = factory.user("manager", store)
    c1 = factory.user("consultant", store, email="c1@example.com")
    c2 = factory.user("consultant", store, email="c2@example.com")
    leads = [factory.lead(store=store, region="北京", name=f"池客户{i}") for i in range(4)]
    important = factory.lead(store=store, is_important=True, name="大客户")
    db.session.commit()
    m = login(marketing)
    assert "池客户0" in m.get("/pool").get_data(as_text=True)
    response = m.htmx("post", "/pool/proposals", data={"lead": [str(x.id) for x in [*leads, important]]})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/pool?proposed=1"
    proposal = db.session.execute(select(AssignmentProposal)).scalar_one()
    items = db.session.execute(select(ProposalItem)).scalars().all()
    suggested = [i.suggested_user_id for i in items if i.lead_id != important.id]
    assert sorted(suggested) == sorted([c1.id, c1.id, c2.id, c2.id])
    imp = next(i for i in items if i.lead_id == important.id)
    assert imp.suggested_user_id is None and imp.reason == "important"

    mc = login(manager)
    assert "大客户" in mc.get(f"/approvals/proposals/{proposal.id}").get_data(as_text=True)
    response = mc.htmx(
        "post",
        f"/approvals/proposals/{proposal.id}",
        data={"decision": "approve", f"item-{imp.id}": str(c1.id)},
    )
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/approvals"
    db.session.expire_all()
    owners = dict(db.session.execute(select(Lead.id, Lead.owner_id)).all())
    assert owners[important.id] == c1.id and all(owners[x.id] in {c1.id, c2.id} for x in leads)
    assert all(k == "assign" for k in db.session.execute(select(OwnerChange.kind)).scalars())
    first = db.session.execute(select(Plan).where(Plan.kind == PlanKind.FIRST_CONTACT)).scalars().all()
    assert len(first) == 5 and all(p.status == PlanStatus.OPEN for p in first)
    assert db.session.get(Lead, important.id).first_contact_due_at is not None
    backends.SENT.clear()
    deliver_due(utcnow() + timedelta(seconds=1))
    db.session.commit()
    to = [msg.to for msg in backends.SENT]
    assert to.count("c1@example.com") == 3 and to.count("c2@example.com") == 2
    assert any("大客户" in msg.body for msg in backends.SENT)


def test_consultant_cannot_use_the_pool(login_as):
    c = login_as("consultant")
    assert c.get("/pool").status_code == 403
    assert c.post("/pool/proposals", data={"lead": ["1"]}).status_code == 403


# ---- reclaim ------------------------------------------------------------------------------


def test_reclaim_list_after_exactly_thirty_days(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    owner = factory.user("consultant", store)
    helper = factory.user("consultant", store, display_name="帮手")
    now = utcnow()
    old = factory.lead(
        owner=owner, name="三十天", last_effective_followup_at=now - timedelta(days=30, minutes=1)
    )
    factory.lead(owner=owner, name="二十九天", last_effective_followup_at=now - timedelta(days=29, hours=23))
    _followup(db, old, helper)
    db.session.commit()
    client = login(manager)
    html = client.get("/reclaim").get_data(as_text=True)
    assert "三十天" in html and "二十九天" not in html
    assert f'data-hx-get="/reclaim/{old.id}/reassign"' in html  # the row's choice, loaded when opened
    choice = client.htmx("get", f"/reclaim/{old.id}/reassign").get_data(as_text=True)
    assert f'<option value="{helper.id}" selected>' in choice  # suggests who did follow up
    client.htmx("post", f"/reclaim/{old.id}", data={"to_user": str(helper.id)})
    db.session.expire_all()
    assert db.session.get(Lead, old.id).owner_id == helper.id
    assert db.session.execute(select(OwnerChange.kind)).scalar_one() == "reclaim"


# ---- plans page ---------------------------------------------------------------------------


def test_plans_page_tabs_and_leave(factory, db, login):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, name="今天的客户")
    open_plan(lead, _today(), "call", assignee_id=consultant.id)
    other = factory.lead(owner=consultant, name="下周的客户")
    plan = open_plan(other, _today() + timedelta(days=2), "visit", assignee_id=consultant.id)
    db.session.commit()
    client = login(consultant)
    assert "今天的客户" in client.get("/plans").get_data(as_text=True)
    assert "下周的客户" in client.get("/plans?tab=upcoming").get_data(as_text=True)
    start, end = _today() + timedelta(days=1), _today() + timedelta(days=3)
    response = client.htmx(
        "post",
        "/plans/leave",
        data={
            "starts_on": start.isoformat(),
            "ends_on": end.isoformat(),
            "mode": "postpone",
            "reason": "年假",
        },
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).due_date == end + timedelta(days=1)
    assert db.session.get(Lead, other.id).next_plan_due == end + timedelta(days=1)
    response = client.htmx(
        "post",
        "/plans/leave",
        data={"starts_on": end.isoformat(), "ends_on": start.isoformat(), "mode": "postpone"},
    )
    assert response.status_code == 422


def test_leave_can_complete_the_plans(factory, db, login):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    plan = open_plan(lead, _today() + timedelta(days=1), "call", assignee_id=consultant.id)
    db.session.commit()
    login(consultant).htmx(
        "post",
        "/plans/leave",
        data={
            "starts_on": _today().isoformat(),
            "ends_on": (_today() + timedelta(days=2)).isoformat(),
            "mode": "complete",
        },
    )
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).status == PlanStatus.DONE


def test_manager_moves_plans_between_consultants(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    a, b = factory.user("consultant", store), factory.user("consultant", store)
    plan = open_plan(factory.lead(owner=a), _today(), "x", assignee_id=a.id)
    outsider = factory.user("consultant", factory.store())
    db.session.commit()
    client = login(manager)
    moved = client.htmx("post", "/plans/move", data={"plan": [str(plan.id)], "to_user": str(b.id)})
    assert moved.status_code == 200 and moved.headers["HX-Redirect"] == "/plans"
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).assignee_id == b.id
    response = client.htmx("post", "/plans/move", data={"plan": [str(plan.id)], "to_user": str(outsider.id)})
    assert response.status_code == 422
    assert (
        login(a).post("/plans/move", data={"plan": [str(plan.id)], "to_user": str(a.id)}).status_code == 403
    )


def test_month_progress_against_targets(factory, db, login):
    from app.invitations.models import MonthlyTarget

    consultant = factory.user("consultant")
    factory.lead(owner=consultant)
    factory.lead(owner=consultant)
    db.session.add(
        MonthlyTarget(
            month=_today().replace(day=1),
            store_id=consultant.store_id,
            user_id=consultant.id,
            metric="new_leads",
            value=4,
        )
    )
    db.session.commit()
    html = login(consultant).get("/").get_data(as_text=True)
    assert "2 / 4 (50%)" in html


def test_plans_page_query_count_is_constant(factory, db, login, count_queries):
    consultant = factory.user("consultant")
    open_plan(factory.lead(owner=consultant), _today(), "x", assignee_id=consultant.id)
    db.session.commit()
    client = login(consultant)
    with count_queries() as one:
        client.get("/plans")
    for _n in range(49):
        open_plan(factory.lead(owner=consultant), _today(), "x", assignee_id=consultant.id)
    db.session.commit()
    with count_queries() as fifty:
        html = client.get("/plans").get_data(as_text=True)
    assert one.count == fifty.count and html.count("plan-overdue") == 0


def test_consultant_on_leave_gets_no_suggestion(factory, db, login):
    from app.accounts.models import LeaveWindow

    store = factory.store(region="上海")
    marketing = factory.user("marketing", store)
    away = factory.user("consultant", store)
    here = factory.user("consultant", store)
    db.session.add(
        LeaveWindow(
            user_id=away.id, starts_on=_today() - timedelta(days=1), ends_on=_today() + timedelta(days=3)
        )
    )
    leads = [factory.lead(store=store, region="上海") for _i in range(3)]
    db.session.commit()
    login(marketing).htmx("post", "/pool/proposals", data={"lead": [str(x.id) for x in leads]})
    suggested = set(db.session.execute(select(ProposalItem.suggested_user_id)).scalars())
    assert suggested == {here.id}
    assert db.session.execute(select(Notification.user_id)).first() is None or away.id not in set(
        db.session.execute(select(Notification.user_id)).scalars()
    )


def test_a_managers_own_proposal_opens_for_approval_at_once(factory, db, login):
    store = factory.store()
    manager = factory.user("manager", store)
    factory.user("consultant", store)
    leads = [factory.lead(store=store) for _i in range(2)]
    db.session.commit()
    response = login(manager).htmx("post", "/pool/proposals", data={"lead": [str(x.id) for x in leads]})
    proposal = db.session.execute(select(AssignmentProposal)).scalar_one()
    assert (
        response.status_code == 200
        and response.headers["HX-Redirect"] == f"/approvals/proposals/{proposal.id}"
    )
