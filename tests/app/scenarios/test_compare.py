"""GET /periods/{id}/compare through HTTP on SQLite and PostgreSQL: KPIs side by side with
differences, CSV, small groups folded into "other", small sensitive benefits unnamed."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.conftest import ApiClient
from tests.run_world import World, build_world, execute_queued, run


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def scenario_run(world: World, headers: dict[str, str], name: str, **overrides: Any) -> str:
    scenario = _ok(
        world.api.post(
            world.url(f"/periods/{world.period_id}/scenarios"),
            json={"name": name, "overrides": overrides},
            headers=headers,
        ),
        201,
    )
    started = world.api.post(
        world.url(f"/periods/{world.period_id}/runs"),
        json={"scenario_id": scenario["id"]},
        headers=headers,
    )
    assert started.status_code == 202, started.text
    execute_queued(world.api)
    run_id: str = started.json()["id"]
    return run_id


def test_runs_side_by_side_with_differences_to_the_first(api: ApiClient) -> None:
    world = build_world(api)
    baseline = run(world)
    finance = api.auth("finance")
    cheaper = scenario_run(world, finance, "=cut", budget_caps={"total": 900_000})
    url = world.url(f"/periods/{world.period_id}/compare")
    result = _ok(api.get(url, params={"runs": f"{baseline['id']},{cheaper}"}, headers=finance))
    assert result["currency"] == "EUR"
    first, second = result["runs"]
    assert first["id"] == baseline["id"] and second["scenario_name"] == "=cut"
    for metric in (
        "total_employer_cost",
        "budget.total.used",
        "budget.mobility.used",
        "mean_satisfaction",
        "median_satisfaction",
        "p10_satisfaction",
        "min_satisfaction",
        "top_choice_share",
        "gini_satisfaction",
        "worst_group_ratio_to_mean",
        "held_back_equity_band",
        "held_back_capacity",
        "held_back_budgets",
        "employee_top_ups",
        "leftover_allowance",
    ):
        assert metric in result["metrics"], metric
    assert first["values"]["total_employer_cost"] == baseline["kpis"]["total_employer_cost"]
    assert second["values"]["budget.total.cap"] == 900_000
    assert second["values"]["total_employer_cost"] <= 900_000
    assert all(value in (0, 0.0, None) for value in first["differences"].values())
    assert second["differences"]["total_employer_cost"] == (
        second["values"]["total_employer_cost"] - first["values"]["total_employer_cost"]
    )
    assert second["differences"]["budget.total.cap"] == 900_000 - 2_000_000
    assert second["values"]["held_back_budgets"] > 0
    assert first["groups"] == [
        {
            "group": "HQ",
            "participants": 5,
            "mean_satisfaction": first["values"]["mean_satisfaction"],
            "ratio_to_mean": 1.0,
        }
    ]

    exported = api.get(
        url,
        params={"runs": f"{baseline['id']},{cheaper}"},
        headers={**finance, "Accept": "text/csv"},
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["metric", baseline["id"], cheaper, f"{cheaper} - {baseline['id']}"]
    assert rows[1] == ["scenario", "", "'=cut"]  # a formula-like name is neutralised
    by_metric = {row[0]: row[1:] for row in rows[2:]}
    assert by_metric["budget.total.cap"] == ["2000000", "900000", "-1100000"]
    assert len(rows) == 2 + len(result["metrics"])


def test_small_groups_fold_into_other_and_small_sensitive_benefits_are_unnamed(
    api: ApiClient,
) -> None:
    world = build_world(api)
    admin = world.admin
    _ok(
        api.post(world.url("/peer-groups"), json={"code": "LAB", "name": "Lab"}, headers=admin), 201
    )
    _ok(api.patch(world.url("/employees/E2"), json={"peer_group": "LAB"}, headers=admin))
    _ok(api.patch(world.url("/benefits/BIKE"), json={"sensitive": True}, headers=admin))
    baseline = run(world)
    finance = api.auth("finance")
    url = world.url(f"/periods/{world.period_id}/compare")
    result = _ok(api.get(url, params={"runs": baseline["id"]}, headers=finance))
    (compared,) = result["runs"]
    # HQ has 4 participants and LAB 1: neither is named, "other" pools the 5.
    assert [group["group"] for group in compared["groups"]] == ["other"]
    assert compared["groups"][0]["participants"] == 5
    benefits = {item["benefit"]: item for item in compared["benefits"]}
    assert (
        "BIKE" not in benefits
        and "BIKE"
        not in api.get(
            url, params={"runs": baseline["id"]}, headers={**finance, "Accept": "text/csv"}
        ).text
    )
    bikes = sum(
        1
        for line in _ok(api.get(world.url(f"/runs/{baseline['id']}/allocations"), headers=admin))[
            "items"
        ]
        if line["benefit"] == "BIKE"
    )
    assert bikes > 0 and benefits["other-sensitive"]["recipients"] == bikes
    assert benefits["HEALTH"]["recipients"] == 6


def test_compare_refuses_unknown_foreign_and_unfinished_runs(api: ApiClient) -> None:
    world = build_world(api)
    baseline = run(world)
    finance = api.auth("finance")
    url = world.url(f"/periods/{world.period_id}/compare")
    assert (
        api.get(url, params={"runs": f"{baseline['id']},nope"}, headers=finance).status_code == 404
    )
    queued = api.post(world.url(f"/periods/{world.period_id}/runs"), json={}, headers=world.admin)
    refused = api.get(
        url, params={"runs": f"{baseline['id']},{queued.json()['id']}"}, headers=finance
    )
    assert refused.status_code == 422 and "queued" in refused.json()["detail"]
    duplicate = api.get(url, params={"runs": f"{baseline['id']},{baseline['id']}"}, headers=finance)
    assert duplicate.status_code == 422
    assert api.get(url, params={"runs": baseline["id"]}, headers=world.payroll).status_code == 403
