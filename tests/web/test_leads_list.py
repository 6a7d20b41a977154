"""The lead list: scope, filters, search, sort allowlist, paging, masking, bulk actions, query count."""

from datetime import date, timedelta

from sqlalchemy import select

from app.admin.reference import grade_by_code
from app.followups.models import Plan, PlanKind
from app.leads.models import Lead, OwnerChange
from tests.helpers_leads import PHONE_RE, digits_only


def _ids(html: str) -> set[int]:
    import re

    return {int(m) for m in re.findall(r'data-lead-id="(\d+)"', html)}


def test_consultant_sees_only_own_leads(login_as, factory, db):
    client = login_as("consultant")
    mine = factory.lead(owner=client.user)
    other = factory.lead(owner=factory.user("consultant"))
    db.session.commit()
    html = client.get("/leads").get_data(as_text=True)
    assert _ids(html) == {mine.id}
    assert other.name not in html


def test_manager_sees_own_store_only(login_as, factory, db):
    store, elsewhere = factory.store(), factory.store()
    here = factory.lead(owner=factory.user("consultant", store=store))
    far = factory.lead(owner=factory.user("consultant", store=elsewhere))
    db.session.commit()
    html = login_as("manager", store=store).get("/leads").get_data(as_text=True)
    assert here.id in _ids(html) and far.id not in _ids(html)


def test_search_by_name_prefix_full_phone_and_last_four(login_as, factory, db):
    client = login_as("consultant")
    a = factory.lead(owner=client.user, name="王小明", phone="+8613800138000")
    b = factory.lead(owner=client.user, name="李雷", phone="+8613912345678")
    db.session.commit()
    assert _ids(client.get("/leads?q=王").get_data(as_text=True)) == {a.id}
    assert _ids(client.get("/leads?q=小明").get_data(as_text=True)) == set()
    assert _ids(client.get("/leads?q=138 0013 8000").get_data(as_text=True)) == {a.id}
    assert _ids(client.get("/leads?q=%2B86-139-1234-5678").get_data(as_text=True)) == {b.id}
    assert _ids(client.get("/leads?q=5678").get_data(as_text=True)) == {b.id}
    assert _ids(client.get("/leads?q=%25").get_data(as_text=True)) == set()


def test_filters_grade_stage_source_dates_and_flags(login_as, factory, db):
    client = login_as("consultant")
    today = date.today()
    h = factory.lead(owner=client.user, grade="H", stage="contacted", channel="website")
    c = factory.lead(owner=client.user, grade="C", expected_purchase_date=today - timedelta(days=3))
    overdue = factory.lead(owner=client.user, next_plan_due=today - timedelta(days=2))
    lost_old = factory.lead(
        owner=client.user,
        stage="lost",
        expected_purchase_date=today - timedelta(days=3),
        next_plan_due=today + timedelta(days=2),
    )
    db.session.commit()

    def ids(qs):
        response = client.get("/leads?" + qs)
        assert response.status_code == 200
        return _ids(response.get_data(as_text=True))

    assert ids("grade=H") == {h.id}
    assert ids("stage=contacted") == {h.id}
    assert ids("source=website") == {h.id}
    assert ids("grade=H&grade=C") == {h.id, c.id}
    assert ids("overdue=1") == {overdue.id}
    assert ids("expired=1") == {c.id}
    assert ids("no_plan=1") == {h.id, c.id}
    assert ids(f"expected_to={(today - timedelta(days=1)).isoformat()}") == {c.id, lost_old.id}
    assert ids(f"created_from={(today + timedelta(days=2)).isoformat()}") == set()
    assert ids("grade=bogus") == {h.id, c.id, overdue.id, lost_old.id}


def test_owner_and_store_filters_for_a_director(login_as, factory, db):
    s1, s2 = factory.store(), factory.store()
    c1 = factory.user("consultant", store=s1)
    a = factory.lead(owner=c1)
    pool = factory.lead(store=s1)
    b = factory.lead(owner=factory.user("consultant", store=s2))
    db.session.commit()
    client = login_as("director")
    assert _ids(client.get(f"/leads?owner={c1.id}").get_data(as_text=True)) == {a.id}
    assert _ids(client.get("/leads?owner=none").get_data(as_text=True)) == {pool.id}
    assert _ids(client.get(f"/leads?store={s2.id}").get_data(as_text=True)) == {b.id}


def test_sort_allowlist_and_bad_sort_is_400(login_as, factory, db):
    client = login_as("consultant")
    factory.lead(owner=client.user, name="Bob")
    factory.lead(owner=client.user, name="Alice")
    db.session.commit()
    html = client.get("/leads?sort=name").get_data(as_text=True)
    assert html.index(">Alice<") < html.index(">Bob<")
    html = client.get("/leads?sort=-name").get_data(as_text=True)
    assert html.index(">Bob<") < html.index(">Alice<")
    for sort in ("expected", "next_plan", "created", "-created", "-name"):
        assert client.get(f"/leads?sort={sort}").status_code == 200
    assert client.get("/leads?sort=phone").status_code == 400
    assert client.get("/leads?sort=updated").status_code == 400
    assert client.get("/leads?sort=-next_plan").status_code == 400
    assert client.get("/leads?sort=name;drop table leads").status_code == 400


def test_pages_use_limit_plus_one(login_as, factory, db):
    client = login_as("consultant")
    for i in range(51):
        factory.lead(owner=client.user, name=f"客户{i:03d}")
    db.session.commit()
    first = client.get("/leads?sort=name").get_data(as_text=True)
    assert len(_ids(first)) == 50 and 'rel="next"' in first and "共 51 条线索" in first
    second = client.get("/leads?sort=name&page=2").get_data(as_text=True)
    assert len(_ids(second)) == 1 and 'rel="next"' not in second and 'rel="prev"' in second


def test_htmx_search_returns_only_the_results_and_keeps_the_filters(login_as, factory, db):
    client = login_as("consultant")
    lead = factory.lead(owner=client.user, name="王小明")
    db.session.commit()
    page = client.get("/leads?grade=A").get_data(as_text=True)
    assert 'data-hx-push-url="true"' in page and 'data-hx-target="#lead-results"' in page
    response = client.htmx("get", "/leads?q=王&grade=A&stage=&owner=&created_from=&overdue=")
    html = response.get_data(as_text=True)
    assert "<html" not in html and f'data-lead-id="{lead.id}"' in html
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["HX-Push-Url"] == "/leads?q=%E7%8E%8B&grade=A"


def test_phones_are_masked_for_non_owners(login_as, login, factory, db):
    store = factory.store()
    consultant = factory.user("consultant", store=store)
    for _ in range(3):
        factory.lead(owner=consultant)
    db.session.commit()
    for role in ("manager", "marketing", "clerk"):
        html = digits_only(login_as(role, store=store).get("/leads").get_data(as_text=True))
        assert "139****" in html and not PHONE_RE.search(html), role
    owner_html = digits_only(login(consultant).get("/leads").get_data(as_text=True))
    assert PHONE_RE.search(owner_html)


def test_list_query_count_is_the_same_for_1_and_50_leads(login_as, factory, db, count_queries):
    client = login_as("manager")
    consultant = factory.user("consultant")
    factory.lead(owner=consultant)
    db.session.commit()
    client.get("/leads")
    with count_queries() as one:
        assert client.get("/leads").status_code == 200
    for _ in range(49):
        factory.lead(owner=factory.user("consultant"))
    db.session.commit()
    with count_queries() as fifty:
        html = client.get("/leads").get_data(as_text=True)
    assert len(_ids(html)) == 50
    assert one.count == fifty.count


def test_bulk_assign_and_grade_for_managers(login_as, factory, db):
    store = factory.store()
    client = login_as("manager", store=store)
    consultant = factory.user("consultant", store=store)
    leads = [factory.lead(store=store) for _ in range(3)]
    outsider = factory.lead(store=factory.store())
    db.session.commit()
    ids = [lead.id for lead in leads] + [outsider.id]
    response = client.post(
        "/leads/bulk", data={"ids": [str(i) for i in ids], "action": "assign", "owner": str(consultant.id)}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/leads"
    db.session.expire_all()
    assert {db.session.get(Lead, lead.id).owner_id for lead in leads} == {consultant.id}
    assert db.session.get(Lead, outsider.id).owner_id is None
    assert len(db.session.execute(select(OwnerChange)).scalars().all()) == 3
    plans = db.session.execute(select(Plan)).scalars().all()
    assert len(plans) == 3 and {p.kind for p in plans} == {PlanKind.FIRST_CONTACT}
    response = client.post(
        "/leads/bulk",
        data={"ids": [str(leads[0].id)], "action": "grade", "grade": str(grade_by_code("H").id)},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Lead, leads[0].id).grade_id == grade_by_code("H").id


def test_bulk_refuses_consultants_and_other_stores_consultant(login_as, factory, db):
    store = factory.store()
    lead = factory.lead(store=store)
    foreign = factory.user("consultant", store=factory.store())
    db.session.commit()
    assert (
        login_as("consultant", store=store)
        .post("/leads/bulk", data={"ids": [str(lead.id)], "action": "assign"})
        .status_code
        == 403
    )
    client = login_as("manager", store=store)
    client.post("/leads/bulk", data={"ids": [str(lead.id)], "action": "assign", "owner": str(foreign.id)})
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).owner_id is None


def test_bulk_needs_csrf(app, factory, db, login):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        user = factory.user("manager")
        lead = factory.lead()
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": user.username, "password": "correct horse battery"})
        response = client.post(
            "/leads/bulk",
            data={"ids": [str(lead.id)], "action": "grade", "grade": str(grade_by_code("H").id)},
        )
        assert response.status_code in (400, 403)
        db.session.expire_all()
        assert db.session.get(Lead, lead.id).grade_id == grade_by_code("A").id
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_next_plan_sort_puts_leads_without_a_plan_last(login_as, factory, db):
    client = login_as("consultant")
    none = factory.lead(owner=client.user, name="Nobody")
    due = factory.lead(owner=client.user, name="Duesoon", next_plan_due=date.today())
    db.session.commit()
    html = client.get("/leads?sort=next_plan").get_data(as_text=True)
    assert html.index(f'data-lead-id="{due.id}"') < html.index(f'data-lead-id="{none.id}"')
