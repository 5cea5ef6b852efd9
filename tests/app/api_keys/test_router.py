from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.auth.models import ApiKey
from tests.conftest import ApiClient
from tests.domain_factories import make_employee, make_peer_group

KEYS = "/api/v1/api-keys"


def test_create_key_returns_secret_once_and_it_authenticates(api: ApiClient) -> None:
    admin = api.auth("hr_admin", "payroll")
    response = api.post(KEYS, json={"name": "payroll export", "roles": ["payroll"]}, headers=admin)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["key"].startswith("fb_")
    assert body["roles"] == ["payroll"]
    assert response.headers["Location"] == f"{KEYS}/{body['id']}"
    stored = api.session.scalar(select(ApiKey).where(ApiKey.public_id == body["id"]))
    assert stored is not None
    assert body["key"].split("_", 2)[2] not in stored.secret_hash
    listed = api.get(KEYS, headers=admin).json()["items"]
    assert body["id"] in [item["id"] for item in listed]
    assert all("key" not in item for item in listed)
    # The new key works at once (any authenticated route will do).
    metrics = api.get("/metrics", headers={"Authorization": f"Bearer {body['key']}"})
    assert metrics.status_code == 200


def test_missing_or_bad_token_is_401_with_bearer_challenge(api: ApiClient) -> None:
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer fb_nothing_here"},
        {"Authorization": "Bearer garbage"},
    ):
        response = api.get(KEYS, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"


def test_wrong_secret_with_real_prefix_is_401(api: ApiClient) -> None:
    token = api.auth("hr_admin")["Authorization"]
    forged = token[: token.rindex("_") + 1] + "x" * 43
    assert api.get(KEYS, headers={"Authorization": forged}).status_code == 401


def test_role_that_may_not_act_is_403(api: ApiClient) -> None:
    response = api.post(KEYS, json={"name": "n", "roles": ["payroll"]}, headers=api.auth("finance"))
    assert response.status_code == 403
    assert "hr_admin" in response.json()["detail"]


def test_revocation_is_immediate(api: ApiClient) -> None:
    admin = api.auth("hr_admin")
    created = api.post(KEYS, json={"name": "temp", "roles": ["hr_admin"]}, headers=admin).json()
    victim = {"Authorization": f"Bearer {created['key']}"}
    assert api.get(KEYS, headers=victim).status_code == 200
    assert api.delete(f"{KEYS}/{created['id']}", headers=admin).status_code == 204
    response = api.get(KEYS, headers=victim)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_revoking_unknown_key_is_404(api: ApiClient) -> None:
    assert api.delete(f"{KEYS}/nope", headers=api.auth("hr_admin")).status_code == 404


def test_expired_key_is_401(api: ApiClient) -> None:
    admin = api.auth("hr_admin", "auditor")
    expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    created = api.post(
        KEYS, json={"name": "short", "roles": ["auditor"], "expires_at": expires}, headers=admin
    ).json()
    stored = api.session.scalar(select(ApiKey).where(ApiKey.public_id == created["id"]))
    assert stored is not None
    stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    api.session.commit()
    response = api.get("/metrics", headers={"Authorization": f"Bearer {created['key']}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_last_used_at_is_recorded(api: ApiClient) -> None:
    headers = api.auth("auditor")
    api.get("/metrics", headers=headers)
    token = headers["Authorization"].split("_")[1]
    stored = api.session.scalar(select(ApiKey).where(ApiKey.prefix == token))
    assert stored is not None
    api.session.refresh(stored)
    assert stored.last_used_at is not None


def test_invalid_create_bodies_name_the_field(api: ApiClient) -> None:
    admin = api.auth("hr_admin", "payroll")
    cases = [
        ({"name": "x", "roles": ["wizard"]}, ["body", "roles", 0]),
        ({"name": "x", "roles": []}, ["body", "roles"]),
        ({"name": "", "roles": ["payroll"]}, ["body", "name"]),
        ({"name": "x", "roles": ["employee"]}, ["body", "employee"]),
        ({"name": "x", "roles": ["employee"], "employee": "NOPE"}, ["body", "employee"]),
        ({"name": "x", "roles": ["payroll"], "extra": 1}, ["body", "extra"]),
        (
            {"name": "x", "roles": ["payroll"], "expires_at": "2001-01-01T00:00:00Z"},
            ["body", "expires_at"],
        ),
    ]
    for body, loc in cases:
        response = api.post(KEYS, json=body, headers=admin)
        assert response.status_code == 422, body
        problem = response.json()
        assert problem["status"] == 422
        assert loc in [error["loc"] for error in problem["errors"]], problem


def test_a_key_grants_only_roles_its_creator_holds(api: ApiClient) -> None:
    body = {"name": "self-approval", "roles": ["approver"]}
    refused = api.post(KEYS, json=body, headers=api.auth("hr_admin"))
    assert refused.status_code == 403
    assert "approver" in refused.json()["detail"]
    allowed = api.post(KEYS, json=body, headers=api.auth("hr_admin", "approver"))
    assert allowed.status_code == 201


def test_hr_admin_hands_out_employee_keys_bound_to_an_employee(api: ApiClient) -> None:
    make_employee(api.session, external_id="E00042", peer_group=make_peer_group(api.session))
    admin = api.auth("hr_admin")
    response = api.post(
        KEYS, json={"name": "ana", "roles": ["employee"], "employee": "E00042"}, headers=admin
    )
    assert response.status_code == 201
    assert response.json()["employee"] == "E00042"


def test_binding_to_an_unknown_or_inactive_employee_is_422(api: ApiClient) -> None:
    group = make_peer_group(api.session)
    make_employee(api.session, external_id="GONE", peer_group=group, active=False)
    admin = api.auth("hr_admin")
    for external_id, fragment in (("NOPE", "no employee"), ("GONE", "not active")):
        body = {"name": "x", "roles": ["employee"], "employee": external_id}
        response = api.post(KEYS, json=body, headers=admin)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "employee"]
        assert fragment in response.json()["errors"][0]["msg"]


def test_openapi_publishes_roles_per_route(api: ApiClient) -> None:
    spec = api.get("/openapi.json").json()
    assert spec["paths"]["/api/v1/api-keys"]["post"]["x-roles"] == ["hr_admin"]
    assert "x-roles" not in spec["paths"]["/healthz"]["get"]
