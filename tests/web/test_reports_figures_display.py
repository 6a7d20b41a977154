"""Readable figures and labels: audit actions and changes, the lead timeline, budgets, vehicle names, counts."""

from datetime import timedelta

from app.accounts.models import Role
from app.admin.models import VehicleModel
from app.audit.services import record
from app.core.timeutil import utcnow
from app.leads import queries as lead_queries
from app.leads.models import OwnerChange


def test_audit_log_names_actions_and_lists_changes_line_by_line(login_as, db):
    director = login_as(Role.DIRECTOR)
    record(
        "settings.update",
        None,
        "settings",
        None,
        {
            "changes": {
                "export_row_cap": [2000, 500],
                "penalty": [
                    {"base": 50, "doubling": True},
                    {"base": 80, "doubling": True, "monthly_cap": 1500},
                ],
            }
        },
    )
    record("reference.vehicles.update", None, "vehicles", 3, {"changes": {"price": [159900, 149900]}})
    db.session.commit()
    html = director.get("/admin/audit").get_data(as_text=True)
    assert "修改业务规则" in html and "车型目录: 已修改" in html
    text = html.replace("&gt;", ">")
    assert "<div>导出行数上限（超过需审批）: 2000 → 500</div>" in text
    assert "<div>罚款 · 计划逾期罚款（元）: 50 → 80</div>" in text
    assert "<div>罚款 · 每人每月封顶（元）: — → 1500</div>" in text
    assert "<div>指导价（元）: 159900 → 149900</div>" in text
    assert (
        "{&#34;changes&#34;" not in html and '{"changes"' not in html and "settings.update</td>" not in html
    )


def test_lead_timeline_shows_reasons_and_plan_states_not_codes(factory, db, login):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    db.session.add(
        OwnerChange(
            lead_id=lead.id,
            from_user_id=None,
            to_user_id=consultant.id,
            to_store_id=lead.store_id,
            kind="assign",
            reason="created",
            changed_by_id=consultant.id,
            created_at=utcnow(),
        )
    )
    from app.followups.plans import open_plan

    open_plan(lead, utcnow().date() + timedelta(days=2), "回访", assignee_id=consultant.id)
    db.session.commit()
    html = login(consultant).get(f"/leads/{lead.id}").get_data(as_text=True)
    timeline = html[html.index('id="lead-timeline"') :]
    assert "新建线索" in timeline and "<p>created</p>" not in timeline
    assert "（待执行）" in timeline and "(open)" not in timeline


def test_budget_in_wan_and_vehicle_named_once(factory, db, login):
    model = VehicleModel(brand="星途", series="揽月", name="揽月 400T 四驱版", price=209900, sort_order=99)
    db.session.add(model)
    db.session.flush()
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant, budget_min=150000, budget_max=200000, model_id=model.id)
    db.session.commit()
    client = login(consultant)
    html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "<dd data-budget>15–20 万</dd>" in html
    assert "揽月 400T 四驱版" in html and "揽月 揽月" not in html
    client.post("/language", data={"locale": "en", "next": "/"})
    english = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "<dd data-budget>¥150,000–¥200,000</dd>" in english


def test_admin_vehicle_prices_in_wan(login_as, db):
    admin = login_as(Role.ADMIN)
    db.session.add(VehicleModel(brand="星途", series="凌云", name="凌云 500T", price=239800, sort_order=98))
    db.session.commit()
    assert "¥23.98 万" in admin.get("/admin/reference/vehicles").get_data(as_text=True)


def test_lead_list_says_plus_when_the_count_stops_at_its_cap(factory, db, login, monkeypatch):
    consultant = factory.user("consultant")
    for _ in range(4):
        factory.lead(owner=consultant)
    db.session.commit()
    client = login(consultant)
    assert "共 4 条线索" in client.get("/leads").get_data(as_text=True)
    monkeypatch.setattr(lead_queries, "COUNT_CAP", 3)
    assert "共 3+ 条线索" in client.get("/leads").get_data(as_text=True)


def test_merge_page_shows_budgets_as_money(factory, db, login_as):
    store = factory.store()
    consultant = factory.user("consultant", store=store)
    a = factory.lead(owner=consultant, budget_min=150000, budget_max=200000)
    b = factory.lead(owner=consultant, budget_min=None, budget_max=180000)
    db.session.commit()
    page = login_as("manager", store=store).post("/leads/merge", data={"ids": [str(a.id), str(b.id)]})
    html = " ".join(page.get_data(as_text=True).split())
    assert "¥150,000" in html and "¥200,000" in html and "¥180,000" in html and ">150000<" not in html
