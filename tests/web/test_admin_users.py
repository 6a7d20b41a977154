"""Admin: users (create, edit, deactivate with a successor, reset password, log out everywhere)."""

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.audit.models import AuditLog
from app.followups.models import Plan, PlanStatus
from app.leads.models import Lead, OwnerChange
from tests.factories import TEST_PASSWORD


def audit_count(db, action):
    return db.session.scalar(select(func.count()).where(AuditLog.action == action))


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_admin_pages_are_forbidden_to_other_roles(login_as, role):
    c = login_as(role)
    for url in (
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "/admin/stores",
        "/admin/settings",
        "/admin/reference/stages",
    ):
        assert c.get(url).status_code == 403, url
    assert c.post("/admin/users/new", data={"username": "x"}).status_code == 403


def test_audit_log_is_readable_by_director_not_by_manager(login_as):
    assert login_as(Role.DIRECTOR).get("/admin/audit").status_code == 200
    assert login_as(Role.MANAGER).get("/admin/audit").status_code == 403


def test_admin_lands_on_administration_and_sees_users(admin, factory, db):
    factory.user(role=Role.CONSULTANT, display_name="张三丰")
    db.session.commit()
    assert admin.get("/").headers["Location"].endswith("/admin/")
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "张三丰" in html and "销售顾问" in html


def test_user_list_filters_in_one_fragment(admin, factory, db):
    store = factory.store()
    factory.user(role=Role.CONSULTANT, store=store, username="findme")
    factory.user(role=Role.MANAGER, store=store, username="other")
    db.session.commit()
    response = admin.htmx("get", "/admin/users?q=findme")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "findme" in html and ">other<" not in html
    assert "<html" not in html


def test_user_list_query_count_is_constant(admin, factory, db, count_queries):
    store = factory.store()
    factory.user(store=store)
    db.session.commit()
    with count_queries() as one:
        admin.get("/admin/users")
    for _ in range(30):
        factory.user(store=factory.store())
    db.session.commit()
    with count_queries() as many:
        admin.get("/admin/users")
    assert many.count == one.count


def test_create_user_checks_password_policy_and_store(admin, factory, db):
    store = factory.store()
    db.session.commit()
    base = {
        "username": "newbie",
        "display_name": "新人",
        "role": "consultant",
        "store_id": store.id,
        "capacity": 100,
    }
    weak = admin.post("/admin/users/new", data={**base, "password": "12345678"})
    assert weak.status_code == 422 and "太常见" in weak.get_data(as_text=True)
    no_store = admin.post("/admin/users/new", data={**base, "store_id": 0, "password": "quiet orange kettle"})
    assert no_store.status_code == 422
    ok = admin.post("/admin/users/new", data={**base, "password": "quiet orange kettle", "can_export": "y"})
    assert ok.status_code == 303
    user = db.session.execute(select(User).where(User.username == "newbie")).scalar_one()
    assert ok.headers["Location"] == f"/admin/users/{user.id}"
    assert user.store_id == store.id and user.capacity == 100 and user.can_export
    assert user.password_hash.startswith("$argon2id$")
    assert audit_count(db, "user.create") == 1
    taken = admin.post("/admin/users/new", data={**base, "password": "quiet orange kettle"})
    assert taken.status_code == 422 and "已被使用" in taken.get_data(as_text=True)


def test_edit_user_changes_role_and_rights_audited(admin, factory, db):
    store, other = factory.store(), factory.store()
    user = factory.user(role=Role.CONSULTANT, store=store)
    db.session.commit()
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    token = page.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    version = user.session_version
    response = admin.post(
        f"/admin/users/{user.id}",
        data={
            "display_name": "新名字",
            "role": "manager",
            "store_id": other.id,
            "capacity": 50,
            "can_reveal_phone": "y",
            "fingerprint": token,
        },
    )
    assert response.status_code == 303
    db.session.refresh(user)
    assert (user.role, user.store_id, user.capacity, user.can_reveal_phone) == (
        Role.MANAGER,
        other.id,
        50,
        True,
    )
    assert user.session_version == version + 1  # new rights: open sessions must start again
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "user.update")).scalar_one()
    assert row.detail["changes"]["role"] == ["consultant", "manager"]
    stale = admin.post(
        f"/admin/users/{user.id}",
        data={
            "display_name": "旧表单",
            "role": "consultant",
            "store_id": store.id,
            "capacity": 50,
            "fingerprint": token,
        },
    )
    assert stale.status_code == 409
    db.session.refresh(user)
    assert user.display_name == "新名字"


def test_deactivate_moves_open_leads_and_plans_and_logs_out(admin, factory, login, db):
    store = factory.store()
    leaver = factory.user(role=Role.CONSULTANT, store=store)
    heir = factory.user(role=Role.CONSULTANT, store=store)
    open_lead = factory.lead(owner=leaver, stage="contacted")
    won_lead = factory.lead(owner=leaver, stage="won")
    db.session.add(
        Plan(
            lead_id=open_lead.id,
            assignee_id=leaver.id,
            store_id=store.id,
            kind="follow_up",
            due_date=open_lead.expected_purchase_date,
            content="回访",
            status=PlanStatus.OPEN,
        )
    )
    db.session.commit()
    session = login(leaver)
    assert session.get("/").status_code == 200

    refused = admin.post(f"/admin/users/{leaver.id}/deactivate", data={"successor_id": 0})
    assert refused.status_code == 422 and "继任" in refused.get_data(as_text=True)

    response = admin.post(
        f"/admin/users/{leaver.id}/deactivate", data={"successor_id": heir.id, "reason": "离职"}
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/users/{leaver.id}"
    db.session.expire_all()
    assert db.session.get(Lead, open_lead.id).owner_id == heir.id
    assert db.session.get(Lead, won_lead.id).owner_id == leaver.id
    assert db.session.scalar(select(Plan.assignee_id)) == heir.id
    assert db.session.scalar(select(func.count()).select_from(OwnerChange)) == 1
    assert audit_count(db, "user.deactivate") == 1
    assert session.get("/").status_code == 302
    assert (
        session.post("/login", data={"username": leaver.username, "password": TEST_PASSWORD}).status_code
        == 200
    )


def test_admin_cannot_deactivate_self(admin, factory, db):
    other = factory.user()
    db.session.commit()
    response = admin.post(f"/admin/users/{admin.user.id}/deactivate", data={"successor_id": other.id})
    assert response.status_code == 422
    db.session.refresh(admin.user)
    assert admin.user.active


def test_reactivate_user(admin, factory, db):
    user = factory.user(active=False)
    db.session.commit()
    assert admin.post(f"/admin/users/{user.id}/reactivate").status_code == 303
    db.session.refresh(user)
    assert user.active and audit_count(db, "user.reactivate") == 1


def test_reset_password_and_log_out_everywhere_end_sessions(admin, factory, login, db):
    user = factory.user()
    db.session.commit()
    first = login(user)
    assert admin.post(f"/admin/users/{user.id}/logout-everywhere").status_code == 303
    assert first.get("/").status_code == 302
    assert audit_count(db, "user.sessions_revoked") == 1
    second = login(user)
    weak = admin.post(f"/admin/users/{user.id}/password", data={"new_password": "short"})
    assert weak.status_code == 422
    assert (
        admin.post(
            f"/admin/users/{user.id}/password", data={"new_password": "violet harbour lamp"}
        ).status_code
        == 303
    )
    assert second.get("/").status_code == 302
    assert login(user, password="violet harbour lamp").get("/").status_code == 200
    assert audit_count(db, "user.password_reset") == 1


def test_unknown_user_is_404(admin):
    assert admin.get("/admin/users/999999").status_code == 404
