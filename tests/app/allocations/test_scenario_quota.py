"""A quota on unfinished scenario runs per period (issue 10, item 14)."""

from __future__ import annotations

import pytest

from tests.app.security.test_small_budgets import probing_scenario
from tests.conftest import ApiClient
from tests.run_world import build_world, execute_queued

API = "/api/v1"


def test_queued_scenario_runs_per_period_are_capped(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finance cannot flood the queue ahead of HR's final run (issue 10, item 14)."""
    monkeypatch.setenv("FLEXBEN_MAX_QUEUED_SCENARIO_RUNS", "2")
    world = build_world(api)
    finance = api.auth("finance")
    scenario_id = probing_scenario(world, finance)
    url = f"{API}/periods/{world.period_id}/runs"
    for _ in range(2):
        assert api.post(url, json={"scenario_id": scenario_id}, headers=finance).status_code == 202
    refused = api.post(url, json={"scenario_id": scenario_id}, headers=finance)
    assert refused.status_code == 409, refused.text
    assert "FLEXBEN_MAX_QUEUED_SCENARIO_RUNS" in refused.json()["detail"]
    assert api.post(url, json={}, headers=world.admin).status_code == 202  # HR's run
    execute_queued(api)
    assert api.post(url, json={"scenario_id": scenario_id}, headers=finance).status_code == 202
