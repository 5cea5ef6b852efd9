"""A scenario budget over a small group and a sensitive benefit must not show what those
few chose (issue 10, item 3): run summary, comparison and curve withhold it."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient
from tests.run_world import World, build_world, execute_queued

API = "/api/v1"


def probing_scenario(world: World, finance: dict[str, str]) -> str:
    """new_budgets over PARKING, wanted by E1 and E2 only."""
    body = {
        "name": "probe",
        "overrides": {"new_budgets": [{"id": "probe", "cap": 10**9, "benefits": ["PARKING"]}]},
    }
    created = world.api.post(
        f"{API}/periods/{world.period_id}/scenarios", json=body, headers=finance
    )
    assert created.status_code == 201, created.text
    scenario_id: str = created.json()["id"]
    return scenario_id


def finished_run(world: World, headers: dict[str, str], **body: Any) -> str:
    started = world.api.post(f"{API}/periods/{world.period_id}/runs", json=body, headers=headers)
    assert started.status_code == 202, started.text
    execute_queued(world.api)
    run_id: str = started.json()["id"]
    return run_id


def test_a_budget_of_fewer_than_five_participants_is_withheld_from_finance(
    api: ApiClient,
) -> None:
    world = build_world(api)
    finance = api.auth("finance")
    scenario_id = probing_scenario(world, finance)
    run_id = finished_run(world, finance, scenario_id=scenario_id)
    baseline = finished_run(world, world.admin)
    summary = api.get(f"{API}/runs/{run_id}", headers=finance).json()
    budgets = {budget["id"]: budget for budget in summary["budgets"]}
    assert budgets["probe"]["used"] is None and budgets["probe"]["suppressed"] is True
    assert budgets["mobility"]["used"] is None  # 3 participants want mobility
    assert budgets["total"]["used"] is not None  # everyone: an aggregate
    listed = api.get(f"{API}/periods/{world.period_id}/runs", headers=finance).json()["items"]
    for run in listed:
        assert all(b["used"] is None for b in run["budgets"] if b["id"] in ("probe", "mobility"))
    hr_view = api.get(f"{API}/runs/{run_id}", headers=world.admin).json()
    assert {b["id"]: b["used"] for b in hr_view["budgets"]}["probe"] is not None
    compared = api.get(
        f"{API}/periods/{world.period_id}/compare",
        params={"runs": f"{baseline},{run_id}"},
        headers=finance,
    )
    assert compared.status_code == 200, compared.text
    values = [run["values"] for run in compared.json()["runs"]]
    assert values[1]["budget.probe.used"] is None and values[1]["budget.probe.cap"] == 10**9
    assert values[0]["budget.mobility.used"] is None
    assert values[0]["budget.total.used"] is not None
    curve = api.post(
        f"{API}/periods/{world.period_id}/budget-curve",
        json={"budget_id": "probe", "from": 0, "to": 90000, "steps": 2, "scenario_id": scenario_id},
        headers=finance,
    )
    assert curve.status_code == 422, curve.text
    assert curve.json()["errors"][0]["loc"] == ["body", "budget_id"]
