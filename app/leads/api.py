"""Intake API for websites, ad platforms and shops: POST /api/v1/leads with a per-source key."""

import hashlib
import hmac
import re

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.admin.reference import by_id, grades, stages
from app.core.phones import mask_phone
from app.core.timeutil import local_today
from app.extensions import csrf, db, limiter
from app.leads.apikeys import authenticate, bearer_token, split_key
from app.leads.intake import intake_lead, model_choices
from app.leads.intake_rules import validate_external_lead
from app.leads.models import IdempotencyRecord
from app.leads.openapi import openapi_document
from app.web.access import public

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PROBLEM = "application/problem+json"
MAX_IDEMPOTENCY_KEY = 128
# Visible ASCII only: the key is stored and compared as sent.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,128}$"
IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)
# A lead is a few hundred bytes of JSON; anything much larger is refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024


def problem(status: int, title: str, detail: str = "", type_: str = "about:blank", **extra):
    """Return an RFC 7807 problem+json response."""
    body = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.content_type = PROBLEM
    return response


def rate_limit_key() -> str:
    """Limit per API key (its public prefix); unauthenticated callers per address."""
    parts = split_key(bearer_token(request.headers.get("Authorization")))
    return f"key:{parts[0]}" if parts else f"ip:{request.remote_addr}"


@bp.errorhandler(429)
def too_many_requests(error):
    """Answer a rate-limited call with problem details."""
    return problem(429, "Too Many Requests", "Rate limit exceeded; retry later.")


def lead_reference(api_key_id: int, lead_id: int) -> str:
    """Return an opaque reference to a lead for one API key: stable for that key, meaningless elsewhere."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    digest = hmac.new(secret, f"lead-ref:{api_key_id}:{lead_id}".encode(), hashlib.sha256).hexdigest()
    return f"lr_{digest[:24]}"


def lead_body(lead, created: bool, api_key_id: int) -> dict:
    """Return the JSON the API gives back for a lead.

    A new lead is described (phone masked); for a customer who was already known the answer
    says only that, with an opaque reference: nothing about who the customer is or which store
    has them.
    """
    reference = lead_reference(api_key_id, lead.id)
    if not created:
        return {"status": "existing", "reference": reference}
    stage = by_id(stages()).get(lead.stage_id)
    return {
        "id": lead.id,
        "reference": reference,
        "status": "created",
        "name": lead.name,
        "phone": mask_phone(lead.phone),
        "stage": stage.code if stage else None,
        "store_id": lead.store_id,
        "created_at": lead.created_at.isoformat() + "Z",
    }


def replay_body(api_key_id: int, status_code: int, body: dict) -> dict:
    """Return a recorded answer in today's form (answers recorded earlier described known customers)."""
    body = dict(body)
    if "reference" not in body and isinstance(body.get("id"), int):
        body["reference"] = lead_reference(api_key_id, body["id"])
    if status_code == 200:
        return {"status": "existing", "reference": str(body.get("reference") or "")}
    return body


def stored_answer(api_key_id: int, idem_key: str):
    """Return the response recorded for this Idempotency-Key, if any."""
    row = db.session.execute(
        select(IdempotencyRecord.status_code, IdempotencyRecord.body).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == idem_key
        )
    ).first()
    if row is None:
        return None
    response = jsonify(replay_body(api_key_id, row.status_code, row.body))
    response.status_code = row.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def read_json_body():
    """Return (payload, None), or (None, problem response) for a body that is not usable JSON."""
    if not request.is_json:
        return None, problem(
            415, "Unsupported Media Type", "Send a JSON object with Content-Type: application/json."
        )
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None, problem(413, "Content Too Large", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    request.max_content_length = MAX_BODY_BYTES
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        payload = None
    if payload is None:
        return None, problem(400, "Bad Request", "The body is not valid JSON (or is nested too deeply).")
    return payload, None


@bp.post("/leads")
@public
@limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)
def create_lead_api():
    """Create a lead from a partner channel, or record the touch on the existing customer."""
    key = authenticate(bearer_token(request.headers.get("Authorization")))
    if key is None:
        response = problem(
            401, "Unauthorized", "Send a valid, unrevoked API key as 'Authorization: Bearer <key>'."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="leadloop"'
        return response
    g.api_key_id = key.id
    idem_key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(idem_key) > MAX_IDEMPOTENCY_KEY:
        return problem(
            400, "Bad Request", f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters."
        )
    if idem_key and not IDEMPOTENCY_KEY_RE.fullmatch(idem_key):
        return problem(400, "Bad Request", "Idempotency-Key may hold visible ASCII characters only.")
    if idem_key:
        replay = stored_answer(key.id, idem_key)
        if replay is not None:
            db.session.commit()
            return replay
    payload, refusal = read_json_body()
    if refusal is not None:
        return refusal
    clean, errors = validate_external_lead(
        payload,
        grade_codes={gr.code for gr in grades() if gr.active},
        models=model_choices(),
        today=local_today(),
    )
    if errors:
        return problem(
            422,
            "Validation failed",
            "Some fields are missing or invalid.",
            type_="https://leadloop.example/problems/validation",
            errors=[{"field": e.field, "code": e.code, "detail": e.detail} for e in errors],
        )
    result = intake_lead(
        clean,
        channel_id=key.source_channel_id,
        store_id=key.store_id,
        consent_source="api",
        api_key_id=key.id,
        payload={"api_key": key.prefix},
    )
    status = 201 if result.created else 200
    body = lead_body(result.lead, result.created, key.id)
    if idem_key:
        db.session.add(IdempotencyRecord(api_key_id=key.id, key=idem_key, status_code=status, body=body))
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key won: give its answer.
        db.session.rollback()
        replay = stored_answer(key.id, idem_key) if idem_key else None
        if replay is None:
            raise
        return replay
    response = jsonify(body)
    response.status_code = status
    return response


@bp.get("/openapi.json")
@public
def openapi_json():
    """Describe the intake API (OpenAPI 3.1)."""
    return jsonify(
        openapi_document(
            grade_codes=[gr.code for gr in grades() if gr.active],
            idempotency_key_pattern=IDEMPOTENCY_KEY_PATTERN,
        )
    )
