"""The problem documents and stored run rows are byte-identical to what main built before
the typed inputs (issue 14): SHA-256 digests recorded from main at dbf3f11.

A failure here means a document (hashed for approval) or a stored result changed: that is
never a refactoring. Explanations are left out of the stored-rows digest: their payload
belongs to the solver's explanation work, and the app passes them through unread.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.allocations.models import Run, RunEmployee, RunLine
from app.allocations.seams import run_problem
from app.auth.principal import Principal
from app.demo import load_demo
from app.jobs.execution import execute_pending
from app.periods.models import Period
from app.scenarios.schemas import ScenarioCreate
from app.scenarios.service import create_scenario
from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.run_world import (
    API,
    World,
    approve,
    build_world,
    close,
    execute_queued,
    joined_session_factory,
    run,
)

FINANCE = Principal(id="golden", name="golden", roles=frozenset({"finance"}))
EVERY_OVERRIDE: dict[str, Any] = {
    "budget_caps": {"total": 80000000, "cars": 5000000},
    "new_budgets": [
        {"id": "wellbeing", "cap": 4000000, "categories": ["wellbeing"]},
        {"id": "lyon-time", "cap": 900000, "groups": ["LYON-L1"], "benefits": ["LEAVE"]},
    ],
    "allowance_multiplier": "1.05",
    "group_allowances": {"HQ-L2": 330000},
    "cost_multipliers": {"GYM": "1.1", "CAR": "1.2"},
    "category_cost_multipliers": {"mobility": "0.9"},
    "capacities": {"PARKING": 50, "CHILDCARE": None},
    "withdrawn_benefits": ["BIKE", "SABBATICAL"],
    "equity_tolerance": "0.2",
    "equity_absolute": 10000,
    "objective": "maxmin",
}
GOLDEN = {
    "demo": "9bd09db77eef66386728e2a6ba4cbf97268b8563a481d9be732e81cade4baa9d",
    "demo scenario": "151069657cab42a9c910bf06f6225825d2bab325824a154e4e3e08e573ce29ac",
    "demo policy-only scenario": "a7262bc74a8e601fd134d22ad2c74fb549715142920c7b147270221f77b63c3a",
    "next period": "f78fe0b1cbc8b1613d0533318ad28fbcf1fb737f71d2bff7664a86198081e7a7",
    "next period scenario": "7f98c4e7af1ede566ae86e17938c95012ca3512f2e7840b130d87d4d98e6da49",
    "event birth": "09ab40e567d07302e2d23b71bbd2223b378e334aaf4f46b35382ff83af199c68",
    "event transfer": "6c3fe3a04a30f5bb6f673a529e8ec1a842cb039eada04f555a37f6f174675eee",
    "event hire": "889180d8ce504804521c69304a67de01f9aa983c9de2d3fbe8726030374d2fd5",
    "event leave": "3631c17a067991e41cd93bfc142c9831e1776dd4f324b49b417726af7afef407",
    "rows carry-over run": "af21c328956a0611e56eb7d4aa674f315cf5006b24b0b0868f78f42dd5d83880",
    "rows cash run": "c13a6dcefba64eea27d2bee1cf94b2915fcc6e387fb815405ceb79f53c5de4dd",
    "rows birth run": "76bf81a82e737f58bd362017863a204871e0852c77ee745da09218d687367c08",
    "rows leave run": "cc35eba395378c9872239d84a763cb38b71846a544f96cd62eec05f9b4f92653",
}


def digest(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_demo_problem_and_its_scenarios_keep_their_bytes(session: Session) -> None:
    period = session.get_one(Period, load_demo(session).period_id)
    found: dict[str, str] = {}
    text, sha = run_problem(session, period, None)
    assert hashlib.sha256(text.encode()).hexdigest() == sha
    found["demo"] = sha
    for name, overrides in (
        ("demo scenario", EVERY_OVERRIDE),
        ("demo policy-only scenario", {"objective": "maxmin", "equity_absolute": 0}),
    ):
        body = ScenarioCreate.model_validate({"name": name, "overrides": overrides})
        scenario = create_scenario(session, period.id, body, FINANCE)
        found[name] = run_problem(session, period, scenario.id)[1]
    assert found == {name: GOLDEN[name] for name in found}


def _stored_rows(session: Session, run_id: str) -> dict[str, Any]:
    """What a finished run stores, minus timing, solver identity and explanations."""
    stored = session.get_one(Run, run_id)
    columns = ("status", "solver_status", "objective", "bound", "gap", "kpis", "groups",
               "budgets", "error", "small_budgets")  # fmt: skip
    lines = session.scalars(
        select(RunLine).where(RunLine.run_id == run_id).order_by(RunLine.employee, RunLine.benefit)
    )
    employees = session.scalars(
        select(RunEmployee).where(RunEmployee.run_id == run_id).order_by(RunEmployee.employee)
    )
    line_columns = ("employee", "benefit", "kind", "units", "employer_cost", "employee_cost",
                    "effective_from", "effective_to")  # fmt: skip
    employee_columns = ("employee", "peer_group", "satisfaction", "value", "top_up",
                        "allowance", "leftover", "preferences")  # fmt: skip
    values = {name: getattr(stored, name) for name in columns}
    if "life_event" in values["kpis"]:  # an event run: the event's id is new each time
        values["kpis"] = {**values["kpis"], "life_event": "EVENT"}
    return {
        "run": values,
        "lines": [{c: str(getattr(line, c)) for c in line_columns} for line in lines],
        "employees": [{c: getattr(row, c) for c in employee_columns} for row in employees],
    }


def _event_problem(world: World, event_id: str) -> tuple[str, str]:
    """An event run's (run id, digest of its document with the event's id taken out)."""
    started = _ok(
        world.api.post(world.url(f"/life-events/{event_id}/runs"), headers=world.admin), 202
    )
    response = world.api.get(world.url(f"/runs/{started['id']}/problem"), headers=world.admin)
    assert hashlib.sha256(response.content).hexdigest() == started["problem_sha256"]
    doc = response.json()
    assert doc["event"] == event_id
    return started["id"], digest({**doc, "event": "EVENT"})


def _event(world: World, **body: Any) -> str:
    url = world.url(f"/periods/{world.period_id}/life-events")
    return str(_ok(world.api.post(url, json=body, headers=world.admin), 201)["id"])


def test_carried_over_proposed_cash_and_event_documents_keep_their_bytes(
    api: ApiClient,
) -> None:
    world = build_world(api, leftover_policy="carry_over")
    close(world)
    published = run(world)
    approve(world, published["id"])
    found = {"rows carry-over run": digest(_stored_rows(api.session, published["id"]))}

    # The next period: carried-over allowance, proposed previous choices, leftover as cash.
    body = period_body(
        name="2028",
        effective_from="2028-01-01",
        effective_to="2028-12-31",
        points_per_employee=50,
        non_submitters="previous_choices",
        leftover_policy="cash",
        allowance={"default": 100000, "by_group": {}, "prorate_fte": True, "prorate_start": True},
    )
    next_id = _ok(api.post(f"{API}/periods", json=body, headers=world.admin), 201)["id"]
    _ok(api.post(f"{API}/periods/{next_id}/open", headers=world.admin))
    _ok(
        api.put(
            f"{API}/me/periods/{next_id}/preferences",
            json={"points": {"GYM": 10, "LEAVE": {"points": 40, "units": 2}}},
            headers=world.employees["E2"],
        )
    )
    cash = _ok(api.post(f"{API}/periods/{next_id}/runs", json={}, headers=world.admin), 202)
    scenario = _ok(
        api.post(
            f"{API}/periods/{next_id}/scenarios",
            json={"name": "cheaper", "overrides": {"cost_multipliers": {"GYM": "0.5"}}},
            headers=api.auth("finance"),
        ),
        201,
    )
    what_if = _ok(
        api.post(
            f"{API}/periods/{next_id}/runs",
            json={"scenario_id": scenario["id"]},
            headers=world.admin,
        ),
        202,
    )
    execute_queued(api)
    runs = {run_id: api.session.get_one(Run, run_id) for run_id in (cash["id"], what_if["id"])}
    found["next period"] = runs[cash["id"]].problem_sha256 or ""
    found["next period scenario"] = runs[what_if["id"]].problem_sha256 or ""
    found["rows cash run"] = digest(_stored_rows(api.session, cash["id"]))

    # Event runs on the published period, their documents built when they start.
    reasons = {"reasons": [{"code": "birth", "window_days": 60, "categories": ["time"]}]}
    _ok(
        api.put(
            world.url(f"/periods/{world.period_id}/life-event-reasons"),
            json=reasons,
            headers=world.admin,
        )
    )
    birth = _event(world, employee="E1", kind="birth", effective_date="2027-05-10")
    _ok(
        api.put(
            world.url(f"/life-events/{birth}/preferences"),
            json={"points": {"LEAVE": {"points": 100, "units": 4}}},
            headers=world.admin,
        )
    )
    _ok(
        api.post(
            f"{API}/peer-groups", json={"code": "FIELD", "name": "Field"}, headers=world.admin
        ),
        201,
    )
    transfer = _event(
        world, employee="E4", kind="transfer", effective_date="2027-10-01", peer_group="FIELD"
    )
    hire = {
        "external_id": "E7",
        "email": "e7@example.com",
        "display_name": "E7",
        "peer_group": "HQ",
        "hire_date": "2027-07-01",
    }
    _ok(api.post(f"{API}/employees", json=hire, headers=world.admin), 201)
    hired = _event(world, employee="E7", kind="hire", effective_date="2027-07-01")
    _ok(
        api.put(
            world.url(f"/life-events/{hired}/preferences"),
            json={"points": {"PARKING": 60, "GYM": 40}},
            headers=world.admin,
        )
    )
    leave = _event(world, employee="E3", kind="leave", effective_date="2027-03-31")
    event_runs = {}
    for name, event_id in (
        ("event birth", birth),
        ("event transfer", transfer),
        ("event hire", hired),
        ("event leave", leave),
    ):
        event_runs[name], found[name] = _event_problem(world, event_id)
    execute_pending(joined_session_factory(api.session), kind="event_run")
    for name in ("event birth", "event leave"):
        assert api.session.get_one(Run, event_runs[name]).status == "succeeded"
    found["rows birth run"] = digest(_stored_rows(api.session, event_runs["event birth"]))
    found["rows leave run"] = digest(_stored_rows(api.session, event_runs["event leave"]))
    assert found == {name: GOLDEN[name] for name in found}
