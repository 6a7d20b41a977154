"""The first dashboard: numbers per role from the permissions scope, constant query count."""

from datetime import date, timedelta

import pytest

from app.accounts.models import Role
from app.core.timeutil import local_today, utcnow
from app.dashboard.queries import summary
from app.followups.models import Plan, PlanStatus


def _plan(db, lead, user, due):
    db.session.add(
        Plan(
            lead_id=lead.id,
            assignee_id=user.id,
            store_id=lead.store_id,
            kind="follow_up",
            due_date=due,
            content="回访",
            status=PlanStatus.OPEN,
        )
    )


@pytest.fixture
def shop(factory, db):
    a, b = factory.store(), factory.store()
    alice = factory.user(Role.CONSULTANT, a)
    dcc = factory.user(Role.DCC, a)
    today = local_today()
    past = date.today() - timedelta(days=3)
    lead1 = factory.lead(owner=alice, expected_purchase_date=past, dcc_agent_id=dcc.id)
    factory.lead(owner=alice, stage="won")
    factory.lead(store=a)  # pooled, open
    factory.lead(store=a, stage="lost")  # pooled, closed
    factory.lead(owner=factory.user(Role.CONSULTANT, b))
    old = factory.lead(owner=alice)
    old.created_at = utcnow() - timedelta(days=30)
    _plan(db, lead1, alice, today)
    _plan(db, lead1, alice, today - timedelta(days=2))
    db.session.commit()
    return {"a": a, "alice": alice, "dcc": dcc}


def numbers(user):
    now = utcnow()
    return summary(user, local_today(now), now)


def subset(found: dict, expected: dict) -> dict:
    return {key: found.get(key) for key in expected}


def test_consultant_numbers(shop):
    expected = {"due_today": 1, "overdue": 1, "open_leads": 2, "expired": 1}
    assert subset(numbers(shop["alice"]), expected) == expected


def test_dcc_numbers(shop):
    expected = {"due_today": 0, "overdue": 0, "open_leads": 1, "expired": 1}
    assert subset(numbers(shop["dcc"]), expected) == expected


def test_manager_and_director_numbers(shop, factory):
    manager = factory.user(Role.MANAGER, shop["a"])
    expected = {"due_today": 1, "overdue": 1, "unassigned": 1}
    assert subset(numbers(manager), expected) == expected
    expected = {"due_today": 1, "overdue": 1, "unassigned": 1}
    assert subset(numbers(factory.user(Role.DIRECTOR)), expected) == expected


@pytest.mark.parametrize(
    "role", [Role.CONSULTANT, Role.MANAGER, Role.DIRECTOR, Role.DCC, Role.CLERK, Role.MARKETING]
)
def test_dashboard_query_count_is_constant(login_as, factory, db, count_queries, role):
    c = login_as(role)
    factory.lead(owner=c.user if role == Role.CONSULTANT else None)
    db.session.commit()
    with count_queries() as one:
        assert c.get("/").status_code == 200
    for _ in range(50):
        factory.lead(owner=c.user if role == Role.CONSULTANT else None)
    db.session.commit()
    with count_queries() as many:
        c.get("/")
    assert many.count == one.count <= 12


def test_week_card_puts_today_first_even_behind_a_long_overdue_backlog(factory, db, login):
    """本周计划: today's plans, then the most recently missed, then the rest of the week; 25 overdue
    plans (more than the card holds) do not push today's off the card."""
    from app.dashboard.queries import WEEK_LIMITS, week_plans

    alice = factory.user(Role.CONSULTANT)
    today = local_today()
    lead = factory.lead(owner=alice, name="今天的客户")
    _plan(db, lead, alice, today)
    for n in range(1, 26):
        _plan(db, factory.lead(owner=alice, name=f"逾期{n}"), alice, today - timedelta(days=n))
    _plan(db, factory.lead(owner=alice, name="周五的客户"), alice, today + timedelta(days=4))
    _plan(db, factory.lead(owner=alice, name="下月的客户"), alice, today + timedelta(days=30))
    db.session.commit()

    plans = week_plans(alice, today)
    assert [p.lead_name for p in plans["today"]] == ["今天的客户"]
    overdue = [p.due_date for p in plans["overdue"]]
    assert len(overdue) == WEEK_LIMITS["overdue"] < 25
    assert overdue == sorted(overdue, reverse=True) and overdue[0] == today - timedelta(days=1)
    assert [p.lead_name for p in plans["week"]] == ["周五的客户"]

    html = login(alice).get("/").get_data(as_text=True)
    card = html[html.index('id="today-plans"') : html.index('id="first-contact"')]
    assert card.index("今天的客户") < card.index("逾期1<") < card.index("逾期2<") < card.index("周五的客户")
    assert "逾期25" not in card and "下月的客户" not in card
    assert "/plans?tab=overdue" in card  # the whole backlog is one tap away


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.DCC])
def test_personal_numbers_read_from_the_lead_rows(factory, db, login, role):
    """Expired, without plan, awaiting first contact (and late), H grade: the counts one pass over
    my leads answers; the first-contact card lists the leads its count counted."""
    store = factory.store()
    me = factory.user(role, store)
    owner = me if role == Role.CONSULTANT else factory.user(Role.CONSULTANT, store)
    mine = {"owner": owner} if role == Role.CONSULTANT else {"owner": owner, "dcc_agent_id": me.id}
    now = utcnow()
    today = local_today(now)
    factory.lead(**mine, grade="H", expected_purchase_date=today - timedelta(days=1))
    factory.lead(**mine, grade="H", stage="won", first_contact_due_at=now - timedelta(hours=1))
    factory.lead(**mine, first_contact_due_at=now + timedelta(hours=5), name="等首联")
    factory.lead(**mine, first_contact_due_at=now - timedelta(hours=2), next_plan_due=today, name="已超时")
    factory.lead(owner=factory.user(Role.CONSULTANT, store), grade="H", first_contact_due_at=now)
    db.session.commit()
    found = summary(me, today, now)
    expected = {
        "expired": 1,
        "no_plan": 2,
        "first_contact": 3,
        "first_contact_late": 2,
        "h_grade": 1,
        "open_leads": 3,
    }
    assert subset(found, expected) == expected
    html = login(me).get("/").get_data(as_text=True)
    assert "等首联" in html and "已超时" in html
