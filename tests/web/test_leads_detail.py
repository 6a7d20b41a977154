"""Lead detail, timeline, panels, reveal, edit with optimistic locking, and the scope sweep."""

import json
import re
from datetime import timedelta

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from app.admin.reference import grade_by_code, vehicle_models
from app.audit.models import AuditLog
from app.core.timeutil import utcnow
from app.leads import panels as panel_registry
from app.leads.editing import form_values
from app.leads.models import Lead, LeadTouch, OwnerChange, StageChange
from app.pipeline.stages import set_stage
from app.showroom.models import ShowroomVisit
from tests.helpers_leads import PHONE_RE, digits_only


def _edit_data(lead, **changes):
    data = {k: ("" if v is None else ("y" if v is True else v)) for k, v in form_values(lead).items()}
    data = {k: v for k, v in data.items() if v is not False}
    data["model"] = data["model"] or str(vehicle_models()[0].id)
    data.update(version=str(lead.version), original=json.dumps(form_values(lead), ensure_ascii=False))
    data.update(changes)
    return data


def test_detail_shows_fields_and_a_merged_timeline_newest_first(login, factory, db):
    consultant = factory.user("consultant", display_name="王丽")
    lead = factory.lead(owner=consultant, name="张三", notes="周末看车")
    now = utcnow()
    db.session.add(
        OwnerChange(
            lead_id=lead.id,
            to_user_id=consultant.id,
            kind="assign",
            reason="created",
            created_at=now - timedelta(days=3),
        )
    )
    db.session.add(
        LeadTouch(
            lead_id=lead.id, source_channel_id=lead.source_channel_id, created_at=now - timedelta(days=4)
        )
    )
    db.session.add(
        ShowroomVisit(
            store_id=lead.store_id,
            lead_id=lead.id,
            arrived_at=now - timedelta(days=1),
            party_size=3,
            consultant_id=consultant.id,
        )
    )
    set_stage(lead, "contacted", consultant, now=now - timedelta(days=2))
    db.session.commit()
    html = login(consultant).get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "张三" in html and "周末看车" in html and "王丽" in html
    order = [html.index(f"timeline-{kind}") for kind in ("visit", "stage", "owner", "touch")]
    assert order == sorted(order)


def test_the_leads_own_history_is_one_statement_and_reads_as_before(login, factory, db, app, count_queries):
    """Owner changes, stage moves, touches and visits come from one statement; each kind keeps its
    words, its times as datetimes and its visit's departure."""
    from app.leads.timeline import lead_history

    consultant = factory.user("consultant", display_name="王丽")
    other_store = factory.store(name="上海浦东店")
    lead = factory.lead(owner=consultant, name="李四")
    now = utcnow().replace(microsecond=0)
    db.session.add_all(
        [
            OwnerChange(
                lead_id=lead.id,
                to_user_id=consultant.id,
                kind="assign",
                reason="created",
                created_at=now - timedelta(days=5),
            ),
            LeadTouch(
                lead_id=lead.id,
                source_channel_id=lead.source_channel_id,
                source_detail="https://example.com/ad?utm=spring",
                created_at=now - timedelta(days=4),
            ),
            LeadTouch(
                lead_id=lead.id,
                source_channel_id=lead.source_channel_id,
                store_id=other_store.id,
                payload={"other_store": True},
                created_at=now - timedelta(days=3),
            ),
            ShowroomVisit(
                store_id=lead.store_id,
                lead_id=lead.id,
                arrived_at=now - timedelta(days=1),
                left_at=now - timedelta(days=1) + timedelta(minutes=40),
                party_size=3,
                is_first_visit=False,
                notes="带家人",
                consultant_id=consultant.id,
            ),
        ]
    )
    set_stage(lead, "contacted", consultant, now=now - timedelta(days=2))
    db.session.commit()

    with app.test_request_context("/"):
        entries = sorted(lead_history([lead.id]), key=lambda e: e.at)
    assert [e.kind for e in entries] == ["owner", "touch", "touch", "stage", "visit"]
    owner, touch, elsewhere, stage, visit = entries
    assert owner.at == now - timedelta(days=5) and "王丽" in owner.title
    assert touch.body == "https://example.com/ad?utm=spring" and touch.user is None
    assert "上海浦东店" in elsewhere.title
    assert stage.user == "王丽"
    assert visit.extra["left_at"] == now - timedelta(days=1) + timedelta(minutes=40)
    assert "带家人" in visit.body and "3" in visit.body

    client = login(consultant)
    client.get(f"/leads/{lead.id}")
    with count_queries() as counter:
        html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    history = [
        s
        for s in counter.statements
        if re.search(r"\b(owner_changes|stage_changes|lead_touches|showroom_visits)\b", s)
    ]
    assert len(history) == 1
    assert "上海浦东店" in html and "带家人" in html and "https://example.com/ad?utm=spring" in html


def test_registered_panels_render_in_order(login, factory, db, app, tmp_path):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    db.session.commit()
    saved = list(panel_registry._PANELS)
    try:
        panel_registry.register_panel(900, "test-b")(
            lambda lead, user: ("leads/_test_panel.html", {"text": "PANEL-B"})
        )
        panel_registry.register_panel(899, "test-a")(
            lambda lead, user: ("leads/_test_panel.html", {"text": "PANEL-A"})
        )
        panel_registry.register_panel(901, "test-none")(lambda lead, user: None)
        original_loader = app.jinja_env.loader
        app.jinja_env.loader = ChoiceLoader(
            [DictLoader({"leads/_test_panel.html": "<p>{{ text }} {{ lead.id }}</p>"}), original_loader]
        )
        html = login(consultant).get(f"/leads/{lead.id}").get_data(as_text=True)
        assert html.index("PANEL-A") < html.index("PANEL-B")
        assert f"PANEL-A {lead.id}" in html
    finally:
        panel_registry._PANELS[:] = saved
        app.jinja_env.loader = original_loader


def test_detail_masks_the_phone_for_non_owners_and_reveal_is_audited(login, login_as, factory, db):
    store = factory.store()
    consultant = factory.user("consultant", store=store)
    lead = factory.lead(owner=consultant, phone="+8613800138000")
    db.session.commit()
    assert "138 0013 8000" in login(consultant).get(f"/leads/{lead.id}").get_data(as_text=True)
    for role in ("marketing", "clerk"):
        client = login_as(role, store=store)
        html = digits_only(client.get(f"/leads/{lead.id}").get_data(as_text=True))
        assert "138****8000" in html and not PHONE_RE.search(html)
        assert "/reveal" not in html
        assert client.post(f"/leads/{lead.id}/reveal").status_code == 403
    manager = login_as("manager", store=store)
    html = manager.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert not PHONE_RE.search(digits_only(html)) and f"/leads/{lead.id}/reveal" in html
    response = manager.htmx("post", f"/leads/{lead.id}/reveal")
    assert response.status_code == 200 and "138 0013 8000" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "lead.reveal_phone")).scalar_one()
    assert audit.user_id == manager.user.id and audit.object_id == str(lead.id)


def test_detail_query_count_does_not_grow_with_history(login, factory, db, count_queries):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    db.session.commit()
    client = login(consultant)
    url = f"/leads/{lead.id}"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    now = utcnow()
    for _ in range(50):
        db.session.add(LeadTouch(lead_id=lead.id, source_channel_id=lead.source_channel_id, created_at=now))
        db.session.add(OwnerChange(lead_id=lead.id, to_user_id=consultant.id, kind="assign", created_at=now))
        db.session.add(
            StageChange(lead_id=lead.id, to_stage_id=lead.stage_id, store_id=lead.store_id, created_at=now)
        )
        db.session.add(ShowroomVisit(store_id=lead.store_id, lead_id=lead.id, arrived_at=now))
    db.session.commit()
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert few.count == many.count


def test_edit_saves_and_audits(login, factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    db.session.commit()
    client = login(consultant)
    assert client.get(f"/leads/{lead.id}/edit").status_code == 200
    response = client.post(f"/leads/{lead.id}/edit", data=_edit_data(lead, name="张伟伟", region="海淀"))
    assert response.status_code == 303 and response.headers["Location"] == f"/leads/{lead.id}"
    db.session.expire_all()
    saved = db.session.get(Lead, lead.id)
    assert saved.name == "张伟伟" and saved.region == "海淀" and saved.version == 2
    assert db.session.execute(select(AuditLog.detail).where(AuditLog.action == "lead.edit")).scalar_one() == {
        "fields": ["name", "model", "region"]
    }


def test_edit_validation_errors_come_back_with_422(login, factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    db.session.commit()
    response = login(consultant).post(f"/leads/{lead.id}/edit", data=_edit_data(lead, name="", email="nope"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请输入客户姓名" in html and "请输入有效的邮箱地址" in html


def test_two_saves_of_the_same_version_one_wins_the_other_sees_both_values(login, factory, db):
    consultant = factory.user("consultant")
    manager = factory.user("manager")
    lead = factory.lead(owner=consultant, notes="原备注")
    db.session.commit()
    stale = _edit_data(lead, notes="顾问的备注", grade=str(grade_by_code("B").id))  # B: buys within 30 days
    first = login(manager).post(f"/leads/{lead.id}/edit", data=_edit_data(lead, notes="经理的备注"))
    assert first.status_code == 303
    second = login(consultant).post(f"/leads/{lead.id}/edit", data=stale)
    html = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "经理的备注" in html and "顾问的备注" in html
    assert 'name="version" type="hidden" value="2"' in html or 'value="2"' in html
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).notes == "经理的备注"
    assert db.session.get(Lead, lead.id).grade_id == grade_by_code("A").id
    # Re-applying with the new version shown in the 409 form wins.
    reapply = dict(
        stale,
        version="2",
        original=json.dumps(form_values(db.session.get(Lead, lead.id)), ensure_ascii=False),
    )
    assert login(consultant).post(f"/leads/{lead.id}/edit", data=reapply).status_code == 303
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).notes == "顾问的备注"


def test_clerk_cannot_edit(login_as, factory, db):
    client = login_as("clerk")
    lead = factory.lead(store=db.session.get(type(client.user), client.user.id).store)
    db.session.commit()
    assert client.get(f"/leads/{lead.id}/edit").status_code == 403


LEAD_ROUTES = [
    ("get", "/leads/{id}"),
    ("get", "/leads/{id}/edit"),
    ("post", "/leads/{id}/edit"),
    ("post", "/leads/{id}/reveal"),
    ("post", "/leads/{id}/transfer"),
    ("post", "/leads/{id}/anonymise"),
]


@pytest.mark.parametrize("method,url", LEAD_ROUTES)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_consultants_lead_is_404_everywhere(login, factory, db, method, url, htmx):
    store = factory.store()
    me = factory.user("consultant", store=store)
    other = factory.user("consultant", store=store)
    lead = factory.lead(owner=other)
    db.session.commit()
    client = login(me)
    path = url.format(id=lead.id)
    response = (
        client.htmx(method, path, data={}) if htmx else client.open(path, method=method.upper(), data={})
    )
    # Anonymise is admin-only: a consultant gets 403 before any lookup, which leaks nothing either.
    expected = 403 if url.endswith("anonymise") else 404
    assert response.status_code == expected
    assert lead.name not in response.get_data(as_text=True)


def test_other_store_is_404_for_a_manager(login_as, factory, db):
    lead = factory.lead(owner=factory.user("consultant", store=factory.store()))
    db.session.commit()
    client = login_as("manager", store=factory.store())
    db.session.commit()
    assert client.get(f"/leads/{lead.id}").status_code == 404
    assert client.get(f"/leads/{lead.id}/edit").status_code == 404


def test_anonymous_is_redirected_from_lead_pages(client, factory, db):
    lead = factory.lead()
    db.session.commit()
    for path in (f"/leads/{lead.id}", "/leads", "/leads/merge"):
        response = client.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_htmx_edit_conflict_answers_with_the_form_fragment(login, factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, notes="原备注")
    db.session.commit()
    stale = _edit_data(lead, notes="我的备注")
    lead.notes = "别人的备注"
    db.session.commit()
    response = login(consultant).htmx("post", f"/leads/{lead.id}/edit", data=stale)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" not in html
    assert "别人的备注" in html and "我的备注" in html


def test_editing_the_grade_moves_the_open_plan_to_the_new_cadence(login, factory, db):
    from app.admin.reference import grade_by_code
    from app.core.timeutil import local_today
    from app.followups.models import Plan, PlanKind
    from app.followups.plans import open_plan

    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, grade="C")
    today = local_today()
    plan = open_plan(lead, today + timedelta(days=30), "回访", kind=PlanKind.FOLLOW_UP)
    db.session.commit()
    response = login(consultant).post(
        f"/leads/{lead.id}/edit",
        data=_edit_data(
            lead, grade=grade_by_code("H").id, expected_purchase_date=(today + timedelta(days=5)).isoformat()
        ),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).due_date <= today + timedelta(days=3)


def test_detail_reads_followups_comments_and_plans_once(login, factory, db, count_queries):
    """The timeline and the follow-up panel share the lead's follow-ups, comments and plans."""
    from app.followups.models import FollowUp, ManagerComment, Plan, PlanStatus
    from app.followups.plans import open_plan

    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    today = utcnow().date()
    open_plan(lead, today + timedelta(days=9), "later call", assignee_id=consultant.id)
    open_plan(lead, today + timedelta(days=2), "first call", assignee_id=consultant.id)
    for n in range(7):
        f = FollowUp(
            lead_id=lead.id,
            user_id=consultant.id,
            store_id=lead.store_id,
            method="phone",
            result="reached",
            content=f"talk {n}",
            occurred_at=utcnow() - timedelta(hours=n),
            is_effective=True,
        )
        db.session.add(f)
        db.session.flush()
        db.session.add(
            ManagerComment(followup_id=f.id, lead_id=lead.id, author_id=consultant.id, body=f"ok {n}")
        )
    db.session.commit()
    open_count = len(db.session.execute(select(Plan).where(Plan.status == PlanStatus.OPEN)).scalars().all())
    client = login(consultant)
    client.get(f"/leads/{lead.id}")
    with count_queries() as counter:
        html = client.get(f"/leads/{lead.id}").get_data(as_text=True)

    def reads(table: str) -> int:
        return sum(1 for s in counter.statements if re.search(rf"\bFROM {table}\b", s))

    assert (reads("followups"), reads("manager_comments"), reads("plans")) == (1, 1, 1)
    panel = html[html.index('class="plan-list"') :]
    assert open_count >= 2 and panel.index("first call") < panel.index("later call")  # earliest first
    recent = html[html.index('class="followup-recent"') :]
    assert "talk 0" in recent and "talk 4" in recent and "talk 5" not in recent.split("</ol>")[0]


def test_detail_reads_invitations_once(login, factory, db, count_queries):
    """The timeline and the invitations panel share the lead's invitations: the panel lists every
    one (latest event first), the timeline the answered and the attended ones."""
    import secrets

    from app.invitations.models import Event, Invitation

    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    now = utcnow()
    for n, (theme, status, responded, arrived) in enumerate(
        [
            ("试驾日", "accepted", now - timedelta(days=3), now - timedelta(days=1)),
            ("新车上市", "declined", now - timedelta(days=2), None),
            ("车主沙龙", "invited", None, None),
        ]
    ):
        event = Event(
            store_id=lead.store_id,
            theme=theme,
            type="launch",
            starts_at=now + timedelta(days=n),
            ends_at=now + timedelta(days=n, hours=2),
        )
        db.session.add(event)
        db.session.flush()
        db.session.add(
            Invitation(
                event_id=event.id,
                lead_id=lead.id,
                store_id=lead.store_id,
                token=secrets.token_hex(8),
                token_expires_at=now + timedelta(days=30),
                status=status,
                responded_at=responded,
                headcount=2,
                checked_in_at=arrived,
                actual_headcount=3 if arrived else None,
            )
        )
    db.session.commit()
    client = login(consultant)
    client.get(f"/leads/{lead.id}")
    with count_queries() as counter:
        html = client.get(f"/leads/{lead.id}").get_data(as_text=True)

    assert sum(1 for s in counter.statements if re.search(r"\bFROM invitations\b", s)) == 1
    panel = html[html.index('class="card panel-invitations"') :]
    assert panel.index("车主沙龙") < panel.index("新车上市") < panel.index("试驾日")  # latest event first
    timeline = html[html.index('id="lead-timeline"') :].split("</section>")[0]
    assert "新车上市" in timeline and "试驾日" in timeline and "车主沙龙" not in timeline
    assert "3 人" in timeline or "3 people" in timeline  # arrived with the counted party
