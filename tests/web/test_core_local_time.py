"""Dates people read are the store's dates: the time-sensitive paths with the clock frozen at
00:30 and at 23:30 in Shanghai (16:30 and 15:30 UTC), where a UTC "today" is a day off."""

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from app.core.timeutil import local_today, now_local, to_local, today_for, utcnow, zone_for
from app.extensions import db
from app.followups.models import Notification, Plan, PlanKind
from app.followups.plans import open_plan
from app.showroom.models import ShowroomVisit
from tests.helpers_invite import make_event, make_invitation

# (frozen naive UTC instant, the store's local date at that instant)
INSTANTS = [
    pytest.param(datetime(2026, 11, 30, 16, 30), date(2026, 12, 1), id="00:30 in Shanghai"),
    pytest.param(datetime(2026, 11, 30, 15, 30), date(2026, 11, 30), id="23:30 in Shanghai"),
]


@pytest.fixture
def people(factory):
    store = factory.store("SH01", timezone="Asia/Shanghai")
    consultant = factory.user("consultant", store, display_name="王丽")
    manager = factory.user("manager", store)
    clerk = factory.user("clerk", store)
    db.session.commit()
    return {"store": store, "consultant": consultant, "manager": manager, "clerk": clerk}


def test_the_one_clock_answers_for_users_stores_and_records(people, factory):
    store, consultant = people["store"], people["consultant"]
    urumqi = factory.store("XJ01", timezone="Asia/Urumqi")
    lead = factory.lead(owner=consultant)
    director = factory.user("director")
    moment = datetime(2026, 11, 30, 16, 30)
    assert zone_for(store) == zone_for(consultant) == zone_for(lead) == zone_for(store.id) == "Asia/Shanghai"
    assert zone_for(urumqi) == "Asia/Urumqi"
    assert zone_for(director) == zone_for(None) == "Asia/Shanghai"  # LEADLOOP_TIMEZONE
    assert today_for(consultant, moment) == date(2026, 12, 1)
    assert today_for(urumqi, moment) == date(2026, 11, 30)  # 22:30 in Urumqi
    assert now_local(lead, moment).hour == 0 and now_local(lead, moment).minute == 30


def test_only_the_clock_module_knows_the_default_zone():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if str(path.relative_to(root)) in ("config.py", "admin/forms.py", "core/timeutil.py"):
            continue  # the setting's default, the administrator's list of zones, the clock itself
        if (
            "Asia/Shanghai" in text
            or re.search(r"config(\.get)?\(?\[?[\"']TIMEZONE", text)
            or re.search(r"store\.timezone\b", text)
        ):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


@pytest.mark.parametrize(("moment", "local_day"), INSTANTS)
def test_dashboard_plans_of_today(people, factory, login, moment, local_day):
    consultant = people["consultant"]
    lead = factory.lead(owner=consultant)
    other = factory.lead(owner=consultant)
    open_plan(lead, local_day, "今天", assignee_id=consultant.id)
    open_plan(other, local_day - timedelta(days=1), "昨天", assignee_id=consultant.id)
    db.session.commit()
    with freeze_time(moment):
        page = login(consultant).get("/").get_data(as_text=True)
    assert 'data-count="due_today">1<' in page
    assert 'data-count="overdue">1<' in page


@pytest.mark.parametrize(("moment", "local_day"), INSTANTS)
def test_order_date_defaults_to_the_store_day(app, people, moment, local_day):
    from flask_login import login_user

    from app.pipeline.forms import OrderForm

    with freeze_time(moment), app.test_request_context("/"):
        login_user(people["consultant"])
        assert OrderForm().order_date.data == local_day


@pytest.mark.parametrize(("moment", "local_day"), INSTANTS)
def test_first_contact_plan_and_deadline_text(people, factory, moment, local_day):
    from app.followups.assignment import assign_lead
    from app.leads.entry import start_first_contact

    consultant, manager = people["consultant"], people["manager"]
    lead = factory.lead(owner=consultant)
    start_first_contact(lead, now=moment)
    plan = db.session.execute(select(Plan).where(Plan.lead_id == lead.id)).scalar_one()
    assert plan.due_date == local_day and plan.kind == PlanKind.FIRST_CONTACT

    other = factory.lead(owner=None)
    with freeze_time(moment):
        assign_lead(other, consultant, manager, now=moment)
    deadline = other.first_contact_due_at
    plan = db.session.execute(
        select(Plan).where(Plan.lead_id == other.id, Plan.status == "open")
    ).scalar_one()
    assert plan.due_date == to_local(deadline, "Asia/Shanghai").date() == local_day + timedelta(days=1)
    note = (
        db.session.execute(
            select(Notification).where(Notification.user_id == consultant.id).order_by(Notification.id.desc())
        )
        .scalars()
        .first()
    )
    assert to_local(deadline, "Asia/Shanghai").strftime("%Y-%m-%d %H:%M") in note.body
    assert "UTC" not in note.body


@pytest.mark.parametrize(("moment", "local_day"), INSTANTS)
def test_report_today_and_this_month(people, moment, local_day):
    from app.reports.filters import build_filter

    month = build_filter(people["manager"], {}, now=moment)
    assert (
        month.period.start == local_day.replace(day=1) and month.period.start <= local_day <= month.period.end
    )
    day = build_filter(people["manager"], {"period": "day"}, now=moment)
    assert day.period.start == day.period.end == local_day


@pytest.mark.parametrize(("moment", "local_day"), INSTANTS)
def test_reception_counters_of_today(people, login, moment, local_day):
    store = people["store"]
    data = {
        "arrived_at": to_local(moment, "Asia/Shanghai").strftime("%H:%M"),
        "party_size": "2",
        "consultant_id": str(people["consultant"].id),
        "first_visit": "yes",
        "left_contact": "no",
        "gender": "unknown",
        "model_id": "0",
        "grade": "B",
    }
    with freeze_time(moment):
        client = login(people["clerk"])
        client.post("/showroom/reception", data=data)
        page = client.get("/showroom/reception").get_data(as_text=True)
    visit = db.session.execute(select(ShowroomVisit).where(ShowroomVisit.store_id == store.id)).scalar_one()
    assert visit.arrived_at == moment
    assert '<dd data-stat="visits">1</dd>' in page


@pytest.mark.parametrize(("moment", "local_day"), INSTANTS)
def test_rsvp_cutoff_text_is_local(people, factory, client, moment, local_day):
    with freeze_time(moment):
        event = make_event(people["store"], starts_in=timedelta(days=1))
        invitation = make_invitation(
            event, factory.lead(owner=people["consultant"]), status="invited", invited_at=utcnow()
        )
        db.session.commit()
        page = client.get(f"/r/{invitation.token}").get_data(as_text=True)
    cutoff = to_local(event.starts_at - timedelta(hours=2), "Asia/Shanghai")
    assert cutoff.strftime("%m-%d %H:%M") in page, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))[-900:]
    assert "UTC" not in page


@pytest.mark.parametrize(("moment", "local_day"), INSTANTS)
def test_daily_report_buckets_are_local_days(people, factory, moment, local_day):
    from app.reports.builders import showroom
    from app.reports.filters import build_filter

    store = people["store"]
    db.session.add(
        ShowroomVisit(
            store_id=store.id,
            consultant_id=people["consultant"].id,
            arrived_at=moment,
            is_first_visit=True,
            left_contact=True,
        )
    )
    lead = factory.lead(owner=people["consultant"])
    lead.created_at = moment
    db.session.commit()
    f = build_filter(people["manager"], {"period": "month", "grain": "day"}, now=moment)
    rows = {str(r["label"]): r for r in showroom.build_traffic(replace(f, by="")).rows}
    assert rows[local_day.isoformat()]["visits"] == 1
    assert sum(r["visits"] for r in rows.values()) == 1
    assert local_today(moment, "Asia/Shanghai") == local_day
