"""The OpenAPI document describes the errors actually sent: application/problem+json."""

from __future__ import annotations

from tests.conftest import ApiClient


def test_openapi_documents_errors_as_problem_json(api: ApiClient) -> None:
    document = api.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    patch = document["paths"]["/api/v1/benefits/{code}"]["patch"]["responses"]
    for status in ("422", "4XX"):
        assert patch[status]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
    problem = api.get("/api/v1/benefits/NOPE", headers=api.auth("finance")).json()
    assert set(document["components"]["schemas"]["Problem"]["required"]) <= set(problem)
