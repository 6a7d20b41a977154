"""Intake API for websites, ad platforms and shops: POST /api/v1/leads with a per-source key."""

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.admin.reference import by_id, grades, stages
from app.core.phones import mask_phone
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


def lead_body(lead, created: bool) -> dict:
    """Return the JSON the API gives back for a lead (phone masked)."""
    stage = by_id(stages()).get(lead.stage_id)
    return {"id": lead.id, "status": "created" if created else "existing", "name": lead.name,
            "phone": mask_phone(lead.phone), "stage": stage.code if stage else None,
            "store_id": lead.store_id, "created_at": lead.created_at.isoformat() + "Z"}


def stored_answer(api_key_id: int, idem_key: str):
    """Return the response recorded for this Idempotency-Key, if any."""
    row = db.session.execute(
        select(IdempotencyRecord.status_code, IdempotencyRecord.body)
        .where(IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == idem_key)
    ).first()
    if row is None:
        return None
    response = jsonify(row.body)
    response.status_code = row.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.post("/leads")
@public
@limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)
def create_lead_api():
    """Create a lead from a partner channel, or record the touch on the existing customer."""
    key = authenticate(bearer_token(request.headers.get("Authorization")))
    if key is None:
        response = problem(401, "Unauthorized", "Send a valid, unrevoked API key as 'Authorization: Bearer <key>'.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="leadloop"'
        return response
    g.api_key_id = key.id
    idem_key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(idem_key) > MAX_IDEMPOTENCY_KEY:
        return problem(400, "Bad Request", f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters.")
    if idem_key:
        replay = stored_answer(key.id, idem_key)
        if replay is not None:
            db.session.commit()
            return replay
    payload = request.get_json(silent=True)
    if payload is None:
        return problem(415 if not request.is_json else 400, "Bad Request",
                       "Send a JSON object with Content-Type: application/json.")
    clean, errors = validate_external_lead(payload, grade_codes={gr.code for gr in grades() if gr.active},
                                           models=model_choices())
    if errors:
        return problem(422, "Validation failed", "Some fields are missing or invalid.",
                       type_="https://leadloop.example/problems/validation",
                       errors=[{"field": e.field, "code": e.code, "detail": e.detail} for e in errors])
    result = intake_lead(clean, channel_id=key.source_channel_id, store_id=key.store_id, consent_source="api",
                         api_key_id=key.id, payload={"api_key": key.prefix})
    status = 201 if result.created else 200
    body = lead_body(result.lead, result.created)
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
    return jsonify(openapi_document())
