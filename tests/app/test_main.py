"""Whole-app contract checks over the generated OpenAPI document."""

from __future__ import annotations

from typing import Any

from app.auth.principal import ROLES
from tests.conftest import ApiClient

PUBLIC_PATHS = {"/healthz", "/readyz"}
METHODS = {"get", "post", "put", "patch", "delete"}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_route_but_health_declares_its_roles(api: ApiClient) -> None:
    spec = api.get("/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(spec)
        if path not in PUBLIC_PATHS and not operation.get("x-roles")
    ]
    assert missing == []
    for _path, _method, operation in operations(spec):
        assert set(operation.get("x-roles", [])) <= set(ROLES)


def test_every_json_request_body_has_an_example(api: ApiClient) -> None:
    spec = api.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    missing = []
    for path, method, operation in operations(spec):
        content = operation.get("requestBody", {}).get("content", {})
        for media_type, body in content.items():
            schema = body.get("schema", {})
            ref = schema.get("$ref", "").removeprefix("#/components/schemas/")
            resolved = schemas.get(ref, schema)
            if not (body.get("example") or body.get("examples") or resolved.get("examples")):
                missing.append(f"{method.upper()} {path} ({media_type})")
    assert missing == []


def test_docs_are_served(api: ApiClient) -> None:
    assert api.get("/docs").status_code == 200


def test_openapi_declares_bearer_auth_for_docs(api: ApiClient) -> None:
    spec = api.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert any(scheme.get("scheme", "").lower() == "bearer" for scheme in schemes.values())
    assert spec["paths"]["/api/v1/benefits"]["get"]["security"]
    assert "security" not in spec["paths"]["/healthz"]["get"]
