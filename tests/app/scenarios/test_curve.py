"""POST /periods/{id}/budget-curve and GET /jobs/{id} through HTTP on SQLite and
PostgreSQL: validation, visible progress, a monotone curve, CSV and SVG."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.jobs.execution import execute, execute_pending
from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.run_world import API, build_world, joined_session_factory


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


CURVE = {"budget_id": "total", "from": 760_000, "to": 1_000_000, "steps": 4}


def test_budget_curve_job_progress_result_csv_and_svg(api: ApiClient) -> None:
    world = build_world(api)
    finance = api.auth("finance")
    started = api.post(
        world.url(f"/periods/{world.period_id}/budget-curve"), json=CURVE, headers=finance
    )
    job = _ok(started, 202)
    location = started.headers["Location"]
    assert location == f"/api/v1/jobs/{job['id']}"
    assert job["status"] == "queued" and job["progress"] == {"done": 0, "total": 5}
    assert job["params"]["caps"] == [760_000, 840_000, 920_000, 1_000_000]
    assert job["params"]["current_cap"] == 2_000_000

    seen: list[tuple[str, int]] = []

    def observe(_done: int) -> None:
        polled = _ok(api.get(location, headers=finance))
        seen.append((polled["status"], polled["progress"]["done"]))

    factory = joined_session_factory(api.session)
    assert execute(factory, job["id"], worker="test", lease_s=60, observe=observe) == "succeeded"
    assert seen == [("running", done) for done in range(1, 6)]

    done = _ok(api.get(location, headers=finance))
    assert done["status"] == "succeeded" and done["progress"] == {"done": 5, "total": 5}
    result = done["result"]
    steps = result["steps"]
    assert [step["cap"] for step in steps] == job["params"]["caps"]
    totals = [step["total_satisfaction"] for step in steps]
    assert totals == sorted(totals) and totals[-1] > totals[0]  # more budget never lowers it
    for step in steps:
        assert step["status"] == "optimal"  # solved to optimality: the monotony is the optimum's
        assert step["cost_used"] <= step["cap"]
        assert set(step) >= {
            "mean_satisfaction",
            "min_satisfaction",
            "marginal_satisfaction_per_1000",
            "total_employer_cost",
        }
    assert [step["warm_started"] for step in steps] == [False, True, True, True]
    fairness = result["price_of_fairness"]
    assert fairness["without_band"] >= fairness["with_band"] and fairness["percent"] >= 0
    assert "finite differences" in result["marginal_method"]

    exported = api.get(done["links"]["csv"], headers=finance)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["cap", "status", "cost_used"]
    assert [int(row[0]) for row in rows[1:5]] == job["params"]["caps"]
    chart = api.get(done["links"]["svg"], headers=finance)
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert chart.text.lstrip().startswith("<?xml") and "<svg" in chart.text
    assert "current cap 20,000 EUR" in chart.text and "cap of budget" in chart.text


def test_curve_of_a_scenario_uses_its_inputs(api: ApiClient) -> None:
    world = build_world(api)
    finance = api.auth("finance")
    scenario = _ok(
        api.post(
            world.url(f"/periods/{world.period_id}/scenarios"),
            json={"name": "tight", "overrides": {"budget_caps": {"total": 800_000}}},
            headers=finance,
        ),
        201,
    )
    job = _ok(
        api.post(
            world.url(f"/periods/{world.period_id}/budget-curve"),
            json={**CURVE, "scenario_id": scenario["id"]},
            headers=finance,
        ),
        202,
    )
    assert job["scenario_id"] == scenario["id"] and job["params"]["current_cap"] == 800_000
    assert execute_pending(joined_session_factory(api.session)) == [job["id"]]
    result = _ok(api.get(f"{API}/jobs/{job['id']}", headers=finance))["result"]
    assert result["current_cap"] == 800_000


def test_budget_curve_requests_are_validated(api: ApiClient) -> None:
    world = build_world(api)
    finance = api.auth("finance")
    url = world.url(f"/periods/{world.period_id}/budget-curve")
    unknown = api.post(url, json={**CURVE, "budget_id": "nope"}, headers=finance)
    assert unknown.status_code == 422 and "mobility, total" in unknown.json()["detail"]
    backwards = api.post(url, json={**CURVE, "from": 5, "to": 5}, headers=finance)
    assert backwards.status_code == 422
    assert api.post(url, json={**CURVE, "steps": 1}, headers=finance).status_code == 422
    assert api.post(url, json=CURVE, headers=world.payroll).status_code == 403
    draft = _ok(api.post(f"{API}/periods", json=period_body(), headers=world.admin), 201)
    refused = api.post(f"{API}/periods/{draft['id']}/budget-curve", json=CURVE, headers=finance)
    assert refused.status_code == 409
    queued = _ok(api.post(url, json=CURVE, headers=finance), 202)
    early = api.get(f"{API}/jobs/{queued['id']}/curve.csv", headers=finance)
    assert early.status_code == 409
    assert api.get(f"{API}/jobs/nope", headers=finance).status_code == 404
