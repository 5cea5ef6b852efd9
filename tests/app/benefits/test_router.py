from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import ApiClient, FreshDatabase
from tests.factories import benefit_body

BENEFITS = "/api/v1/benefits"


@pytest.fixture
def admin(api: ApiClient) -> dict[str, str]:
    return api.auth("hr_admin")


def create(api: ApiClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = api.post(BENEFITS, json=benefit_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def error_locs(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["loc"] for error in response.json()["errors"]]


def test_create_then_read_with_location_and_etag(api: ApiClient, admin: dict[str, str]) -> None:
    response = api.post(BENEFITS, json=benefit_body(), headers=admin)
    assert response.status_code == 201
    assert response.headers["Location"] == f"{BENEFITS}/GYM"
    etag = response.headers["ETag"]
    got = api.get(f"{BENEFITS}/GYM", headers=api.auth("employee", employee="E1"))
    assert got.status_code == 200
    assert got.headers["ETag"] == etag
    body = got.json()
    assert body["cost"] == 36000
    assert body["active"] is True
    assert body["payroll_code"] == "BIK-GYM"
    assert "id" not in body and "version" not in body


def test_every_role_reads_only_hr_admin_writes(api: ApiClient) -> None:
    create(api, api.auth("hr_admin"))
    for role in ("approver", "payroll", "finance", "auditor"):
        headers = api.auth(role)
        assert api.get(BENEFITS, headers=headers).status_code == 200
        assert api.get(f"{BENEFITS}/GYM", headers=headers).status_code == 200
        assert api.post(BENEFITS, json=benefit_body(code="X"), headers=headers).status_code == 403
        assert api.patch(f"{BENEFITS}/GYM", json={"cost": 1}, headers=headers).status_code == 403
    assert api.get(BENEFITS).status_code == 401


def test_duplicate_code_is_409(api: ApiClient, admin: dict[str, str]) -> None:
    create(api, admin)
    response = api.post(BENEFITS, json=benefit_body(name="Other"), headers=admin)
    assert response.status_code == 409
    assert "GYM" in response.json()["detail"]


def test_unknown_benefit_is_404(api: ApiClient, admin: dict[str, str]) -> None:
    assert api.get(f"{BENEFITS}/NOPE", headers=admin).status_code == 404
    assert api.patch(f"{BENEFITS}/NOPE", json={"cost": 1}, headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"cost": -1}, ["body", "cost"]),
        ({"cost": 2**64}, ["body", "cost"]),
        ({"capacity": 2**40}, ["body", "capacity"]),
        ({"cost": 10.5}, ["body", "cost"]),
        ({"cost": "100"}, ["body", "cost"]),
        ({"max_units": 0}, ["body", "max_units"]),
        ({"capacity": -3}, ["body", "capacity"]),
        ({"code": "has space"}, ["body", "code"]),
        ({"code": ""}, ["body", "code"]),
        ({"name": ""}, ["body", "name"]),
        ({"category": "Wellbeing!"}, ["body", "category"]),
        ({"core": "yes"}, ["body", "core"]),
        ({"id": 7}, ["body", "id"]),
        ({"exclusive_group": "dental", "max_units": 2}, ["body", "max_units"]),
        ({"exclusive_group": "dental", "core": True}, ["body", "exclusive_group"]),
        ({"requires": ["NOPE"]}, ["body", "requires", 0]),
        ({"requires": ["GYM"]}, ["body", "requires", 0]),
        (
            {"eligibility": {"all": [{"attr": "tenure_months", "op": "~", "value": 6}]}},
            ["body", "eligibility", "all", 0, "op"],
        ),
        (
            {"eligibility": {"attr": "no such", "op": "==", "value": 1}},
            ["body", "eligibility", "attr"],
        ),
    ],
)
def test_invalid_benefits_are_422_naming_the_field(
    api: ApiClient, admin: dict[str, str], overrides: dict[str, Any], loc: list[Any]
) -> None:
    response = api.post(BENEFITS, json=benefit_body(**overrides), headers=admin)
    assert loc in error_locs(response)
    assert api.get(BENEFITS, headers=admin).json()["items"] == []  # nothing was stored


def test_missing_required_fields_are_all_reported(api: ApiClient, admin: dict[str, str]) -> None:
    locs = error_locs(api.post(BENEFITS, json={}, headers=admin))
    assert ["body", "code"] in locs and ["body", "name"] in locs and ["body", "cost"] in locs


def test_requires_must_name_active_benefits_without_cycles(
    api: ApiClient, admin: dict[str, str]
) -> None:
    create(api, admin, code="HEALTH", core=True)
    create(api, admin, code="SPOUSE", requires=["HEALTH"])
    response = api.patch(f"{BENEFITS}/HEALTH", json={"requires": ["SPOUSE"]}, headers=admin)
    assert ["body", "requires", 0] in error_locs(response)  # core may not require optional
    create(api, admin, code="A")
    create(api, admin, code="B", requires=["A"])
    response = api.patch(f"{BENEFITS}/A", json={"requires": ["B"]}, headers=admin)
    assert ["body", "requires"] in error_locs(response)
    assert "A -> B -> A" in response.json()["errors"][0]["msg"]


def test_retire_with_active_false_but_not_while_required(
    api: ApiClient, admin: dict[str, str]
) -> None:
    create(api, admin, code="HEALTH", core=True)
    create(api, admin, code="SPOUSE", requires=["HEALTH"])
    refused = api.patch(f"{BENEFITS}/HEALTH", json={"active": False}, headers=admin)
    assert refused.status_code == 409
    assert "SPOUSE" in refused.json()["detail"]
    assert api.patch(f"{BENEFITS}/SPOUSE", json={"active": False}, headers=admin).status_code == 200
    retired = api.patch(f"{BENEFITS}/HEALTH", json={"active": False}, headers=admin)
    assert retired.status_code == 200
    assert retired.json()["active"] is False
    response = api.post(BENEFITS, json=benefit_body(code="NEW", requires=["HEALTH"]), headers=admin)
    assert "retired" in response.json()["errors"][0]["msg"]
    assert api.delete(f"{BENEFITS}/HEALTH", headers=admin).status_code == 405
    # A retired benefit requiring a retired one can still be edited, not reactivated alone.
    assert api.patch(f"{BENEFITS}/SPOUSE", json={"cost": 1}, headers=admin).status_code == 200
    revived = api.patch(f"{BENEFITS}/SPOUSE", json={"active": True}, headers=admin)
    assert "retired" in revived.json()["errors"][0]["msg"]


def test_patch_changes_only_given_fields_and_the_etag(
    api: ApiClient, admin: dict[str, str]
) -> None:
    created = api.post(BENEFITS, json=benefit_body(), headers=admin)
    response = api.patch(
        f"{BENEFITS}/GYM",
        json={"cost": 38000, "capacity": 40},
        headers={**admin, "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["cost"] == 38000
    assert response.json()["capacity"] == 40
    assert response.json()["name"] == "Gym membership"
    assert response.headers["ETag"] != created.headers["ETag"]
    cleared = api.patch(f"{BENEFITS}/GYM", json={"capacity": None}, headers=admin)
    assert cleared.json()["capacity"] is None


def test_patch_refuses_null_for_required_fields_and_code_changes(
    api: ApiClient, admin: dict[str, str]
) -> None:
    create(api, admin)
    response = api.patch(f"{BENEFITS}/GYM", json={"cost": None}, headers=admin)
    assert response.status_code == 422
    assert "cost" in response.json()["errors"][0]["msg"]
    assert ["body", "code"] in error_locs(
        api.patch(f"{BENEFITS}/GYM", json={"code": "X"}, headers=admin)
    )
    locs = error_locs(
        api.patch(f"{BENEFITS}/GYM", json={"max_units": 3, "exclusive_group": "g"}, headers=admin)
    )
    assert ["body", "max_units"] in locs


def test_stale_if_match_is_412_and_changes_nothing(api: ApiClient, admin: dict[str, str]) -> None:
    etag = api.post(BENEFITS, json=benefit_body(), headers=admin).headers["ETag"]
    assert (
        api.patch(
            f"{BENEFITS}/GYM", json={"cost": 1}, headers={**admin, "If-Match": etag}
        ).status_code
        == 200
    )
    stale = api.patch(f"{BENEFITS}/GYM", json={"cost": 2}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert api.get(f"{BENEFITS}/GYM", headers=admin).json()["cost"] == 1


def test_list_is_keyset_paginated_and_filtered(api: ApiClient, admin: dict[str, str]) -> None:
    for index in range(5):
        create(api, admin, code=f"B{index}", category="mobility" if index % 2 else "wellbeing")
    api.patch(f"{BENEFITS}/B4", json={"active": False}, headers=admin)
    first = api.get(BENEFITS, params={"limit": 2}, headers=admin).json()
    assert [b["code"] for b in first["items"]] == ["B0", "B1"]
    # A benefit inserted before the cursor does not shift the next page (keyset, not offset).
    create(api, admin, code="A0")
    second = api.get(BENEFITS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin)
    assert [b["code"] for b in second.json()["items"]] == ["B2", "B3"]
    third = api.get(
        BENEFITS, params={"limit": 2, "cursor": second.json()["next_cursor"]}, headers=admin
    )
    assert [b["code"] for b in third.json()["items"]] == ["B4"]
    assert third.json()["next_cursor"] is None
    active = api.get(BENEFITS, params={"active": "true"}, headers=admin).json()["items"]
    assert "B4" not in [b["code"] for b in active]
    mobility = api.get(BENEFITS, params={"category": "mobility"}, headers=admin).json()["items"]
    assert [b["code"] for b in mobility] == ["B1", "B3"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 1001}, ["query", "limit"]),
        ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
        ({"active": "maybe"}, ["query", "active"]),
    ],
)
def test_bad_list_parameters_are_422(
    api: ApiClient, admin: dict[str, str], params: dict[str, Any], loc: list[Any]
) -> None:
    assert loc in error_locs(api.get(BENEFITS, params=params, headers=admin))


def test_malformed_json_is_422_not_500(api: ApiClient, admin: dict[str, str]) -> None:
    response = api.post(
        BENEFITS, content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"]


def test_openapi_has_an_example_on_the_request_bodies(api: ApiClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["BenefitCreate"]["examples"]
    assert schemas["BenefitPatch"]["examples"]


def test_concurrent_patches_one_wins_the_other_gets_412(fresh_db: FreshDatabase) -> None:
    headers = fresh_db.auth("hr_admin")
    client = fresh_db.client()
    etag = client.post(BENEFITS, json=benefit_body(), headers=headers).headers["ETag"]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def writer(cost: int) -> None:
        own_client = fresh_db.client()
        barrier.wait()
        response = own_client.patch(
            f"{BENEFITS}/GYM", json={"cost": cost}, headers={**headers, "If-Match": etag}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(cost,)) for cost in (100, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    final = client.get(f"{BENEFITS}/GYM", headers=headers)
    assert final.json()["cost"] in (100, 200)
    assert final.headers["ETag"] == '"v2"'
