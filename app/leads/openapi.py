"""The OpenAPI 3.1 description of the intake API."""

from app.leads.intake_rules import (
    GENDER_WORDS,
    MAX_LENGTH,
    PHONE_PATTERN,
    PURCHASE_YEARS_AHEAD,
    PURCHASE_YEARS_BACK,
)

DESCRIPTION = (
    "Send leads from websites, ad platforms and shops. Each key belongs to one source channel and one "
    "store. One customer per phone number:\n\n"
    "- a new phone creates the lead in the key's store and answers 201 with the new lead;\n"
    '- a known phone answers 200 with only `{"status": "existing", "reference": ...}`: no name, stage, '
    "store or date of the customer, whichever store they belong to. The reference is opaque, stable for "
    "the key that asked and meaningless to any other key;\n"
    "- the inquiry is recorded on the existing customer's timeline as an inbound touch from the key's "
    "channel. When the customer belongs to the key's store, a marketing consent sent with it is applied. "
    "When they belong to another store, they stay with that store and owner and nothing about them "
    "changes: the touch is marked as coming from the key's store, a consent sent with it is kept in the "
    "touch only, and the owner (or, for a customer in the pool, that store's managers) is notified.\n\n"
    "String fields take JSON strings only (no numbers, arrays or objects) of at most `maxLength` "
    "characters, without NUL characters. Errors are RFC 9457 problem details."
)


def _text(max_length: int, nullable: bool = True, **extra) -> dict:
    kind = ["string", "null"] if nullable else "string"
    return {"type": kind, "maxLength": max_length, **extra}


def lead_request_schema(grade_codes: list[str] | None = None) -> dict:
    """Return the JSON schema of the request body (grades: the active codes, when known)."""
    grade = _text(MAX_LENGTH["grade"], description="Intent grade code (for example H, A, B, C); default C.")
    if grade_codes:
        grade["enum"] = [*sorted(grade_codes), None]
    return {
        "type": "object",
        "required": ["name", "phone"],
        "properties": {
            "name": _text(MAX_LENGTH["name"], nullable=False, minLength=1, examples=["张伟"]),
            "phone": _text(
                MAX_LENGTH["phone"],
                nullable=False,
                pattern=PHONE_PATTERN,
                description="Mainland mobile; spaces, dashes, brackets, +86 and full-width digits "
                "are accepted.",
                examples=["138 0013 8000"],
            ),
            "gender": _text(
                MAX_LENGTH["gender"],
                enum=[*GENDER_WORDS, None],
                description="male, female or unknown (also m, f, 男, 女, 先生, 女士, 未知); default unknown.",
            ),
            "model": _text(
                MAX_LENGTH["model"],
                description="Vehicle model name, series or id.",
                examples=["凌云 400T 星领版"],
            ),
            "grade": grade,
            "expected_purchase_date": _text(
                MAX_LENGTH["expected_purchase_date"],
                format="date",
                description=f"YYYY-MM-DD, from {PURCHASE_YEARS_BACK} year ago to {PURCHASE_YEARS_AHEAD} years "
                "ahead (China time).",
            ),
            "email": _text(MAX_LENGTH["email"], format="email"),
            "region": _text(MAX_LENGTH["region"]),
            "source_detail": _text(MAX_LENGTH["source_detail"], description="Campaign, page or ad id."),
            "notes": _text(MAX_LENGTH["notes"]),
            "marketing_consent": {"type": "boolean", "default": False},
        },
    }


LEAD_CREATED = {
    "type": "object",
    "required": ["id", "reference", "status", "name", "phone", "stage", "store_id", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "reference": {"type": "string", "description": "Opaque reference, the same in later 200 answers."},
        "status": {"type": "string", "const": "created"},
        "name": {"type": "string"},
        "phone": {"type": "string", "description": "Masked: 138****8000."},
        "stage": {"type": ["string", "null"]},
        "store_id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}

LEAD_EXISTING = {
    "type": "object",
    "required": ["status", "reference"],
    "properties": {
        "status": {"type": "string", "const": "existing"},
        "reference": {
            "type": "string",
            "description": "Opaque reference to the customer for this key; not a lead id.",
        },
    },
    "additionalProperties": False,
}

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "detail"],
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}


def _problem(description: str, **extra) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        **extra,
    }


def openapi_document(
    grade_codes: list[str] | None = None, idempotency_key_pattern: str | None = None
) -> dict:
    """Return the OpenAPI document as a dict."""
    idempotency_schema = {"type": "string", "maxLength": 128}
    if idempotency_key_pattern:
        idempotency_schema["pattern"] = idempotency_key_pattern
    return {
        "openapi": "3.1.0",
        "info": {"title": "LeadLoop intake API", "version": "1.1.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Per-source key created by an administrator.",
                }
            },
            "schemas": {
                "LeadRequest": lead_request_schema(grade_codes),
                "LeadCreated": LEAD_CREATED,
                "LeadExisting": LEAD_EXISTING,
                "Problem": PROBLEM,
            },
        },
        "security": [{"apiKey": []}],
        "paths": {
            "/leads": {
                "post": {
                    "operationId": "createLead",
                    "summary": "Create a lead (or record the inquiry on the customer who has this phone)",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": idempotency_schema,
                            "description": "Repeat a request safely: the same key returns the same "
                            "answer (visible ASCII characters).",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/LeadRequest"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Lead created",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/LeadCreated"}}
                            },
                        },
                        "200": {
                            "description": "Customer already known; the inquiry is recorded (see the rule above)",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/LeadExisting"}}
                            },
                        },
                        "400": _problem("Malformed JSON, JSON nested too deeply, or a bad Idempotency-Key"),
                        "401": _problem(
                            "Missing, invalid or revoked API key",
                            headers={"WWW-Authenticate": {"schema": {"type": "string"}}},
                        ),
                        "413": _problem("Body larger than 64 KiB"),
                        "415": _problem("Body is not JSON"),
                        "422": _problem("Validation failed; `errors` lists the fields"),
                        "429": _problem("Rate limit exceeded"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
    }
