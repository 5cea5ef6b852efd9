"""Finance sees aggregates only: figures over fewer than 5 people are withheld."""

from __future__ import annotations

from app.auth.principal import Principal
from app.security.disclosure import (
    aggregates_only,
    budget_participants,
    small_budgets,
    suppress_sensitive_benefits,
    suppress_small_groups,
)
from tests.conftest import ApiClient
from tests.run_world import build_world, close, execute_queued


def _principal(*roles: str) -> Principal:
    return Principal(id="p", name="p", roles=frozenset(roles))


def test_only_principals_without_individual_access_are_held_to_aggregates() -> None:
    assert aggregates_only(_principal("finance"))
    assert aggregates_only(_principal("finance", "payroll"))
    assert not aggregates_only(_principal("finance", "hr_admin"))
    assert not aggregates_only(_principal("auditor"))


def test_small_groups_lose_their_figures() -> None:
    groups = [
        {"id": "A", "participants": 5, "mean_value": 100, "max_ratio": 1.1},
        {"id": "B", "participants": 4, "mean_value": 90, "max_ratio": 1.0},
    ]
    assert suppress_small_groups(groups) == [
        {"id": "A", "participants": 5, "mean_value": 100, "max_ratio": 1.1},
        {"id": "B", "participants": 4, "mean_value": None, "max_ratio": None, "suppressed": True},
    ]


def test_sensitive_benefits_below_five_people_are_not_named() -> None:
    rows = [
        {"benefit": "FERTILITY", "employees": 4},
        {"benefit": "FERTILITY-B", "employees": 5},
        {"benefit": "GYM", "employees": 1},
    ]
    kept = suppress_sensitive_benefits(rows, sensitive={"FERTILITY", "FERTILITY-B"})
    assert [row["benefit"] for row in kept] == ["FERTILITY-B", "GYM"]


def test_budget_participants_are_counted_whole_or_up_to_what_smallness_needs() -> None:
    wants = {"GYM": {"points": 10}, "CORE": 5}
    problem = {
        "benefits": [{"id": "GYM"}, {"id": "CORE", "core": True}],
        "budgets": [
            {"id": "ALL"},
            {"id": "LAB", "groups": ["LAB"]},
            {"id": "NONE", "benefits": []},
        ],
        "employees": [
            *({"id": f"H{i}", "group": "HQ", "preferences": wants} for i in range(7)),
            *({"id": f"L{i}", "group": "LAB", "preferences": wants} for i in range(3)),
            {"id": "C", "group": "LAB", "preferences": {"CORE": 50}},
        ],
    }
    assert budget_participants(problem) == {"ALL": 10, "LAB": 3, "NONE": 10}
    assert budget_participants(problem, at_most=5) == {"ALL": 5, "LAB": 3, "NONE": 5}
    assert small_budgets(problem) == {"LAB"}


def test_finance_sees_a_small_peer_group_withheld_in_run_summaries(api: ApiClient) -> None:
    world = build_world(api)
    admin = world.admin
    api.post("/api/v1/peer-groups", json={"code": "SOLO", "name": "Solo"}, headers=admin)
    employee = {"external_id": "E7", "peer_group": "SOLO", "hire_date": "2020-01-01"}
    assert api.post("/api/v1/employees", json=employee, headers=admin).status_code == 201
    solo = api.auth("employee", employee="E7")
    put = api.put(
        f"/api/v1/me/periods/{world.period_id}/preferences",
        json={"points": {"GYM": 100}},
        headers=solo,
    )
    assert put.status_code == 200, put.text
    close(world)
    started = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=admin)
    execute_queued(api)
    url = started.headers["Location"]

    as_finance = {g["id"]: g for g in api.get(url, headers=api.auth("finance")).json()["groups"]}
    assert as_finance["SOLO"]["suppressed"] is True and as_finance["SOLO"]["mean_value"] is None
    assert as_finance["HQ"]["mean_value"] is not None and "suppressed" not in as_finance["HQ"]
    as_admin = {g["id"]: g for g in api.get(url, headers=admin).json()["groups"]}
    assert as_admin["SOLO"]["mean_value"] is not None
    listed = api.get(f"/api/v1/periods/{world.period_id}/runs", headers=api.auth("finance"))
    groups = {g["id"]: g for g in listed.json()["items"][0]["groups"]}
    assert groups["SOLO"]["suppressed"] is True
