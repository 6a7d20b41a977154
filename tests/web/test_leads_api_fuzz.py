"""Property-based fuzzing of the intake API, driven by the app's own OpenAPI document.

Schemathesis reads /api/v1/openapi.json from the Flask app in process (WSGI), generates requests
from it (valid ones, and invalid ones), sends them with a live API key and checks every answer:
no server error, a documented status code and content type, and a body that matches the
documented schema. The seed is fixed and the number of examples bounded, so a run is repeatable
and takes well under a minute.
"""

import collections
import contextvars

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers_intake import make_api_key

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Requests that break the document (a number or an array for a string, a phone off the pattern, ...)
# must be refused with a 4xx.
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]
# (path, method, generation mode, examples): the document itself takes no input to get wrong.
RUNS = [
    ("/leads", "POST", GenerationMode.POSITIVE, 120),
    ("/leads", "POST", GenerationMode.NEGATIVE, 80),
    ("/openapi.json", "GET", GenerationMode.POSITIVE, 5),
]

# Generated phones rarely are real numbers, and generated model names and dates rarely exist or fall
# in the window: some valid requests take one of these phones and leave the other two out, so they
# also create leads (201), meet known customers (200) and store whatever text was generated.
PHONES = ["13800138000", "+86 139-0000-0001", "１３７００００００１２"]
REFERENCE_FIELDS = ("model", "expected_purchase_date")


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def api_key(factory, db):
    store = factory.store("FZ01")
    db.session.commit()
    _key, raw = make_api_key(db, store, name="fuzz")
    return raw


def _call(case):
    # Each request runs outside the test's app context, as under a real server.
    return contextvars.Context().run(case.call)


@pytest.mark.parametrize(
    "path,method,mode,examples", RUNS, ids=[f"{m} {p} {g.value}" for p, m, g, _n in RUNS]
)
def test_every_generated_request_gets_a_documented_answer(api_schema, api_key, path, method, mode, examples):
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {api_key}"}
    statuses: list[int] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode, headers=headers),
        phone=st.one_of(
            st.none(), st.sampled_from(PHONES), st.integers(0, 10**8 - 1).map(lambda n: f"139{n:08d}")
        ),
    )
    def run(case, phone):
        if phone and mode == GenerationMode.POSITIVE and isinstance(case.body, dict):
            case.body["phone"] = phone
            for field in REFERENCE_FIELDS:
                case.body.pop(field, None)
        response = _call(case)
        statuses.append(response.status_code)
        case.validate_response(
            response, checks=NEGATIVE_CHECKS if mode == GenerationMode.NEGATIVE else CHECKS
        )

    run()
    seen = sorted(collections.Counter(statuses).items())
    assert statuses and all(code < 500 for code in statuses), seen
    if method == "POST" and mode == GenerationMode.POSITIVE:
        # Valid requests reach the service (new leads and known customers), not only the validation.
        assert {200, 201} <= set(statuses), seen
    if method == "POST" and mode == GenerationMode.NEGATIVE:
        assert {400, 422} <= set(statuses), seen
