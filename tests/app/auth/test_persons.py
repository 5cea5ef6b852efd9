"""Four-eyes and on-behalf records compare persons, not keys (issue 10, items 1 and 2)."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient
from tests.run_world import build_world, close, execute_queued
from tests.security_factories import audit_events

API = "/api/v1"


def mint(api: ApiClient, minter: dict[str, str], **body: Any) -> dict[str, str]:
    """A key minted through POST /api-keys by `minter`; its Authorization headers."""
    created = api.post(f"{API}/api-keys", json={"name": "minted", **body}, headers=minter)
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['key']}"}


def start_run(api: ApiClient, period_id: str, headers: dict[str, str]) -> str:
    started = api.post(f"{API}/periods/{period_id}/runs", json={}, headers=headers)
    assert started.status_code == 202, started.text
    execute_queued(api)
    run_id: str = started.json()["id"]
    return run_id


def test_a_key_minted_by_the_runs_creator_cannot_approve_it(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    both = api.auth("hr_admin", "approver")
    second_pair_of_eyes = mint(api, both, roles=["hr_admin", "approver"])
    third = mint(api, second_pair_of_eyes, roles=["approver"])  # and keys minted by that
    run_id = start_run(api, world.period_id, both)
    for headers in (both, second_pair_of_eyes, third):
        refused = api.post(f"{API}/runs/{run_id}/approve", headers=headers)
        assert refused.status_code == 403, refused.text
        assert "another person" in refused.json()["detail"]
    assert api.post(f"{API}/runs/{run_id}/approve", headers=world.approver).status_code == 200


def test_keys_of_one_employee_are_one_person(api: ApiClient) -> None:
    """Two keys bound to the same employee (their own keys) are the same person."""
    world = build_world(api)
    close(world)
    runs_as_e1 = api.auth("hr_admin", employee="E1")
    approves_as_e1 = api.auth("approver", employee="E1")
    run_id = start_run(api, world.period_id, runs_as_e1)
    assert api.post(f"{API}/runs/{run_id}/approve", headers=approves_as_e1).status_code == 403
    listed = api.get(f"{API}/api-keys", headers=world.admin, params={"limit": 1000}).json()
    persons = {key["person"] for key in listed["items"] if key["employee"] == "E1"}
    assert len(persons) == 1


def test_an_employee_key_minted_by_hr_submits_on_behalf(api: ApiClient) -> None:
    world = build_world(api)
    as_e2 = mint(api, world.admin, roles=["employee"], employee="E2")
    url = f"{API}/me/periods/{world.period_id}/preferences"
    put = api.put(url, json={"points": {"GYM": 10}}, headers=as_e2)
    assert put.status_code == 200, put.text
    assert put.json()["on_behalf"] is True
    (event,) = audit_events(api.session, action="preferences.submit_on_behalf")
    assert "E2" in event.entity_key
    versions = api.get(
        f"{API}/periods/{world.period_id}/preferences/E2/versions", headers=world.admin
    ).json()
    assert [v["on_behalf"] for v in versions] == [False, True]  # own, then HR's key
    own = api.put(url, json={"points": {"GYM": 20}}, headers=world.employees["E2"])
    assert own.json()["on_behalf"] is False


def test_revoking_a_key_revokes_the_keys_it_minted(api: ApiClient) -> None:
    world = build_world(api)
    admin = api.auth("hr_admin")
    minted = mint(api, admin, roles=["hr_admin"])
    grandchild = mint(api, minted, roles=["employee"], employee="E1")
    assert api.get(f"{API}/benefits", headers=grandchild).status_code == 200
    listed = api.get(f"{API}/api-keys", headers=world.admin, params={"limit": 1000}).json()
    first = next(
        k["id"] for k in listed["items"] if k["roles"] == ["hr_admin"] and k["name"] == "minted"
    )
    assert api.delete(f"{API}/api-keys/{first}", headers=world.admin).status_code == 204
    for headers in (minted, grandchild):
        assert api.get(f"{API}/benefits", headers=headers).status_code == 401


def test_keys_die_with_the_employee_they_belong_to(api: ApiClient) -> None:
    world = build_world(api)
    own = world.employees["E3"]
    patched = api.patch(f"{API}/employees/E3", json={"active": False}, headers=world.admin)
    assert patched.status_code == 200, patched.text
    refused = api.get(f"{API}/me", headers=own)
    assert refused.status_code == 401 and "inactive employee" in refused.json()["detail"]
