"""Runs through HTTP: who may start and read them, states, idempotency, results."""

from __future__ import annotations

from typing import Any

from app.allocations.models import RunEmployee
from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.run_world import build_world, close, execute_queued, run

RUNS = "/api/v1/runs"


def runs_url(period_id: str) -> str:
    return f"/api/v1/periods/{period_id}/runs"


def test_only_hr_admin_starts_runs(api: ApiClient) -> None:
    world = build_world(api)
    for role in ("approver", "payroll", "finance", "auditor"):
        refused = api.post(runs_url(world.period_id), json={}, headers=api.auth(role))
        assert refused.status_code == 403, role
    employee = api.post(runs_url(world.period_id), json={}, headers=world.employees["E1"])
    assert employee.status_code == 403


def test_a_draft_period_cannot_run_and_unknown_fields_are_rejected(api: ApiClient) -> None:
    world = build_world(api)
    draft_id = api.post(
        "/api/v1/periods", json=period_body(name="draft"), headers=world.admin
    ).json()["id"]
    refused = api.post(runs_url(draft_id), json={}, headers=world.admin)
    assert refused.status_code == 409 and "draft" in refused.json()["detail"]
    body: dict[str, Any] = {"scenario_id": "S1"}
    unknown = api.post(runs_url(world.period_id), json=body, headers=world.admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "scenario_id"]
    bad_limit = api.post(runs_url(world.period_id), json={"time_limit_s": 0}, headers=world.admin)
    assert bad_limit.status_code == 422
    assert api.post(runs_url("nope"), json={}, headers=world.admin).status_code == 404


def test_run_lifecycle_and_reading_rights(api: ApiClient) -> None:
    world = build_world(api)
    started = api.post(runs_url(world.period_id), json={}, headers=world.admin)
    assert started.status_code == 202
    queued = started.json()
    assert queued["status"] == "queued" and queued["solver"] is None
    assert started.headers["Location"] == f"{RUNS}/{queued['id']}"
    # The run's job builds its problem (not the request): none until it has run.
    assert queued["problem_sha256"] is None
    assert api.get(f"{RUNS}/{queued['id']}/problem", headers=world.admin).status_code == 409
    execute_queued(api)
    done = api.get(f"{RUNS}/{queued['id']}", headers=world.approver)
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    assert len(done.json()["problem_sha256"]) == 64
    assert done.json()["created_by"] == queued["created_by"] and done.headers["ETag"]
    for role in ("finance", "auditor"):
        assert api.get(f"{RUNS}/{queued['id']}", headers=api.auth(role)).status_code == 200
    assert api.get(f"{RUNS}/{queued['id']}", headers=world.payroll).status_code == 403
    lines = api.get(f"{RUNS}/{queued['id']}/allocations", headers=world.approver)
    assert lines.status_code == 403
    assert api.get(f"{RUNS}/{queued['id']}/problem", headers=world.payroll).status_code == 403
    assert api.get(f"{RUNS}/missing", headers=world.admin).status_code == 404
    listed = api.get(runs_url(world.period_id), headers=world.admin).json()["items"]
    assert [r["id"] for r in listed] == [queued["id"]]


def test_idempotency_key_replays_the_first_response(api: ApiClient) -> None:
    world = build_world(api)
    headers = {**world.admin, "Idempotency-Key": "run-1"}
    first = api.post(runs_url(world.period_id), json={"time_limit_s": 5}, headers=headers)
    again = api.post(runs_url(world.period_id), json={"time_limit_s": 5}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    other = api.post(runs_url(world.period_id), json={"time_limit_s": 6}, headers=headers)
    assert other.status_code == 422
    assert len(execute_queued(api)) == 1


def test_employee_detail_has_lines_and_explanations(api: ApiClient) -> None:
    world = build_world(api)
    finished = run(world)
    detail = api.get(f"{RUNS}/{finished['id']}/employees/E1", headers=world.admin)
    assert detail.status_code == 200, detail.text
    data = detail.json()
    assert data["peer_group"] == "HQ" and 0 <= data["satisfaction"] <= 1
    assert data["preferences"]["LEAVE"] == {"points": 30, "units": 2}
    assert any(line["benefit"] == "HEALTH" for line in data["lines"])
    wanted = {"GYM", "LEAVE", "PARKING"}
    got = {line["benefit"] for line in data["lines"]}
    for explanation in data["explanations"]:
        assert explanation["benefit"] in wanted and explanation["reasons"]
        assert explanation["text"]
    assert wanted - got <= {e["benefit"] for e in data["explanations"]}
    assert api.get(f"{RUNS}/{finished['id']}/employees/E9", headers=world.admin).status_code == 404
    assert (
        api.get(f"{RUNS}/{finished['id']}/employees/E1", headers=world.approver).status_code == 403
    )


def test_employee_detail_words_the_stored_codes_and_figures(api: ApiClient) -> None:
    """A run stores codes and figures; reading words them in the asked language with the
    benefits' current names and the money's figures."""
    world = build_world(api)
    finished = run(world)
    url = f"{RUNS}/{finished['id']}/employees/E1"
    stored = api.session.get_one(RunEmployee, (finished["id"], "E1")).explanations
    assert [item["reasons"] for item in stored] == [["allowance", "budget:mobility", "capacity"]]
    assert "text" not in stored[0] and stored[0]["details"][2] == {"code": "capacity", "places": 1}
    english = api.get(url, headers=world.admin)
    assert english.headers["Content-Language"] == "en"
    [parking] = english.json()["explanations"]
    assert parking["reasons"] == ["allowance", "budget:mobility", "capacity"]
    assert parking["text"] == (
        "Your allowance of 1,500.00 EUR had 640.00 EUR left; Parking costs 900.00 EUR. The "
        "mobility budget of 1,500.00 EUR had 100.00 EUR left; Parking costs 900.00 EUR. "
        "Parking had 1 place and all were allocated."
    )
    french = api.get(url, headers={**world.admin, "Accept-Language": "fr-CA,en;q=0.5"})
    assert french.headers["Content-Language"] == "fr"
    assert french.json()["explanations"][0]["text"].endswith(
        "Parking comptait 1 place, déjà attribuée."
    )
    benefit = api.get("/api/v1/benefits/PARKING", headers=world.admin)
    renamed = api.patch(
        "/api/v1/benefits/PARKING",
        json={"name": "Car park"},
        headers={**world.admin, "If-Match": benefit.headers["ETag"]},
    )
    assert renamed.status_code == 200, renamed.text
    again = api.get(url, headers=world.admin).json()["explanations"][0]["text"]
    assert again.endswith("Car park had 1 place and all were allocated.")


def test_rows_of_older_runs_and_unknown_codes_are_worded_never_a_500(api: ApiClient) -> None:
    world = build_world(api)
    finished = run(world)
    row = api.session.get_one(RunEmployee, (finished["id"], "E1"))
    row.explanations = [
        {
            "benefit": "PARKING",
            "reasons": ["budget:mobility", "capacity"],
            "text": "The English an older run stored.",
        },
        {"benefit": "GYM", "reasons": ["quota:2028"], "details": [{"code": "quota"}]},
    ]
    api.session.commit()
    detail = api.get(f"{RUNS}/{finished['id']}/employees/E1", headers=world.admin)
    assert detail.status_code == 200, detail.text
    assert [item["text"] for item in detail.json()["explanations"]] == [
        "The mobility budget had too little left for one more unit of Parking. Every place of "
        "Parking was allocated.",
        "Another rule of the allocation prevented one more unit of Gym.",
    ]


def test_infeasible_run_carries_the_diagnosis(api: ApiClient) -> None:
    # Core HEALTH alone costs 6 x 120000 = 720000, over a 500000 total budget.
    world = build_world(api, budgets=[{"id": "total", "cap": 500000}])
    close(world)
    finished = run(world)
    assert finished["status"] == "infeasible"
    assert finished["solver"]["status"] == "infeasible"
    assert "total" in finished["error"] and finished["error"]
    lines = api.get(f"{RUNS}/{finished['id']}/allocations", headers=world.admin).json()
    assert lines["items"] == []
    refused = api.post(f"{RUNS}/{finished['id']}/approve", headers=world.approver)
    assert refused.status_code == 409 and "infeasible" in refused.json()["detail"]


def test_leftover_cash_lines_are_counted_as_employer_cost(api: ApiClient) -> None:
    world = build_world(api, leftover_policy="cash")
    finished = run(world)
    lines = api.get(
        f"{RUNS}/{finished['id']}/allocations", params={"limit": 1000}, headers=world.admin
    ).json()["items"]
    cash = [line for line in lines if line["kind"] == "leftover_cash"]
    # E6 gave no points: the whole allowance is paid out in cash.
    assert {
        "employee": "E6",
        "benefit": "LEFTOVER-CASH",
        "kind": "leftover_cash",
        "units": 1,
        "employer_cost": 150000,
        "employee_cost": 0,
        "effective_from": "2027-01-01",
        "effective_to": "2027-12-31",
    } in cash
    assert finished["kpis"]["leftover_cash"] == sum(line["employer_cost"] for line in cash)
    assert (
        finished["kpis"]["total_employer_cost_with_leftover"]
        == finished["kpis"]["total_employer_cost"] + finished["kpis"]["leftover_cash"]
    )
