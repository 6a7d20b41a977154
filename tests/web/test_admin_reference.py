"""Admin: stores, reference data, business rules and the audit log viewer."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, Store
from app.admin import reference
from app.admin.defaults import get_setting
from app.admin.models import IntentGrade, PipelineStage, SourceChannel, VehicleModel
from app.audit.models import AuditLog
from app.audit.services import record
from app.core.timeutil import utcnow


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def audit_rows(db, prefix):
    return db.session.execute(select(AuditLog).where(AuditLog.action.startswith(prefix))).scalars().all()


def test_create_edit_and_close_store(admin, db):
    response = admin.post(
        "/admin/stores/new",
        data={
            "code": "NB01",
            "name": "宁波店",
            "region": "浙江",
            "city": "宁波",
            "timezone": "Asia/Shanghai",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/stores"
    store = db.session.execute(select(Store).where(Store.code == "NB01")).scalar_one()
    clash = admin.post(
        "/admin/stores/new", data={"code": "NB01", "name": "另一家", "timezone": "Asia/Shanghai"}
    )
    assert clash.status_code == 422 and "已被使用" in clash.get_data(as_text=True)
    assert (
        admin.post(
            f"/admin/stores/{store.id}",
            data={"code": "NB01", "name": "宁波鄞州店", "region": "浙江", "timezone": "Asia/Shanghai"},
        ).status_code
        == 303
    )
    assert admin.post(f"/admin/stores/{store.id}/active").status_code == 303
    db.session.refresh(store)
    assert store.name == "宁波鄞州店" and not store.active
    assert [r.action for r in audit_rows(db, "store.")] == [
        "store.create",
        "store.update",
        "store.deactivate",
    ]
    assert "宁波鄞州店" in admin.get("/admin/stores").get_data(as_text=True)


def test_grade_cadence_change_clears_the_cache(admin, db):
    grade = reference.grade_by_code("H")
    assert grade.cadence_days == 3
    row = db.session.get(IntentGrade, grade.id)
    response = admin.post(
        f"/admin/reference/grades/{row.id}",
        data={
            "code": "H",
            "name_zh": row.name_zh,
            "name_en": row.name_en,
            "sort_order": 0,
            "active": "y",
            "purchase_within_days": 7,
            "cadence_days": 2,
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert reference.grade_by_code("H").cadence_days == 2
    (row_audit,) = audit_rows(db, "reference.grades")
    assert row_audit.detail["changes"]["cadence_days"] == [3, 2]


def test_code_cannot_be_renamed_or_duplicated(admin, db):
    channel = db.session.execute(select(SourceChannel).where(SourceChannel.code == "walk_in")).scalar_one()
    admin.post(
        f"/admin/reference/channels/{channel.id}",
        data={
            "code": "renamed",
            "name_zh": "到店",
            "name_en": "Walk-in",
            "sort_order": 0,
            "active": "y",
            "category": "offline",
        },
    )
    db.session.refresh(channel)
    assert channel.code == "walk_in" and channel.name_zh == "到店"
    dup = admin.post(
        "/admin/reference/channels/new",
        data={
            "code": "website",
            "name_zh": "重复",
            "name_en": "Dup",
            "sort_order": 1,
            "active": "y",
            "category": "online",
        },
    )
    assert dup.status_code == 422
    bad = admin.post(
        "/admin/reference/channels/new",
        data={"code": "Bad Code", "name_zh": "x", "name_en": "x", "sort_order": 1, "category": "online"},
    )
    assert bad.status_code == 422


def test_new_stage_appears_in_order_and_last_won_stage_cannot_be_disabled(admin, db):
    response = admin.post(
        "/admin/reference/stages/new",
        data={
            "code": "ordered",
            "name_zh": "已下订",
            "name_en": "Ordered",
            "sort_order": 6,
            "active": "y",
            "kind": "open",
            "probability": 90,
        },
    )
    assert response.status_code == 303
    assert "ordered" in [s.code for s in reference.stages()]
    won = db.session.execute(select(PipelineStage).where(PipelineStage.code == "won")).scalar_one()
    refused = admin.post(
        f"/admin/reference/stages/{won.id}",
        data={
            "code": "won",
            "name_zh": "成交",
            "name_en": "Won",
            "sort_order": 7,
            "kind": "won",
            "probability": 100,
        },
    )
    assert refused.status_code == 422 and "成交阶段" in refused.get_data(as_text=True)
    db.session.refresh(won)
    assert won.active


def test_vehicle_catalogue_add(admin, db):
    response = admin.post(
        "/admin/reference/vehicles/new",
        data={
            "brand": "星途",
            "series": "凌云",
            "name": "凌云 新款",
            "price": 149900,
            "sort_order": 9,
            "active": "y",
        },
    )
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).where(VehicleModel.name == "凌云 新款")) == 1
    assert any(v.name == "凌云 新款" for v in reference.vehicle_models())


def test_unknown_reference_kind_is_404(admin):
    assert admin.get("/admin/reference/nope").status_code == 404


@pytest.mark.parametrize("kind", ["channels", "grades", "stages", "defeat_reasons", "vehicles"])
def test_reference_pages_render(admin, kind):
    assert admin.get(f"/admin/reference/{kind}").status_code == 200
    assert admin.get(f"/admin/reference/{kind}/new").status_code == 200


def test_settings_are_saved_and_audited(admin, db):
    page = admin.get("/admin/settings")
    assert page.status_code == 200 and "首次联系时限" in page.get_data(as_text=True)
    response = admin.post(
        "/admin/settings",
        data={
            "first_contact_hours": 12,
            "reclaim_days": 30,
            "invited_not_arrived_days": 30,
            "penalty_base": 80,
            "penalty_doubling": "y",
            "penalty_manager_share": "0.4",
            "penalty_repeat_period": "week",
            "penalty_item_cap": 640,
            "penalty_monthly_cap": 1500,
            "export_row_cap": 500,
            "rsvp_cutoff_hours": 2,
        },
    )
    assert response.status_code == 303
    assert get_setting("first_contact_hours") == 12
    assert get_setting("penalty") == {
        "base": 80,
        "doubling": True,
        "manager_share": 0.4,
        "repeat_period": "week",
        "item_cap": 640,
        "monthly_cap": 1500,
    }
    (row,) = audit_rows(db, "settings.")
    assert set(row.detail["changes"]) == {"first_contact_hours", "penalty", "export_row_cap"}
    invalid = admin.post(
        "/admin/settings",
        data={
            "first_contact_hours": 0,
            "reclaim_days": 30,
            "invited_not_arrived_days": 30,
            "penalty_base": 80,
            "penalty_manager_share": "2",
            "export_row_cap": 500,
            "rsvp_cutoff_hours": 2,
        },
    )
    assert invalid.status_code == 422
    no_cap = admin.post(
        "/admin/settings",
        data={
            "first_contact_hours": 12,
            "reclaim_days": 30,
            "invited_not_arrived_days": 30,
            "penalty_base": 80,
            "penalty_manager_share": "0.5",
            "penalty_repeat_period": "month",
            "penalty_item_cap": 0,
            "penalty_monthly_cap": 1500,
            "export_row_cap": 500,
            "rsvp_cutoff_hours": 2,
        },
    )
    assert no_cap.status_code == 422 and get_setting("penalty")["item_cap"] == 640


def test_audit_log_filters_and_keyset_pages(login_as, factory, db):
    director = login_as(Role.DIRECTOR)
    actor = factory.user(username="auditee")
    for i in range(60):
        record("user.update", actor, "user", i)
    record("store.create", None, "store", 1)
    old = record("user.update", actor, "user", 999)
    old.created_at = utcnow() - timedelta(days=40)  # before it is written: audit rows never change
    db.session.commit()
    first = director.get("/admin/audit?action=user.&username=auditee").get_data(as_text=True)
    assert first.count('<td title="user.update">修改用户</td>') == 50 and "store.create" not in first
    before = first.split("before=")[1].split('"')[0]
    second = director.htmx("get", f"/admin/audit?action=user.&username=auditee&before={before}")
    assert second.get_data(as_text=True).count('<td title="user.update">修改用户</td>') == 11
    recent = (utcnow() - timedelta(days=7)).date().isoformat()
    dated = director.get(f"/admin/audit?action=user.update&date_from={recent}").get_data(as_text=True)
    assert dated.count('<td title="user.update">修改用户</td>') == 50
    only_old = director.get(
        f"/admin/audit?action=user.update&date_to={(utcnow() - timedelta(days=30)).date()}"
    )
    assert only_old.get_data(as_text=True).count('<td title="user.update">修改用户</td>') == 1


def test_audit_log_query_count_is_constant(login_as, factory, db, count_queries):
    director = login_as(Role.DIRECTOR)
    record("store.create", None, "store", 1)
    db.session.commit()
    with count_queries() as one:
        director.get("/admin/audit")
    for i in range(40):
        record("store.create", None, "store", i)
    db.session.commit()
    with count_queries() as many:
        director.get("/admin/audit")
    assert one.count == many.count


def test_audit_log_has_no_write_routes(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == "admin.audit_log"]
    assert rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)


def test_director_finds_the_audit_log_in_the_navigation(login_as):
    html = login_as(Role.DIRECTOR).get("/").get_data(as_text=True)
    assert 'href="/admin/audit"' in html and "审计日志" in html
    assert 'href="/admin/audit"' not in login_as(Role.MANAGER).get("/").get_data(as_text=True)
