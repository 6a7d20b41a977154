"""The reclaim list's "new owner" choices, written once per consultant and joined per row."""

from app.followups.workload_text import ReassignOptions


def test_a_row_offers_its_store_but_the_owner_and_selects_the_follower(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        options = ReassignOptions(
            {1: [(10, "王丽"), (11, "<b>李</b>"), (12, "张伟")], 2: [(20, "赵敏")]},
            {10: "3 条在跟", 11: "5 条在跟", 12: ""},
        )
        row = str(options.for_row(1, owner_id=10, follower_id=12))
        other_store = str(options.for_row(2, owner_id=None, follower_id=None))
        nobody = str(options.for_row(3, owner_id=None, follower_id=None))
    assert 'value="10"' not in row  # never the current owner
    assert '<option value="11">&lt;b&gt;李&lt;/b&gt; · 5 条在跟</option>' in row  # names are escaped
    assert row.count("selected") == 1 and row.startswith('<option value="11">')
    assert '<option value="12" selected>张伟 (' in row and ") · </option>" in row
    assert other_store == '<option value="20">赵敏 · </option>'  # only the row's own store
    assert nobody == ""


# ---- one lead's choice, loaded when the manager opens the row -----------------------------


def _neglected(factory, db):
    from datetime import timedelta

    from app.core.timeutil import utcnow
    from app.followups.models import FollowUp

    store = factory.store()
    manager = factory.user("manager", store)
    owner = factory.user("consultant", store, display_name="老顾问")
    helper = factory.user("consultant", store, display_name="帮过忙的", capacity=40)
    other = factory.user("consultant", store, display_name="<i>新</i>顾问")
    lead = factory.lead(
        owner=owner, name="久未跟进的客户", last_effective_followup_at=utcnow() - timedelta(days=45)
    )
    factory.lead(owner=helper, name="帮手自己的")
    db.session.add(
        FollowUp(
            lead_id=lead.id,
            user_id=helper.id,
            store_id=store.id,
            method="phone",
            result="reached",
            occurred_at=utcnow() - timedelta(days=40),
            is_effective=False,
        )
    )
    db.session.commit()
    return {
        "store": store,
        "manager": manager,
        "owner": owner,
        "helper": helper,
        "other": other,
        "lead": lead,
    }


def test_the_list_offers_each_row_its_choice_and_no_options(factory, db, login):
    world = _neglected(factory, db)
    html = login(world["manager"]).get("/reclaim").get_data(as_text=True)
    lead_id = world["lead"].id
    assert "久未跟进的客户" in html and "<option" not in html
    assert f'href="/reclaim/{lead_id}/reassign" data-hx-get="/reclaim/{lead_id}/reassign"' in html
    assert "选择新负责人" in html


def test_the_choice_offers_the_store_but_the_owner_with_workload_and_the_follower_selected(
    factory, db, login
):
    world = _neglected(factory, db)
    client = login(world["manager"])
    response = client.htmx("get", f"/reclaim/{world['lead'].id}/reassign")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html  # the form alone, swapped into the row
    assert f'action="/reclaim/{world["lead"].id}"' in html
    assert f'<option value="{world["owner"].id}"' not in html
    assert (
        f'<option value="{world["helper"].id}" selected>帮过忙的 (跟进过) · 在跟 1 条 / 40 · 逾期 0 条</option>'
        in html
    )
    assert f'<option value="{world["other"].id}">&lt;i&gt;新&lt;/i&gt;顾问 · ' in html
    page = client.get(f"/reclaim/{world['lead'].id}/reassign").get_data(as_text=True)
    assert (
        "<html" in page
        and "久未跟进的客户" in page
        and "老顾问" in page
        and f'<option value="{world["helper"].id}" selected>' in page
    )


def test_the_choice_of_another_stores_lead_is_not_found_and_consultants_are_refused(factory, db, login):
    world = _neglected(factory, db)
    elsewhere = factory.store()
    stranger = factory.user("manager", elsewhere)
    director = factory.user("director", None)
    db.session.commit()
    url = f"/reclaim/{world['lead'].id}/reassign"
    response = login(stranger).htmx("get", url)
    assert response.status_code == 404 and "帮过忙的" not in response.get_data(as_text=True)
    assert login(world["owner"]).get(url).status_code == 403
    assert login(world["manager"]).get("/reclaim/999999/reassign").status_code == 404
    assert "帮过忙的" in login(director).htmx("get", url).get_data(as_text=True)


def test_the_choice_runs_the_same_statements_for_a_bigger_store(factory, db, login, count_queries):
    world = _neglected(factory, db)
    client = login(world["manager"])
    url = f"/reclaim/{world['lead'].id}/reassign"
    with count_queries() as few:
        assert client.htmx("get", url).status_code == 200
    for n in range(8):
        factory.lead(owner=factory.user("consultant", world["store"]), name=f"另一位{n}")
    db.session.commit()
    with count_queries() as many:
        html = client.htmx("get", url).get_data(as_text=True)
    assert html.count("<option") == 10 and few.count == many.count


def test_reassigning_from_the_choice_page_goes_back_to_the_list(factory, db, login):
    from app.leads.models import Lead

    world = _neglected(factory, db)
    lead_id = world["lead"].id
    response = login(world["manager"]).post(
        f"/reclaim/{lead_id}",
        data={"to_user": str(world["helper"].id)},
        headers={"Referer": f"http://localhost/reclaim/{lead_id}/reassign"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/reclaim"
    db.session.expire_all()
    assert db.session.get(Lead, lead_id).owner_id == world["helper"].id
