"""The service's OpenAPI document, checked by schemathesis against a real server: for every
operation, requests generated from the document get the answers the document describes
(status codes, content types, response schemas), and never a server error."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
pytest.importorskip("uvicorn", reason="the server extra is not installed")

import serving  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

# The shared fixtures, where pytest looks for them.
served_index = serving.served_index
server = serving.server
writable_index = serving.writable_index

OPERATIONS = ["GET /search", "GET /complete", "GET /documents/{id}", "GET /stats", "GET /health",
              "POST /documents", "DELETE /documents/{id}"]


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


def test_the_document_names_every_operation(api_schema):
    found = sorted(f"{r.ok().method.upper()} {r.ok().path}" for r in api_schema.get_all_operations())
    assert found == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_answers_as_documented(api_schema, label):
    # The generated requests carry no API key: the write routes must refuse them, as documented.
    operation = api_schema.find_operation_by_label(label)
    # A filter's value is checked against its field's type (a date, words), which the
    # document cannot say: "date:x" or "body:?" is schema-valid and refused with a message.
    excluded = [schemathesis.checks.positive_data_acceptance] if label == "GET /search" else []

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(excluded_checks=excluded)

    check()
