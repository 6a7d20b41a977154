"""Intake API: key auth, idempotency, 201/200, problem details, rate limit, OpenAPI, CLI."""

import json

import pytest
from sqlalchemy import func, select

from app import create_app
from app.admin.reference import channel_by_code
from app.audit.models import AuditLog
from app.leads.apikeys import hash_key, revoke_api_key
from app.leads.models import ApiKey, ConsentRecord, IdempotencyRecord, Lead, LeadTouch
from tests.helpers_intake import bearer, make_api_key

PAYLOAD = {
    "name": "张伟",
    "phone": "138 0013 8000",
    "gender": "男",
    "model": "凌云 400T 星领版",
    "grade": "A",
    "expected_purchase_date": "2026-12-20",
    "marketing_consent": True,
}


def _count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


@pytest.fixture
def store(factory, db):
    s = factory.store("BJ01")
    db.session.commit()
    return s


def test_missing_invalid_and_revoked_keys_get_401(client, db, store):
    key, raw = make_api_key(db, store)
    assert client.post("/api/v1/leads", json=PAYLOAD).status_code == 401
    bad = client.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw[:-2] + "xx"))
    assert bad.status_code == 401 and bad.content_type == "application/problem+json"
    assert client.post("/api/v1/leads", json=PAYLOAD, headers=bearer("ll_nope_abc")).status_code == 401
    revoke_api_key(db.session.get(ApiKey, key.id))
    db.session.commit()
    assert client.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw)).status_code == 401
    assert _count(db, Lead) == 0


def test_only_the_hash_of_the_key_is_stored(db, store):
    key, raw = make_api_key(db, store)
    assert key.key_hash == hash_key(raw) and raw not in key.key_hash and raw.startswith(f"ll_{key.prefix}_")


def test_new_phone_creates_lead_201_with_channel_store_and_consent(client, db, store):
    _key, raw = make_api_key(db, store, channel="ecommerce")
    response = client.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "created" and body["phone"] == "138****8000" and body["stage"] == "new"
    lead = db.session.get(Lead, body["id"])
    assert lead.phone == "+8613800138000" and lead.store_id == store.id and lead.gender == "male"
    assert lead.source_channel_id == channel_by_code("ecommerce").id and lead.owner_id is None
    assert lead.marketing_consent and lead.consent_source == "api"
    assert _count(db, ConsentRecord) == 1
    assert db.session.execute(select(LeadTouch.api_key_id)).scalar() is not None


def test_known_phone_answers_200_existing_with_only_a_reference_and_records_touch(client, db, factory, store):
    existing = factory.lead(store=store, phone="+8613800138000", channel="walk_in")
    db.session.commit()
    _key, raw = make_api_key(db, store, channel="online_ads")
    response = client.post(
        "/api/v1/leads", json={**PAYLOAD, "phone": "+86 138-0013-8000"}, headers=bearer(raw)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"status", "reference"} and body["status"] == "existing"
    again = client.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw)).get_json()
    assert again == body
    touches = db.session.execute(select(LeadTouch).where(LeadTouch.lead_id == existing.id)).scalars().all()
    assert [t.source_channel_id for t in touches] == [channel_by_code("online_ads").id] * 2
    assert _count(db, Lead) == 1


def test_same_idempotency_key_twice_gives_one_lead_and_same_answer(client, db, store):
    _key, raw = make_api_key(db, store)
    headers = bearer(raw, **{"Idempotency-Key": "order-77"})
    first = client.post("/api/v1/leads", json=PAYLOAD, headers=headers)
    second = client.post("/api/v1/leads", json=PAYLOAD, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert _count(db, Lead) == 1 and _count(db, LeadTouch) == 1 and _count(db, IdempotencyRecord) == 1
    # A different key is a different request: the phone is now known -> 200.
    third = client.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw, **{"Idempotency-Key": "order-78"}))
    assert third.status_code == 200 and third.get_json()["reference"] == first.get_json()["reference"]


def test_validation_errors_are_problem_json_listing_fields(client, db, store):
    _key, raw = make_api_key(db, store)
    response = client.post(
        "/api/v1/leads",
        json={
            "phone": "12345",
            "gender": "x",
            "grade": "Z",
            "model": "Tesla",
            "email": "nope",
            "expected_purchase_date": "tomorrow",
        },
        headers=bearer(raw),
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 422 and body["title"]
    fields = {e["field"]: e["code"] for e in body["errors"]}
    assert fields == {
        "name": "required",
        "phone": "invalid",
        "gender": "invalid",
        "grade": "unknown",
        "model": "unknown",
        "email": "invalid",
        "expected_purchase_date": "invalid",
    }
    assert _count(db, Lead) == 0


def test_non_json_body_is_refused(client, db, store):
    _key, raw = make_api_key(db, store)
    response = client.post("/api/v1/leads", data="name=x", headers=bearer(raw))
    assert response.status_code == 415 and response.content_type == "application/problem+json"


def test_api_needs_no_csrf_and_no_session(db, store, tmp_path):
    from tests.conftest import _test_config

    app = create_app(
        _test_config(
            str(tmp_path),
            WTF_CSRF_ENABLED=True,
            SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(hide_password=False),
        )
    )
    _key, raw = make_api_key(db, store)
    with app.test_client() as c:
        assert c.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw)).status_code == 201


def test_rate_limit_per_key_answers_429(db, store, tmp_path):
    from app.extensions import limiter
    from tests.conftest import _test_config

    app = create_app(
        _test_config(
            str(tmp_path),
            RATELIMIT_ENABLED=True,
            API_RATE_LIMIT="3 per minute",
            SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(hide_password=False),
        )
    )
    _key, raw = make_api_key(db, store, name="a")
    _key2, raw2 = make_api_key(db, store, name="b")
    try:
        with app.test_client() as c:
            codes = [
                c.post(
                    "/api/v1/leads", json={**PAYLOAD, "phone": f"1390000000{i}"}, headers=bearer(raw)
                ).status_code
                for i in range(4)
            ]
            assert codes == [201, 201, 201, 429]
            limited = c.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw))
            assert limited.content_type == "application/problem+json"
            # Another key has its own budget.
            assert (
                c.post(
                    "/api/v1/leads", json={**PAYLOAD, "phone": "13900000009"}, headers=bearer(raw2)
                ).status_code
                == 201
            )
    finally:
        with app.app_context():
            limiter.reset()


def test_openapi_document_is_public_json_with_the_path(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1")
    assert "post" in doc["paths"]["/leads"]
    assert {"201", "200", "401", "422", "429"} <= set(doc["paths"]["/leads"]["post"]["responses"])


def test_cli_create_prints_key_alone_on_last_line_and_revoke_works(app, client, db, store):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["apikeys", "create", "--source", "website", "--store", "BJ01", "--name", "官网"]
    )
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith("ll_") and " " not in raw
    db.session.expire_all()
    key = db.session.execute(select(ApiKey)).scalar_one()
    assert key.name == "官网" and key.key_hash == hash_key(raw)
    assert client.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw)).status_code == 201
    result = runner.invoke(args=["apikeys", "revoke", "--prefix", key.prefix])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).revoked_at is not None
    assert client.post("/api/v1/leads", json=PAYLOAD, headers=bearer(raw)).status_code == 401
    actions = set(db.session.execute(select(AuditLog.action)).scalars())
    assert {"apikey.create", "apikey.revoke"} <= actions


def test_cli_create_refuses_unknown_channel_or_store(app, db, store):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["apikeys", "create", "--source", "nope", "--store", "BJ01"]).exit_code != 0
    assert runner.invoke(args=["apikeys", "create", "--source", "website", "--store", "XX"]).exit_code != 0
