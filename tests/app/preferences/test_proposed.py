"""A period may propose last period's choices to employees who submit nothing."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.run_world import API, PREFERENCES, approve, build_world, close, execute_queued, run


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def next_period(api: ApiClient, admin: dict[str, str], **fields: Any) -> str:
    body = period_body(
        name="2028",
        effective_from="2028-01-01",
        effective_to="2028-12-31",
        points_per_employee=50,
        **fields,
    )
    period_id = _ok(api.post(f"{API}/periods", json=body, headers=admin), 201)["id"]
    _ok(api.post(f"{API}/periods/{period_id}/open", headers=admin))
    return str(period_id)


def problem_preferences(api: ApiClient, period_id: str, admin: dict[str, str]) -> Any:
    started = _ok(api.post(f"{API}/periods/{period_id}/runs", json={}, headers=admin), 202)
    execute_queued(api)  # the run's job builds its problem
    problem = _ok(api.get(f"{API}/runs/{started['id']}/problem", headers=admin))
    return {e["id"]: e["preferences"] for e in problem["employees"]}


def test_non_submitters_are_proposed_their_previous_choices(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    approve(world, run(world)["id"])
    period_id = next_period(api, world.admin, non_submitters="previous_choices")
    assert (
        _ok(api.get(f"{API}/periods/{period_id}", headers=world.admin))["non_submitters"]
        == "previous_choices"
    )
    mine = _ok(api.get(f"{API}/me/periods/{period_id}/preferences", headers=world.employees["E5"]))
    # E5 gave GYM 100 points; this period has 50 to spend: scaled down, still proposed.
    assert mine["proposed"] is True and mine["points"] == {"GYM": 50}
    on_behalf = _ok(api.get(f"{API}/periods/{period_id}/preferences/E1", headers=world.admin))
    assert on_behalf["proposed"] is True and set(on_behalf["points"]) == set(PREFERENCES["E1"])
    # E2 submits anew: no longer proposed; E6 chose nothing last time: nothing proposed.
    _ok(
        api.put(
            f"{API}/me/periods/{period_id}/preferences",
            json={"points": {"GYM": 10}},
            headers=world.employees["E2"],
        )
    )
    e2 = _ok(api.get(f"{API}/me/periods/{period_id}/preferences", headers=world.employees["E2"]))
    assert e2["proposed"] is False and e2["points"] == {"GYM": 10}
    e6 = _ok(api.get(f"{API}/me/periods/{period_id}/preferences", headers=world.employees["E6"]))
    assert e6["proposed"] is False and e6["points"] == {}
    used = problem_preferences(api, period_id, world.admin)
    assert used["E5"] == {"GYM": 50} and used["E2"] == {"GYM": 10} and used["E6"] == {}
    assert sum(p if isinstance(p, int) else p["points"] for p in used["E1"].values()) <= 50


def test_by_default_non_submitters_get_core_benefits_only(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    approve(world, run(world)["id"])
    period_id = next_period(api, world.admin)
    mine = _ok(api.get(f"{API}/me/periods/{period_id}/preferences", headers=world.employees["E5"]))
    assert mine["proposed"] is False and mine["points"] == {}
    assert problem_preferences(api, period_id, world.admin)["E5"] == {}
    url = f"{API}/periods/{period_id}"
    etag = api.get(url, headers=world.admin).headers["ETag"]
    bad = api.patch(
        url, json={"non_submitters": "guess"}, headers={**world.admin, "If-Match": etag}
    )
    assert bad.status_code == 422 and "non_submitters" in str(bad.json()["errors"])
