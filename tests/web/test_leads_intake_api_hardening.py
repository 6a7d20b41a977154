"""Intake API hardening: no customer data for a known phone, another store's customer stays theirs,
strict field types and lengths, unusual JSON refused without a server error, Allow on 405."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditLog
from app.core.timeutil import local_today
from app.followups.models import Notification
from app.leads.models import ConsentRecord, IdempotencyRecord, Lead, LeadTouch
from tests.helpers_intake import bearer, make_api_key

PAYLOAD = {"name": "张伟", "phone": "138 0013 8000", "gender": "男", "grade": "A"}
PHONE = "+8613800138000"


def _count(db, model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


@pytest.fixture
def stores(factory, db):
    home, other = factory.store("BJ01", name="北京一店"), factory.store("SH01", name="上海一店")
    db.session.commit()
    return home, other


def _post(client, raw, body=PAYLOAD, **headers):
    return client.post("/api/v1/leads", json=body, headers=bearer(raw, **headers))


# --- a known phone -----------------------------------------------------------------------------


def test_another_stores_key_learns_nothing_about_the_customer(client, db, factory, stores):
    home, other = stores
    owner = factory.user(Role.CONSULTANT, store=home)
    lead = factory.lead(owner=owner, store=home, phone=PHONE, name="王秘密", stage="negotiation")
    db.session.commit()
    _key, raw = make_api_key(db, other, channel="online_ads")
    response = _post(client, raw)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"status", "reference"} and body["status"] == "existing"
    text = response.get_data(as_text=True)
    for secret in (
        "王秘密",
        "negotiation",
        str(home.id),
        home.code,
        lead.created_at.date().isoformat(),
        "8000",
    ):
        assert secret not in text.replace(body["reference"], "")
    assert body["reference"] != str(lead.id)


def test_the_reference_is_per_key_and_never_the_lead_id(client, db, factory, stores):
    home, other = stores
    created = _post(client, make_api_key(db, home, name="home")[1])
    assert created.status_code == 201
    home_ref = created.get_json()["reference"]
    _key, raw_other = make_api_key(db, other, name="other")
    other_ref = _post(client, raw_other).get_json()["reference"]
    assert other_ref != home_ref and str(created.get_json()["id"]) not in {home_ref, other_ref}
    assert _post(client, raw_other).get_json()["reference"] == other_ref


def test_another_stores_inquiry_is_a_marked_touch_and_the_customer_stays_unchanged(
    client, db, factory, stores
):
    home, other = stores
    owner = factory.user(Role.CONSULTANT, store=home)
    lead = factory.lead(owner=owner, store=home, phone=PHONE, marketing_consent=False)
    db.session.commit()
    before = (lead.store_id, lead.owner_id, lead.stage_id, lead.name, lead.marketing_consent)
    key, raw = make_api_key(db, other, channel="online_ads")
    assert (
        _post(
            client, raw, {**PAYLOAD, "marketing_consent": True, "source_detail": "618 campaign"}
        ).status_code
        == 200
    )
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert (lead.store_id, lead.owner_id, lead.stage_id, lead.name, lead.marketing_consent) == before
    assert _count(db, ConsentRecord) == 0
    touch = db.session.execute(select(LeadTouch).where(LeadTouch.lead_id == lead.id)).scalar_one()
    assert touch.store_id == other.id and touch.api_key_id == key.id and touch.source_detail == "618 campaign"
    assert touch.payload["other_store"] is True and touch.payload["marketing_consent"] is True
    audit = db.session.execute(
        select(AuditLog).where(AuditLog.action == "lead.other_store_inquiry")
    ).scalar_one()
    assert audit.object_id == str(lead.id)


def test_the_owner_is_told_of_another_stores_inquiry(client, db, factory, stores):
    home, other = stores
    owner = factory.user(Role.CONSULTANT, store=home)
    home_manager = factory.user(Role.MANAGER, store=home)
    factory.lead(owner=owner, store=home, phone=PHONE)
    db.session.commit()
    _key, raw = make_api_key(db, other)
    _post(client, raw)
    notes = db.session.execute(select(Notification)).scalars().all()
    assert [n.user_id for n in notes] == [owner.id]
    assert "138****8000" in notes[0].title and "上海一店" in notes[0].body
    assert _count(db, Notification, Notification.user_id == home_manager.id) == 0


def test_a_pool_customer_inquiry_goes_to_the_owning_stores_managers(client, db, factory, stores):
    home, other = stores
    home_manager = factory.user(Role.MANAGER, store=home)
    other_manager = factory.user(Role.MANAGER, store=other)
    factory.lead(owner=None, store=home, phone=PHONE)
    db.session.commit()
    _key, raw = make_api_key(db, other)
    assert _post(client, raw).status_code == 200
    assert _count(db, Notification, Notification.user_id == home_manager.id) == 1
    assert _count(db, Notification, Notification.user_id == other_manager.id) == 0


def test_own_store_inquiry_keeps_the_touch_and_consent_without_notification(client, db, factory, stores):
    home, _other = stores
    owner = factory.user(Role.CONSULTANT, store=home)
    lead = factory.lead(owner=owner, store=home, phone=PHONE, marketing_consent=False)
    db.session.commit()
    _key, raw = make_api_key(db, home)
    assert _post(client, raw, {**PAYLOAD, "marketing_consent": True}).status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).marketing_consent is True
    touch = db.session.execute(select(LeadTouch).where(LeadTouch.lead_id == lead.id)).scalar_one()
    assert not (touch.payload or {}).get("other_store")
    assert _count(db, Notification) == 0


def test_the_owners_timeline_shows_the_other_stores_inquiry(client, db, factory, login, stores):
    home, other = stores
    owner = factory.user(Role.CONSULTANT, store=home)
    lead = factory.lead(owner=owner, store=home, phone=PHONE)
    db.session.commit()
    _key, raw = make_api_key(db, other, channel="online_ads")
    _post(client, raw, {**PAYLOAD, "source_detail": "抖音广告"})
    page = login(owner).get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "在其他门店（上海一店）咨询" in page and "抖音广告" in page


def test_a_stored_answer_with_customer_details_is_replayed_without_them(client, db, factory, stores):
    home, _other = stores
    lead = factory.lead(store=home, phone=PHONE, name="王秘密")
    key, raw = make_api_key(db, home)
    db.session.add(
        IdempotencyRecord(
            api_key_id=key.id,
            key="old-1",
            status_code=200,
            body={
                "id": lead.id,
                "status": "existing",
                "name": "王秘密",
                "phone": "138****8000",
                "store_id": home.id,
            },
        )
    )
    db.session.commit()
    replay = _post(client, raw, **{"Idempotency-Key": "old-1"})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    body = replay.get_json()
    assert (
        set(body) == {"status", "reference"}
        and body["reference"] == _post(client, raw).get_json()["reference"]
    )


# --- field types, lengths and dates ------------------------------------------------------------

STRING_FIELDS = [
    "name",
    "phone",
    "gender",
    "model",
    "grade",
    "expected_purchase_date",
    "email",
    "region",
    "source_detail",
    "notes",
]


@pytest.mark.parametrize("field", STRING_FIELDS)
@pytest.mark.parametrize("value", [["x"], {"a": "b"}, 13800138000, 1.5, True])
def test_only_strings_are_taken_for_string_fields(client, db, stores, field, value):
    _key, raw = make_api_key(db, stores[0])
    response = _post(client, raw, {**PAYLOAD, field: value})
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert {"field": field, "code": "type", "detail": "Must be a string."} in response.get_json()["errors"]
    assert _count(db, Lead) == 0


def test_a_number_is_not_a_phone(client, db, stores):
    _key, raw = make_api_key(db, stores[0])
    response = _post(client, raw, {"name": "张伟", "phone": 13800138000})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["phone"]


@pytest.mark.parametrize("field", STRING_FIELDS)
def test_every_string_field_has_a_length_limit(client, db, stores, field):
    from app.leads.intake_rules import MAX_LENGTH

    _key, raw = make_api_key(db, stores[0])
    response = _post(client, raw, {**PAYLOAD, field: "a" * (MAX_LENGTH[field] + 1)})
    assert response.status_code == 422
    assert any(e["field"] == field and e["code"] == "too_long" for e in response.get_json()["errors"])


def test_a_name_that_grows_past_the_limit_when_normalised_is_refused(client, db, stores):
    _key, raw = make_api_key(db, stores[0])
    # U+FDFA is one character that NFKC turns into eighteen.
    response = _post(client, raw, {**PAYLOAD, "name": "\ufdfa" * 10})
    assert response.status_code == 422
    assert any(e["field"] == "name" and e["code"] == "too_long" for e in response.get_json()["errors"])


def test_optional_fields_may_be_null(client, db, stores):
    _key, raw = make_api_key(db, stores[0])
    body = {
        **PAYLOAD,
        **dict.fromkeys(
            [
                "gender",
                "model",
                "grade",
                "expected_purchase_date",
                "email",
                "region",
                "source_detail",
                "notes",
            ]
        ),
    }
    assert _post(client, raw, body).status_code == 201


def test_expected_purchase_date_must_lie_in_a_sane_window(client, db, stores):
    _key, raw = make_api_key(db, stores[0])
    today = local_today()
    for day in (
        "9999-12-31",
        "0001-01-01",
        (today + timedelta(days=6 * 366)).isoformat(),
        (today - timedelta(days=400)).isoformat(),
    ):
        response = _post(client, raw, {**PAYLOAD, "expected_purchase_date": day})
        assert response.status_code == 422, day
        assert response.get_json()["errors"][0]["code"] == "out_of_range"
    assert _post(client, raw, {**PAYLOAD, "expected_purchase_date": "20261220"}).status_code == 422
    fine = _post(
        client, raw, {**PAYLOAD, "expected_purchase_date": (today + timedelta(days=4 * 365)).isoformat()}
    )
    assert fine.status_code == 201


# --- unusual JSON --------------------------------------------------------------------------------


def _raw_post(client, raw, text: str):
    return client.post(
        "/api/v1/leads", data=text.encode("utf-8"), content_type="application/json", headers=bearer(raw)
    )


@pytest.mark.parametrize("field", ["name", "notes", "region", "source_detail", "email"])
def test_a_lone_surrogate_is_refused_with_422(client, db, stores, field):
    _key, raw = make_api_key(db, stores[0])
    body = json.dumps({**PAYLOAD, field: "a"}).replace('"a"', '"a\\ud800b"')
    response = _raw_post(client, raw, body)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert response.get_json()["errors"] == [
        {"field": field, "code": "invalid_text", "detail": "Must be valid Unicode text."}
    ]
    assert _count(db, Lead) == 0


@pytest.mark.parametrize("field", ["name", "notes", "region", "source_detail"])
def test_a_nul_character_is_refused_with_422(client, db, stores, field):
    _key, raw = make_api_key(db, stores[0])
    response = _post(client, raw, {**PAYLOAD, field: "a\x00b"})
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert response.get_json()["errors"][0] == {
        "field": field,
        "code": "invalid_text",
        "detail": "Must not contain NUL characters.",
    }
    assert _count(db, Lead) == 0


@pytest.mark.parametrize(
    "text",
    [
        "[" * 2000 + "]" * 2000,
        '{"name": ' + "[" * 2000 + "]" * 2000 + ', "phone": "13800138000"}',
        '{"extra": ' + '{"a": ' * 3000 + "1" + "}" * 3000 + "}",
    ],
)
def test_deeply_nested_json_is_a_400_problem(client, db, stores, text):
    _key, raw = make_api_key(db, stores[0])
    response = _raw_post(client, raw, text)
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    assert response.get_json()["status"] == 400


def test_a_body_over_64_kib_is_refused_with_413(client, db, stores):
    _key, raw = make_api_key(db, stores[0])
    response = _post(client, raw, {**PAYLOAD, "padding": "x" * 70_000})
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert _count(db, Lead) == 0


def test_an_idempotency_key_with_other_than_visible_ascii_is_refused(client, db, stores):
    _key, raw = make_api_key(db, stores[0])
    response = _post(client, raw, **{"Idempotency-Key": "clé"})
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    assert _count(db, Lead) == 0 and _count(db, IdempotencyRecord) == 0


@pytest.mark.parametrize(
    "token", ["ll_zz!!_abc", "ll_abcd_a b", "ll_ABCDEFABCDEFABCDEF_x", "ll__x", "ll_ab_"]
)
def test_malformed_keys_never_reach_a_lookup(client, db, stores, token):
    from app.leads.apikeys import split_key

    assert split_key(token) is None
    assert client.post("/api/v1/leads", json=PAYLOAD, headers=bearer(token)).status_code == 401


# --- 405 ---------------------------------------------------------------------------------------


def test_405_on_the_api_names_the_allowed_methods(client):
    response = client.get("/api/v1/leads")
    assert response.status_code == 405 and response.content_type == "application/problem+json"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}
    put = client.put("/api/v1/openapi.json")
    assert put.status_code == 405 and "GET" in put.headers["Allow"]


def test_405_on_a_page_names_the_allowed_methods(factory, db, login):
    user = factory.user(Role.CONSULTANT)
    db.session.commit()
    response = login(user).get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    fragment = login(user).htmx("get", "/logout")
    assert fragment.status_code == 405 and "POST" in fragment.headers["Allow"]


# --- the OpenAPI document ----------------------------------------------------------------------


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_openapi_document_is_valid_openapi_3_1(client):
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate

    doc = _document(client)
    assert doc["openapi"] == "3.1.0"
    assert [error.message for error in OpenAPIV31SpecValidator(doc).iter_errors()] == []
    validate(doc)


def test_every_string_field_is_typed_and_bounded_in_the_document(client):
    from app.leads.intake_rules import MAX_LENGTH, PHONE_PATTERN

    properties = _document(client)["components"]["schemas"]["LeadRequest"]["properties"]
    strings = {name: schema for name, schema in properties.items() if name != "marketing_consent"}
    assert set(strings) == set(MAX_LENGTH)
    for name, schema in strings.items():
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert "string" in kinds and set(kinds) <= {"string", "null"}, name
        assert schema["maxLength"] == MAX_LENGTH[name], name
    assert properties["name"]["type"] == properties["phone"]["type"] == "string"
    assert properties["phone"]["pattern"] == PHONE_PATTERN
    assert properties["marketing_consent"]["type"] == "boolean"


def test_every_answer_is_documented_with_its_schema(client):
    doc = _document(client)
    responses = doc["paths"]["/leads"]["post"]["responses"]
    assert set(responses) == {"200", "201", "400", "401", "413", "415", "422", "429"}
    for code, response in responses.items():
        content = response["content"]
        if code.startswith("4"):
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
        else:
            assert list(content) == ["application/json"]
    existing = doc["components"]["schemas"]["LeadExisting"]
    assert (
        set(existing["properties"]) == {"status", "reference"} and existing["additionalProperties"] is False
    )
    assert "another store" in doc["info"]["description"]


def test_the_document_lists_the_active_grades(client, db):
    from app.admin.reference import grades

    grade = _document(client)["components"]["schemas"]["LeadRequest"]["properties"]["grade"]
    assert set(grade["enum"]) == {g.code for g in grades() if g.active} | {None}


def test_a_booking_at_another_stores_page_follows_the_same_rule(client, db, factory, stores):
    import re
    from datetime import UTC, datetime

    from freezegun import freeze_time

    home, other = stores
    owner = factory.user(Role.CONSULTANT, store=home)
    lead = factory.lead(owner=owner, store=home, phone=PHONE, marketing_consent=False)
    db.session.commit()
    page = client.get(f"/f/{other.code}").get_data(as_text=True)
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', page).group(1)
    with freeze_time(datetime.now(UTC) + timedelta(seconds=10)):
        response = client.post(
            f"/f/{other.code}",
            data={
                "phone": "13800138000",
                "name": "李娜",
                "model": "",
                "preferred_date": "",
                "started": started,
                "consent": "y",
            },
        )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).store_id == home.id
    assert db.session.get(Lead, lead.id).marketing_consent is False
    touch = db.session.execute(select(LeadTouch).where(LeadTouch.lead_id == lead.id)).scalar_one()
    assert (
        touch.store_id == other.id
        and touch.payload["other_store"] is True
        and touch.payload["form"] == "test_drive"
    )
    assert _count(db, Notification, Notification.user_id == owner.id) == 1
