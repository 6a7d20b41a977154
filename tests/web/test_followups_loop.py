"""Logging follow-ups on a lead: next plan mandatory, effectiveness, plans, scope, conflicts."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.admin.reference import grade_by_code, stage_by_code
from app.core.errors import DomainError
from app.core.timeutil import local_today, utcnow
from app.followups import services
from app.followups.models import FollowUp, Plan, PlanKind, PlanStatus
from app.followups.plans import open_plan
from app.leads.models import Lead


def _today():
    return local_today(utcnow())


def _form(lead, **kw):
    data = {
        "method": "phone",
        "result": "reached",
        "content": "talked about the test drive",
        "grade_id": str(lead.grade_id),
        "version": str(lead.version),
        "next_due": (_today() + timedelta(days=3)).isoformat(),
        "next_content": "call back",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def setup(factory, db, login):
    store = factory.store()
    consultant = factory.user("consultant", store)
    # H buys within 7 days: grade and expected purchase date agree.
    lead = factory.lead(owner=consultant, grade="H", expected_purchase_date=_today() + timedelta(days=5))
    db.session.commit()
    return consultant, lead, login(consultant)


def test_logging_a_followup_opens_the_next_plan_and_updates_the_lead(setup, db):
    consultant, lead, client = setup
    response = client.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "data-followup-saved" in response.get_data(as_text=True)
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    followup = db.session.execute(select(FollowUp)).scalar_one()
    assert followup.is_effective and followup.user_id == consultant.id
    assert lead.next_plan_due == _today() + timedelta(days=3)
    assert lead.last_effective_followup_at is not None and lead.first_contacted_at is not None
    assert lead.stage_id == stage_by_code("contacted").id
    plan = db.session.execute(select(Plan)).scalar_one()
    assert (
        plan.status == PlanStatus.OPEN and plan.content == "call back" and plan.assignee_id == consultant.id
    )


@pytest.mark.parametrize("missing", ["next_due", "next_content"])
def test_no_next_plan_is_refused_with_422_and_nothing_saved(setup, db, missing):
    _consultant, lead, client = setup
    response = client.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead, **{missing: ""}))
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.execute(select(FollowUp)).first() is None
    assert db.session.execute(select(Plan)).first() is None


def test_no_next_plan_is_refused_by_the_service(setup, db):
    consultant, lead, _client = setup
    with pytest.raises(DomainError) as err:
        services.log_followup(lead, services.FollowUpInput(method="phone", result="not_reached"), consultant)
    assert err.value.code == "next_plan_required"


def test_won_lead_needs_no_next_plan(factory, db, login):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, stage="won")
    db.session.commit()
    response = login(consultant).htmx(
        "post", f"/leads/{lead.id}/followups", data=_form(lead, next_due="", next_content="")
    )
    assert response.status_code == 200
    assert db.session.execute(select(Plan)).first() is None


def test_later_than_cadence_needs_a_reason(setup, db):
    _consultant, lead, client = setup  # H: 3 days
    late = (_today() + timedelta(days=10)).isoformat()
    response = client.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead, next_due=late))
    assert response.status_code == 422
    assert "late_reason-error" in response.get_data(as_text=True)
    response = client.htmx(
        "post",
        f"/leads/{lead.id}/followups",
        data=_form(lead, next_due=late, late_reason="customer travelling"),
    )
    assert response.status_code == 200
    assert db.session.execute(select(Plan.late_reason)).scalar_one() == "customer travelling"


def test_lower_grade_in_the_same_form_allows_its_longer_cadence(setup, db):
    _consultant, lead, client = setup
    response = client.htmx(
        "post",
        f"/leads/{lead.id}/followups",
        data=_form(
            lead,
            grade_id=str(grade_by_code("C").id),
            expected_purchase_date=(_today() + timedelta(days=45)).isoformat(),
            next_due=(_today() + timedelta(days=30)).isoformat(),
        ),
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).grade_id == grade_by_code("C").id


def test_unanswered_call_is_not_effective(setup, db):
    _consultant, lead, client = setup
    response = client.htmx(
        "post", f"/leads/{lead.id}/followups", data=_form(lead, result="not_reached", content="no answer")
    )
    assert response.status_code == 200
    followup = db.session.execute(select(FollowUp)).scalar_one()
    assert not followup.is_effective
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.last_effective_followup_at is None and lead.last_followup_at is not None
    assert lead.stage_id == stage_by_code("new").id


def test_reached_without_content_is_refused(setup, db):
    _consultant, lead, client = setup
    response = client.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead, content=""))
    assert response.status_code == 422
    assert "content-error" in response.get_data(as_text=True)


def test_followup_completes_the_open_plan_it_answers(setup, db):
    consultant, lead, client = setup
    old = open_plan(lead, _today(), "call", assignee_id=consultant.id)
    lead.first_contact_due_at = utcnow() + timedelta(hours=3)
    db.session.commit()
    response = client.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead, plan_id=str(old.id)))
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Plan, old.id).status == PlanStatus.DONE
    assert db.session.execute(select(FollowUp.plan_id)).scalar_one() == old.id
    lead = db.session.get(Lead, lead.id)
    assert lead.first_contact_due_at is None
    open_plans = db.session.execute(select(Plan).where(Plan.status == PlanStatus.OPEN)).scalars().all()
    assert len(open_plans) == 1 and lead.next_plan_due == open_plans[0].due_date


def test_stale_version_answers_409_and_saves_nothing(setup, db):
    _consultant, lead, client = setup
    response = client.htmx(
        "post", f"/leads/{lead.id}/followups", data=_form(lead, version=str(lead.version + 5))
    )
    assert response.status_code == 409
    assert db.session.execute(select(FollowUp)).first() is None


def test_grade_change_recomputes_the_open_plan(factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, grade="C")
    open_plan(lead, _today() + timedelta(days=30), "call", assignee_id=consultant.id)
    services.change_grade(lead, grade_by_code("H").id, consultant)
    db.session.commit()
    assert db.session.execute(select(Plan.due_date)).scalar_one() == _today() + timedelta(days=3)
    assert lead.next_plan_due == _today() + timedelta(days=3)


def test_another_consultants_lead_is_404(setup, factory, db, login_as):
    _consultant, lead, _client = setup
    other = login_as("consultant")
    assert other.get(f"/leads/{lead.id}/followups/new").status_code == 404
    assert other.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead)).status_code == 404
    assert (
        other.htmx("post", f"/leads/{lead.id}/defeat", data={"reason_id": "1", "detail": "x"}).status_code
        == 404
    )


def test_clerk_cannot_log(setup, db, login_as, factory):
    _consultant, lead, _client = setup
    clerk = login_as("clerk", store=db.session.get(Lead, lead.id).store)
    assert clerk.get(f"/leads/{lead.id}/followups/new").status_code == 403


def test_anonymous_goes_to_login(client, setup):
    _consultant, lead, _client = setup
    response = client.get(f"/leads/{lead.id}/followups/new")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_followup_page_shows_the_form_with_the_cadence_date(setup):
    _consultant, lead, client = setup
    html = client.get(f"/leads/{lead.id}/followups/new").get_data(as_text=True)
    assert 'id="followup-form"' in html
    assert (_today() + timedelta(days=3)).isoformat() in html


def test_defeat_request_from_the_panel(setup, db, factory):
    consultant, lead, client = setup
    manager = factory.user("manager", db.session.get(Lead, lead.id).store)
    db.session.commit()
    from app.admin.reference import defeat_reasons

    response = client.htmx(
        "post",
        f"/leads/{lead.id}/defeat",
        data={"reason_id": str(defeat_reasons()[0].id), "detail": "bought elsewhere"},
    )
    assert response.status_code == 200
    from app.followups.models import DefeatRequest, Notification

    assert db.session.execute(select(DefeatRequest.requested_by_id)).scalar_one() == consultant.id
    assert db.session.execute(select(Notification.user_id)).scalar_one() == manager.id


def test_log_followup_does_a_constant_number_of_queries(setup, db, count_queries):
    consultant, lead, client = setup
    for _n in range(3):
        open_plan(lead, _today(), "x", assignee_id=consultant.id, kind=PlanKind.FOLLOW_UP)
    db.session.commit()
    with count_queries() as few:
        client.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead))
    lead2 = db.session.get(Lead, lead.id)
    for _n in range(30):
        open_plan(lead2, _today(), "x", assignee_id=consultant.id, kind=PlanKind.FOLLOW_UP)
    db.session.commit()
    with count_queries() as many:
        client.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead2))
    assert many.count <= few.count + 2  # the UPDATE of plans is batched by the ORM per row set


def test_expected_purchase_date_updates(setup, db):
    _consultant, lead, client = setup
    later = _today() + timedelta(days=6)
    client.htmx(
        "post", f"/leads/{lead.id}/followups", data=_form(lead, expected_purchase_date=later.isoformat())
    )
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).expected_purchase_date == later


def test_panel_and_timeline_sources_are_registered(setup, db, factory, app):
    from app.leads.panels import panels, timeline_sources

    consultant, lead, _client = setup
    manager = factory.user("manager", db.session.get(Lead, lead.id).store)
    followup = FollowUp(
        lead_id=lead.id,
        user_id=consultant.id,
        store_id=lead.store_id,
        method="phone",
        result="reached",
        content="聊了配置",
        occurred_at=utcnow(),
        is_effective=True,
    )
    db.session.add(followup)
    db.session.flush()
    services.comment_on_followup(followup, "好", manager)
    open_plan(lead, _today(), "call", assignee_id=consultant.id)
    db.session.commit()
    assert "followups" in [name for _o, name, _f in panels()]
    sources = dict(timeline_sources())
    with app.test_request_context("/"):
        entries = sources["followups"]([lead.id]) + sources["plans"]([lead.id])
    kinds = sorted(e.kind for e in entries)
    assert kinds == ["comment", "followup", "plan"]
    assert next(e for e in entries if e.kind == "followup").extra["comments"][0]["body"] == "好"


@pytest.mark.postgres_only
def test_two_simultaneous_followups_on_one_version_save_once(setup, db, app):
    import threading

    _consultant, lead, client = setup
    from tests.factories import TEST_PASSWORD

    clients = []
    for _n in range(2):
        c = app.test_client()
        c.post("/login", data={"username": _consultant.username, "password": TEST_PASSWORD})
        clients.append(c)
    barrier = threading.Barrier(2)
    codes = []
    version_before = lead.version

    def post(c):
        with app.app_context():
            barrier.wait()
            codes.append(
                c.post(
                    f"/leads/{lead.id}/followups", data=_form(lead), headers={"HX-Request": "true"}
                ).status_code
            )

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    saved = db.session.execute(select(FollowUp)).scalars().all()
    assert len(saved) == codes.count(200)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).version == version_before + 1


def test_from_the_lead_page_the_answer_refreshes_its_timeline_badges_and_next_plan(setup, db):
    _consultant, lead, client = setup
    page = f"http://localhost/leads/{lead.id}"
    response = client.htmx(
        "post",
        f"/leads/{lead.id}/followups",
        headers={"HX-Current-URL": page},
        data=_form(lead, content="客户想周六来试驾", grade_id=str(grade_by_code("A").id)),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    timeline = html[html.index('id="lead-timeline"') :]
    assert 'data-hx-swap-oob="outerHTML"' in timeline[:120] and "客户想周六来试驾" in timeline
    badges = html[html.index('id="lead-badges"') : html.index('id="lead-badges"') + 200]
    assert 'data-hx-swap-oob="outerHTML"' in badges and ">A<" in badges
    next_plan = html[html.index('id="lead-next-plan"') : html.index('id="lead-next-plan"') + 120]
    assert (_today() + timedelta(days=3)).isoformat().replace("-", "") in next_plan.replace("-", "").replace(
        "/", ""
    )


def test_from_a_page_of_its_own_the_answer_is_the_panel_only(setup, db):
    _consultant, lead, client = setup
    elsewhere = f"http://localhost/leads/{lead.id}/followups/new"
    response = client.htmx(
        "post", f"/leads/{lead.id}/followups", headers={"HX-Current-URL": elsewhere}, data=_form(lead)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "data-followup-saved" in html
    assert "hx-swap-oob" not in html and 'id="lead-timeline"' not in html


def test_a_refused_followup_leaves_the_lead_page_alone(setup, db):
    _consultant, lead, client = setup
    response = client.htmx(
        "post",
        f"/leads/{lead.id}/followups",
        headers={"HX-Current-URL": f"/leads/{lead.id}"},
        data=_form(lead, next_due=""),
    )
    assert response.status_code == 422 and "hx-swap-oob" not in response.get_data(as_text=True)


def test_a_reached_followup_is_written_in_one_flush_and_counted_right(setup, db, count_queries):
    """The follow-up, the answered and the next plan, the move to contacted and the lead's dates go
    out in one flush: the report aggregates work out the lead's contribution once before and once
    after it, and still equal a recount of the raw rows."""
    from tests.web.test_reports_aggregates import assert_rollups_equal, recount, stored

    consultant, lead, client = setup
    open_plan(lead, _today() + timedelta(days=1), "first call", assignee_id=consultant.id)
    db.session.commit()
    assert lead.stage_id == stage_by_code("new").id
    with count_queries() as counter:
        response = client.htmx("post", f"/leads/{lead.id}/followups", data=_form(lead))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert sum(1 for s in counter.statements if ") AS facts" in s) == 2
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.stage_id == stage_by_code("contacted").id
    assert lead.next_plan_due == _today() + timedelta(days=3)
    plans = db.session.execute(select(Plan).order_by(Plan.id)).scalars().all()
    assert [p.status for p in plans] == [PlanStatus.DONE, PlanStatus.OPEN]
    stats = stored(db)
    assert stats == recount(db)
    assert_rollups_equal(db, stats)
