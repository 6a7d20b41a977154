"""The OpenAPI 3.1 description of the intake API."""

LEAD_REQUEST = {
    "type": "object",
    "required": ["name", "phone"],
    "properties": {
        "name": {"type": "string", "maxLength": 100, "examples": ["张伟"]},
        "phone": {"type": "string", "description": "Mainland mobile; spaces, dashes, +86 and full-width digits "
                  "are accepted.", "examples": ["138 0013 8000"]},
        "gender": {"type": "string", "enum": ["male", "female", "unknown", "男", "女"], "default": "unknown"},
        "model": {"type": "string", "description": "Vehicle model name, series or id.", "examples": ["凌云 400T 星领版"]},
        "grade": {"type": "string", "description": "Intent grade code (H, A, B, C).", "default": "C"},
        "expected_purchase_date": {"type": "string", "format": "date"},
        "email": {"type": "string", "format": "email", "maxLength": 255},
        "region": {"type": "string", "maxLength": 100},
        "source_detail": {"type": "string", "maxLength": 255, "description": "Campaign, page or ad id."},
        "notes": {"type": "string", "maxLength": 2000},
        "marketing_consent": {"type": "boolean", "default": False},
    },
}

LEAD_RESPONSE = {
    "type": "object",
    "required": ["id", "status", "phone"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": ["created", "existing"]},
        "name": {"type": "string"},
        "phone": {"type": "string", "description": "Masked: 138****8000."},
        "stage": {"type": ["string", "null"]},
        "store_id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}

PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object",
            "properties": {"field": {"type": "string"}, "code": {"type": "string"}, "detail": {"type": "string"}},
        }},
    },
}


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def openapi_document() -> dict:
    """Return the OpenAPI document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "LeadLoop intake API", "version": "1.0.0",
                 "description": "Send leads from websites, ad platforms and shops. One customer per phone: "
                                "a known phone answers 200 with the existing lead and records the new touch."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "Per-source key created by an administrator."}},
            "schemas": {"LeadRequest": LEAD_REQUEST, "Lead": LEAD_RESPONSE, "Problem": PROBLEM},
        },
        "security": [{"apiKey": []}],
        "paths": {
            "/leads": {
                "post": {
                    "operationId": "createLead",
                    "summary": "Create a lead (or touch the existing customer with the same phone)",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                    "schema": {"type": "string", "maxLength": 128},
                                    "description": "Repeat a request safely: the same key returns the same answer."}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/LeadRequest"}}}},
                    "responses": {
                        "201": {"description": "Lead created", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Lead"}}}},
                        "200": {"description": "Customer already known; touch recorded",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Lead"}}}},
                        "400": _problem("Malformed request"),
                        "401": _problem("Missing, invalid or revoked API key"),
                        "415": _problem("Body is not JSON"),
                        "422": _problem("Validation failed; `errors` lists the fields"),
                        "429": _problem("Rate limit exceeded"),
                    },
                }
            }
        },
    }
