"""Scenarios through HTTP on SQLite and PostgreSQL: CRUD and validation, scenario runs
(overrides in the problem document, never published), finance refused individual data,
apply."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.run_world import API, World, all_pages, approve, build_world, close, execute_queued, run


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create_scenario(world: World, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"name": "what if", "overrides": overrides}
    url = world.url(f"/periods/{world.period_id}/scenarios")
    return _ok(world.api.post(url, json=body, headers=headers), 201)


def scenario_run(world: World, scenario_id: str, headers: dict[str, str]) -> dict[str, Any]:
    started = world.api.post(
        world.url(f"/periods/{world.period_id}/runs"),
        json={"scenario_id": scenario_id},
        headers=headers,
    )
    assert started.status_code == 202, started.text
    assert started.json()["scenario_id"] == scenario_id
    assert execute_queued(world.api) == [started.json()["id"]]
    return _ok(world.api.get(started.headers["Location"], headers=headers))


def problem_of(world: World, run_id: str) -> dict[str, Any]:
    response = world.api.get(world.url(f"/runs/{run_id}/problem"), headers=world.admin)
    assert response.status_code == 200, response.text
    loaded: dict[str, Any] = json.loads(response.content)
    return loaded


def test_finance_creates_reads_lists_and_patches_scenarios(api: ApiClient) -> None:
    world = build_world(api)
    finance = api.auth("finance")
    created = api.post(
        world.url(f"/periods/{world.period_id}/scenarios"),
        json={"name": "tight", "overrides": {"budget_caps": {"total": 1_000_000}}},
        headers=finance,
    )
    scenario = _ok(created, 201)
    assert created.headers["Location"] == f"/api/v1/scenarios/{scenario['id']}"
    assert scenario["overrides"] == {"budget_caps": {"total": 1_000_000}}
    url = world.url(f"/scenarios/{scenario['id']}")
    read = api.get(url, headers=finance)
    etag = read.headers["ETag"]
    listed = _ok(api.get(world.url(f"/periods/{world.period_id}/scenarios"), headers=finance))
    assert [item["id"] for item in listed["items"]] == [scenario["id"]]

    patched = api.patch(
        url,
        json={"overrides": {"cost_multipliers": {"GYM": 1.25}}},
        headers={**finance, "If-Match": etag},
    )
    assert _ok(patched)["overrides"] == {"cost_multipliers": {"GYM": 1.25}}
    assert patched.headers["ETag"] != etag
    stale = api.patch(url, json={"name": "again"}, headers={**finance, "If-Match": etag})
    assert stale.status_code == 412
    assert api.get(url, headers=api.auth("employee", employee="E1")).status_code == 403
    assert api.get(url, headers=api.auth("payroll")).status_code == 403


def test_validation_names_every_bad_override(api: ApiClient) -> None:
    world = build_world(api)
    finance = api.auth("finance")
    url = world.url(f"/periods/{world.period_id}/scenarios")
    overrides = {
        "budget_caps": {"nope": 5},
        "new_budgets": [{"id": "total", "cap": 1}, {"id": "x", "cap": 1, "groups": ["NOPE"]}],
        "group_allowances": {"GHOST": 100},
        "cost_multipliers": {"CAVIAR": 2},
        "category_cost_multipliers": {"space": 2},
        "capacities": {"YACHT": 1},
        "withdrawn_benefits": ["MOON"],
    }
    refused = api.post(url, json={"name": "bad", "overrides": overrides}, headers=finance)
    assert refused.status_code == 422, refused.text
    locs = {tuple(item["loc"]) for item in refused.json()["errors"]}
    root = ("body", "overrides")
    assert locs == {
        (*root, "budget_caps", "nope"),
        (*root, "new_budgets", 0, "id"),
        (*root, "new_budgets", 1, "groups"),
        (*root, "group_allowances", "GHOST"),
        (*root, "cost_multipliers", "CAVIAR"),
        (*root, "category_cost_multipliers", "space"),
        (*root, "capacities", "YACHT"),
        (*root, "withdrawn_benefits"),
    }
    assert "nope" in refused.json()["detail"] and "mobility, total" in refused.json()["detail"]
    shapes = {
        "allowance_multiplier": 0,
        "cost_multipliers": {"GYM": -1},
        "budget_caps": {"total": -5},
        "capacities": {"PARKING": -1},
    }
    refused = api.post(url, json={"name": "bad", "overrides": shapes}, headers=finance)
    assert refused.status_code == 422
    locs = {tuple(item["loc"][:4]) for item in refused.json()["errors"]}
    assert {
        (*root, "allowance_multiplier"),
        (*root, "cost_multipliers", "GYM"),
        (*root, "budget_caps", "total"),
        (*root, "capacities", "PARKING"),
    } <= locs
    assert _ok(api.get(url, headers=finance))["items"] == []


def test_a_scenario_run_changes_exactly_what_its_overrides_say(api: ApiClient) -> None:
    world = build_world(api)
    baseline = run(world)
    finance = api.auth("finance")
    scenario = create_scenario(
        world,
        finance,
        budget_caps={"mobility": 100_000},
        new_budgets=[{"id": "time", "cap": 60_000, "categories": ["time"]}],
        allowance_multiplier=1.5,
        cost_multipliers={"GYM": 1.1},
        category_cost_multipliers={"mobility": 0.5, "wellbeing": 3},
        capacities={"PARKING": 3},
        withdrawn_benefits=["BIKE"],
        equity_tolerance=0.25,
        equity_absolute=1000,
        objective="maxmin",
    )
    finished = scenario_run(world, scenario["id"], finance)
    assert finished["status"] == "succeeded" and finished["scenario_id"] == scenario["id"]

    expected = problem_of(world, baseline["id"])
    expected = copy.deepcopy(expected)
    expected["policy"] = {"objective": "maxmin", "equity_tolerance": 0.25, "equity_absolute": 1000}
    expected["budgets"] = [
        {"id": "total", "cap": 2_000_000},
        {"id": "mobility", "cap": 100_000, "benefits": ["PARKING"]},  # BIKE withdrawn
        {"id": "time", "cap": 60_000, "benefits": ["LEAVE"]},
    ]
    costs = {"GYM": 39_600, "PARKING": 45_000}  # own multiplier wins over the category's
    expected["benefits"] = [
        {**b, "cost": costs.get(b["id"], b["cost"])}
        | ({"capacity": 3} if b["id"] == "PARKING" else {})
        for b in expected["benefits"]
        if b["id"] != "BIKE"
    ]
    for person in expected["employees"]:
        person["allowance"] = person["allowance"] * 3 // 2
        person["eligible"] = [code for code in person["eligible"] if code != "BIKE"]
        person["preferences"].pop("BIKE", None)
    assert problem_of(world, finished["id"]) == expected
    # The period itself is untouched.
    period = _ok(api.get(world.url(f"/periods/{world.period_id}"), headers=world.admin))
    assert period["budgets"][1]["cap"] == 150000 and period["policy"]["objective"] == "utilitarian"


def test_scenario_runs_never_touch_publications(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    published = run(world)
    approve(world, published["id"])
    period = world.url(f"/periods/{world.period_id}")
    payroll_before = all_pages(api, f"{period}/payroll/lines", world.payroll)
    mine_url = world.url(f"/me/periods/{world.period_id}/allocation")
    mine_before = _ok(api.get(mine_url, headers=world.employees["E1"]))
    assert _ok(api.post(f"{period}/open", headers=world.admin))["status"] == "open"
    close(world)

    finance = api.auth("finance")
    scenario = create_scenario(world, finance, budget_caps={"total": 900_000})
    what_if = scenario_run(world, scenario["id"], finance)
    assert what_if["status"] == "succeeded"
    refused = api.post(world.url(f"/runs/{what_if['id']}/approve"), headers=world.approver)
    assert refused.status_code == 409 and "never published" in refused.json()["detail"]
    # Even a run by hr_admin of the same scenario, approved by someone else, is refused.
    by_admin = scenario_run(world, scenario["id"], world.admin)
    refused = api.post(world.url(f"/runs/{by_admin['id']}/approve"), headers=world.approver)
    assert refused.status_code == 409

    assert all_pages(api, f"{period}/payroll/lines", world.payroll) == payroll_before
    assert _ok(api.get(mine_url, headers=world.employees["E1"])) == mine_before
    assert _ok(api.get(period, headers=world.admin))["status"] == "closed"


def test_finance_is_refused_individual_data(api: ApiClient) -> None:
    world = build_world(api)
    baseline = run(world)
    finance = api.auth("finance")
    refused_baseline = api.post(
        world.url(f"/periods/{world.period_id}/runs"), json={}, headers=finance
    )
    assert refused_baseline.status_code == 403
    assert "scenario" in refused_baseline.json()["detail"]
    individual = [
        f"/runs/{baseline['id']}/allocations",
        f"/runs/{baseline['id']}/employees/E1",
        f"/runs/{baseline['id']}/problem",
        f"/periods/{world.period_id}/preferences",
        f"/periods/{world.period_id}/preferences/E1",
        f"/periods/{world.period_id}/payroll/lines",
        f"/me/periods/{world.period_id}/allocation",
    ]
    for path in individual:
        status = api.get(world.url(path), headers=finance).status_code
        assert status in (403, 404), (path, status)
    summary = _ok(api.get(world.url(f"/runs/{baseline['id']}"), headers=finance))
    assert summary["kpis"]["participants"] == 5


def test_a_scenario_from_another_period_or_unknown_is_refused(api: ApiClient) -> None:
    world = build_world(api)
    other = _ok(
        api.post(f"{API}/periods", json=period_body(name="other"), headers=world.admin), 201
    )
    scenario = _ok(
        api.post(f"{API}/periods/{other['id']}/scenarios", json={"name": "x"}, headers=world.admin),
        201,
    )
    for scenario_id in (scenario["id"], "nope"):
        response = api.post(
            world.url(f"/periods/{world.period_id}/runs"),
            json={"scenario_id": scenario_id},
            headers=world.admin,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "scenario_id"]


def test_apply_copies_period_settings_in_draft_or_closed(api: ApiClient) -> None:
    world = build_world(api)
    finance = api.auth("finance")
    on_open = create_scenario(world, finance, budget_caps={"total": 1})
    refused = api.post(world.url(f"/scenarios/{on_open['id']}/apply"), headers=world.admin)
    assert refused.status_code == 409 and "draft" in refused.json()["detail"]

    draft = _ok(api.post(f"{API}/periods", json=period_body(name="next"), headers=world.admin), 201)
    url = f"{API}/periods/{draft['id']}/scenarios"
    body = {
        "name": "decided",
        "overrides": {
            "budget_caps": {"total": 240_000_000},
            "new_budgets": [{"id": "mobility", "cap": 9_000, "categories": ["mobility"]}],
            "allowance_multiplier": 1.1,
            "group_allowances": {"HQ": 400_000},
            "withdrawn_benefits": ["BIKE"],
            "equity_tolerance": 0.2,
            "objective": "maxmin",
        },
    }
    scenario = _ok(api.post(url, json=body, headers=finance), 201)
    apply_url = f"{API}/scenarios/{scenario['id']}/apply"
    assert api.post(apply_url, headers=finance).status_code == 403
    applied = _ok(api.post(apply_url, headers=world.admin))
    assert applied["changed"] == ["allowance", "benefits", "budgets", "policy"]
    assert applied["scenario"]["applied_at"] is not None
    period = _ok(api.get(f"{API}/periods/{draft['id']}", headers=world.admin))
    assert period["budgets"] == [
        {"id": "total", "cap": 240_000_000, "groups": None, "benefits": None, "categories": None},
        {
            "id": "mobility",
            "cap": 9_000,
            "groups": None,
            "benefits": None,
            "categories": ["mobility"],
        },
    ]
    assert period["allowance"]["default"] == 330_000
    assert period["allowance"]["by_group"] == {"HQ": 400_000}
    assert period["policy"] == {
        "objective": "maxmin",
        "equity_tolerance": 0.2,
        "equity_absolute": 0,
    }
    assert sorted(period["benefits"]) == ["GYM", "HEALTH", "LEAVE", "PARKING"]
    auditor = api.auth("auditor")
    events = _ok(
        api.get(
            f"{API}/audit-events",
            params={"entity_key": scenario["id"], "action": "scenario.apply"},
            headers=auditor,
        )
    )["items"]
    assert len(events) == 1 and "applied_at" in events[0]["changed"]
    updates = _ok(
        api.get(
            f"{API}/audit-events",
            params={"entity_key": draft["id"], "action": "period.update"},
            headers=auditor,
        )
    )["items"]
    assert len(updates) == 1 and set(updates[0]["changed"]) >= {"budgets", "policy"}

    catalogue = _ok(
        api.post(
            url,
            json={"name": "price", "overrides": {"cost_multipliers": {"GYM": 2}}},
            headers=finance,
        ),
        201,
    )
    refused = api.post(f"{API}/scenarios/{catalogue['id']}/apply", headers=world.admin)
    assert refused.status_code == 409 and "cost_multipliers" in refused.json()["detail"]


def test_a_decided_scenario_applied_to_a_closed_period_becomes_the_final_run(
    api: ApiClient,
) -> None:
    world = build_world(api)
    close(world)
    before = run(world)
    decided = create_scenario(
        world, api.auth("finance"), budget_caps={"total": 200_000_000}, equity_tolerance=0.3
    )
    withdrawing = create_scenario(world, world.admin, withdrawn_benefits=["GYM"])

    applied = _ok(api.post(world.url(f"/scenarios/{decided['id']}/apply"), headers=world.admin))
    assert applied["changed"] == ["budgets", "policy"]
    refused = api.post(world.url(f"/scenarios/{withdrawing['id']}/apply"), headers=world.admin)
    assert refused.status_code == 409, refused.text

    stale = api.post(world.url(f"/runs/{before['id']}/approve"), headers=world.approver)
    assert stale.status_code == 409 and "inputs changed" in stale.json()["detail"]
    final = run(world)
    document = problem_of(world, final["id"])
    assert {"id": "total", "cap": 200_000_000} in document["budgets"]
    assert document["policy"]["equity_tolerance"] == 0.3
    assert approve(world, final["id"])["version"] == 1


def test_nul_characters_in_a_scenario_are_refused(api: ApiClient) -> None:
    world = build_world(api)
    response = api.post(
        world.url(f"/periods/{world.period_id}/scenarios"),
        json={"name": "bad\x00name"},
        headers=api.auth("finance"),
    )
    assert response.status_code == 422, response.text
    assert "NUL" in response.text


def test_scenario_runs_are_allowed_on_a_published_period_and_never_approvable(
    api: ApiClient,
) -> None:
    world = build_world(api)
    close(world)
    approve(world, run(world)["id"])
    period = world.url(f"/periods/{world.period_id}")
    payroll_before = all_pages(api, f"{period}/payroll/lines", world.payroll)
    baseline = api.post(f"{period}/runs", json={}, headers=world.admin)
    assert baseline.status_code == 409 and "scenario" in baseline.json()["detail"]

    finance = api.auth("finance")
    scenario = create_scenario(world, finance, budget_caps={"total": 900_000})
    what_if = scenario_run(world, scenario["id"], finance)
    assert what_if["status"] == "succeeded"
    refused = api.post(world.url(f"/runs/{what_if['id']}/approve"), headers=world.approver)
    assert refused.status_code == 409 and "never published" in refused.json()["detail"]
    assert all_pages(api, f"{period}/payroll/lines", world.payroll) == payroll_before
    assert _ok(api.get(period, headers=world.admin))["status"] == "published"
