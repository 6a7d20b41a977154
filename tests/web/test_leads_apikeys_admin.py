"""Admin screen for API keys: shown once, revoke, admins only, audited."""

import re

import pytest
from sqlalchemy import select

from app.admin.reference import channel_by_code
from app.audit.models import AuditLog
from app.leads.apikeys import hash_key
from app.leads.models import ApiKey
from tests.helpers_intake import bearer


@pytest.fixture
def store(factory, db):
    s = factory.store("BJ01")
    db.session.commit()
    return s


def test_admin_creates_key_shown_once_then_revokes(login_as, store, db, client):
    admin = login_as("admin")
    assert admin.get("/admin/api-keys").status_code == 200
    response = admin.post(
        "/admin/api-keys",
        data={"name": "官网表单", "channel_id": channel_by_code("website").id, "store_id": store.id},
    )
    assert response.status_code == 200
    raw = re.search(r"<code data-new-key>([^<]+)</code>", response.get_data(as_text=True)).group(1)
    key = db.session.execute(select(ApiKey)).scalar_one()
    assert key.key_hash == hash_key(raw)
    listing = admin.get("/admin/api-keys").get_data(as_text=True)
    assert raw not in listing and key.prefix in listing
    assert (
        client.post(
            "/api/v1/leads", json={"name": "a", "phone": "13800138000"}, headers=bearer(raw)
        ).status_code
        == 201
    )
    revoked = admin.post(f"/admin/api-keys/{key.id}/revoke")
    assert revoked.status_code == 303 and revoked.headers["Location"] == "/admin/api-keys"
    assert (
        client.post(
            "/api/v1/leads", json={"name": "a", "phone": "13800138001"}, headers=bearer(raw)
        ).status_code
        == 401
    )
    actions = (
        db.session.execute(select(AuditLog.action).where(AuditLog.user_id == admin.user.id)).scalars().all()
    )
    assert "apikey.create" in actions and "apikey.revoke" in actions


def test_missing_name_is_422(login_as, store):
    response = login_as("admin").post(
        "/admin/api-keys", data={"name": "", "channel_id": 1, "store_id": store.id}
    )
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["manager", "director", "consultant", "clerk"])
def test_only_admins(login_as, store, role):
    client = login_as(role, store if role != "director" else None)
    assert client.get("/admin/api-keys").status_code == 403
    assert client.post("/admin/api-keys", data={}).status_code == 403
    assert client.post("/admin/api-keys/1/revoke").status_code == 403


def test_anonymous_goes_to_login(client):
    assert client.get("/admin/api-keys").status_code == 302
