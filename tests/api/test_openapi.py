"""The OpenAPI document is valid, describes every API route, and the app keeps to it."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_document_is_valid_openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    validate(response.json)


def test_the_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    described = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
        if method != "parameters"
    }
    routed = {
        (rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}"), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routed


@pytest.fixture
def staff_token(demo):
    return token_for(demo, "staff@lublin.example")


def test_no_answer_is_a_server_error_and_every_answer_matches_the_document(demo, staff_token):
    demo.config["API_RATE_LIMIT"] = "100000/minute"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo)
    headers = {"Authorization": f"Bearer {staff_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every operation but the document itself, which schemathesis leaves out.
    assert {operation.label for operation in operations} == {
        "GET /shipments",
        "GET /shipments/{reference}",
        "POST /shipments/{reference}/events",
        "POST /shipments/{reference}/receipt",
    }
    for operation in operations:

        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def keeps_to_the_document(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        keeps_to_the_document()
