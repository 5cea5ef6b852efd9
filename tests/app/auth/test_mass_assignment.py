"""No mass assignment: request bodies forbid unknown fields, and no request body can carry a
server-owned field (ids, status, authorship, versions, timestamps)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.main import create_app
from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.factories import benefit_body
from tests.security_factories import make_open_period, make_people

SERVER_OWNED = {
    "id",
    "status",
    "created_by",
    "created_at",
    "updated_at",
    "version",
    "submitted_by",
    "submitted_at",
    "on_behalf",
    "opened_at",
    "closed_at",
    "revoked_at",
    "last_used_at",
}


# Keys the customer chooses (API.md: a budget's "id" names it, like a benefit's code).
CUSTOMER_KEYS = {("Budget", "id")}


def _request_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    document = create_app().openapi()
    components = document["components"]["schemas"]

    def walk(schema: dict[str, Any], where: str, seen: set[str]) -> Iterator[tuple[str, Any]]:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                yield from walk(components[name], name, seen | {name})
            return
        if "properties" in schema:
            yield where, schema
        for child in schema.get("properties", {}).values():
            yield from walk(child, where, seen)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from walk(schema[key], where, seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for child in schema.get(key, []):
                yield from walk(child, where, seen)

    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            for body in content.values():
                for where, schema in walk(body["schema"], "", set()):
                    yield f"{method.upper()} {path} ({where})", schema


def test_every_request_object_forbids_unknown_fields() -> None:
    open_objects = sorted(
        {
            where
            for where, schema in _request_schemas()
            if schema.get("additionalProperties") is not False
        }
    )
    assert open_objects == []


def test_no_request_body_declares_a_server_owned_field() -> None:
    writable = {
        (where, name)
        for where, schema in _request_schemas()
        for name in schema["properties"]
        if name in SERVER_OWNED
        and (where.rsplit("(", 1)[-1].rstrip(")"), name) not in CUSTOMER_KEYS
    }
    assert writable == set()


def _writes(period_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("POST", "/api/v1/benefits", benefit_body(code="NEW")),
        ("PATCH", "/api/v1/benefits/GYM", {"name": "Gym"}),
        ("POST", "/api/v1/peer-groups", {"code": "G9", "name": "G"}),
        ("PATCH", "/api/v1/peer-groups/HQ-L2", {"name": "HQ"}),
        ("POST", "/api/v1/employees", {"external_id": "E9", "peer_group": "HQ-L2"}),
        ("PATCH", "/api/v1/employees/E1", {"display_name": "Ana"}),
        ("POST", "/api/v1/periods", period_body()),
        ("PATCH", f"/api/v1/periods/{period_id}", {"name": "renamed"}),
        ("PUT", f"/api/v1/periods/{period_id}/preferences/E1", {"points": {"GYM": 10}}),
        ("POST", "/api/v1/api-keys", {"name": "k", "roles": ["hr_admin"]}),
    ]


@pytest.mark.parametrize("field", ["id", "status", "created_by", "version"])
def test_server_owned_fields_are_refused_on_every_write(api: ApiClient, field: str) -> None:
    make_people(api)
    period_id = make_open_period(api)
    admin = api.auth("hr_admin")
    for method, url, body in _writes(period_id):
        response = api.request(method, url, json={**body, field: "x"}, headers=admin)
        assert response.status_code == 422, (method, url, response.text)
        errors = response.json()["errors"]
        assert {"loc": ["body", field], "msg": "unknown field; remove it"} in errors
        # The same body without it is accepted: the field alone was the problem.
        clean = api.request(method, url, json=body, headers=admin)
        assert clean.status_code in (200, 201), (method, url, clean.text)


def test_my_preferences_cannot_be_written_as_someone_else(api: ApiClient) -> None:
    make_people(api)
    period_id = make_open_period(api)
    ana = api.auth("employee", employee="E1")
    url = f"/api/v1/me/periods/{period_id}/preferences"
    for extra in ({"employee": "E2"}, {"submitted_by": "someone"}, {"on_behalf": True}):
        response = api.put(url, json={"points": {"GYM": 10}, **extra}, headers=ana)
        assert response.status_code == 422, response.text


def test_import_rows_cannot_carry_server_owned_columns(api: ApiClient) -> None:
    make_people(api)
    admin = api.auth("hr_admin")
    for column in ("id", "version", "created_at"):
        row = {"external_id": "E1", "peer_group": "HQ-L2", column: 7}
        response = api.post("/api/v1/employees/import", json=[row], headers=admin)
        assert response.status_code == 422, response.text
        assert column in response.text
