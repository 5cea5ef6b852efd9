"""The whole journey through HTTP, on SQLite and PostgreSQL: set-up, preferences, run,
approve, payroll pull checked by the independent checker, a second publication and its
change feed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from app.cli import cli
from solver.load import load_problem
from solver.validate import assignment_from_result, check_assignment, check_result
from tests.conftest import ApiClient
from tests.run_world import all_pages, approve, build_world, close, run

RESULT_FORMAT = "flexben.allocation/v1"


def checked(problem: dict[str, Any], lines: list[dict[str, Any]]) -> list[Any]:
    """Violations of `lines` (benefit lines) against the problem, by the solver's checker.

    Only the allocation lines are checked (the stated employee figures are the solver's
    report, not part of what payroll receives)."""
    allocation = [
        {k: line[k] for k in ("employee", "benefit", "units", "employer_cost", "employee_cost")}
        for line in lines
        if line.get("kind", "benefit") == "benefit"
    ]
    document = {"format": RESULT_FORMAT, "status": "feasible", "allocations": allocation}
    problem_obj = load_problem(problem)
    assignment, found = assignment_from_result(problem_obj, document)
    return found or check_assignment(problem_obj, assignment)


def test_journey(api: ApiClient) -> None:
    world = build_world(api)
    period = world.url(f"/periods/{world.period_id}")

    # A preview on the open period: it runs, but cannot be approved.
    preview = run(world)
    assert preview["status"] == "succeeded", preview
    refused = api.post(world.url(f"/runs/{preview['id']}/approve"), headers=world.approver)
    assert refused.status_code == 409 and "open" in refused.json()["detail"]

    close(world)
    finished = run(world, time_limit_s=30)
    assert finished["status"] == "succeeded"
    assert finished["solver"]["status"] in ("optimal", "feasible")
    assert finished["solver"]["name"] and finished["kpis"]["participants"] == 5

    problem_response = api.get(world.url(f"/runs/{finished['id']}/problem"), headers=world.admin)
    problem = json.loads(problem_response.content)
    assert problem["format"] == "flexben.problem/v1"
    run_lines = all_pages(
        api, world.url(f"/runs/{finished['id']}/allocations"), world.admin, limit=3
    )
    assert checked(problem, run_lines) == []

    publication = approve(world, finished["id"])
    assert publication["version"] == 1
    assert api.get(period, headers=world.admin).json()["status"] == "published"

    payroll = all_pages(api, f"{period}/payroll/lines", world.payroll, limit=4)
    assert [
        (p["employee"], p["benefit"], p["units"], p["employer_cost"], p["employee_cost"])
        for p in payroll
    ] == [
        (r["employee"], r["benefit"], r["units"], r["employer_cost"], r["employee_cost"])
        for r in run_lines
    ]
    assert checked(problem, payroll) == []
    assert {p["version"] for p in payroll} == {1}
    assert {p["currency"] for p in payroll} == {"EUR"}
    health = next(p for p in payroll if p["benefit"] == "HEALTH")
    assert health["payroll_code"] == "BIK-HEALTH" and health["taxable"] is False
    assert health["effective_from"] == "2027-01-01" and health["effective_to"] == "2027-12-31"

    # The CSV export carries the same lines; the formula-like payroll code is neutralised.
    exported = api.get(f"{period}/payroll/lines.csv", headers=world.payroll)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.count(b"\r\n") == len(payroll) + 1
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["employee"], r["benefit"], int(r["units"])) for r in rows] == [
        (p["employee"], p["benefit"], p["units"]) for p in payroll
    ]
    gym_codes = {r["payroll_code"] for r in rows if r["benefit"] == "GYM"}
    assert gym_codes <= {"'=GYM+1"}

    # The employee sees their own allocation with reasons.
    mine = api.get(
        world.url(f"/me/periods/{world.period_id}/allocation"), headers=world.employees["E1"]
    )
    assert mine.status_code == 200, mine.text
    data = mine.json()
    assert data["version"] == 1 and data["points_given"] == 100
    assert {line["benefit"] for line in data["lines"]} >= {"HEALTH"}
    assert data["peer_group"] is not None and data["peer_group"]["participants"] == 5
    for wish in data["wishes"]:
        if not wish["honoured"]:
            assert any(item["benefit"] == wish["benefit"] for item in data["unmet"])

    # Corrections: re-open, change a preference, close, run, approve -> version 2.
    assert api.post(f"{period}/open", headers=world.admin).status_code == 200
    changed = api.put(
        world.url(f"/me/periods/{world.period_id}/preferences"),
        json={"points": {"LEAVE": {"points": 100, "units": 1}}},
        headers=world.employees["E5"],
    )
    assert changed.status_code == 200, changed.text
    close(world)
    stale = api.post(world.url(f"/runs/{finished['id']}/approve"), headers=world.approver)
    assert stale.status_code == 409 and "inputs changed" in stale.json()["detail"]
    second = run(world)
    assert approve(world, second["id"])["version"] == 2

    feed = api.get(f"{period}/payroll/changes", params={"since_version": 1}, headers=world.payroll)
    assert feed.status_code == 200, feed.text
    changes = feed.json()
    assert changes["version"] == 2
    touched = {(line["employee"], line["benefit"]) for line in changes["added"]}
    touched |= {(line["employee"], line["benefit"]) for line in changes["removed"]}
    assert ("E5", "LEAVE") in touched and ("E5", "GYM") in touched
    # Version 1 stays readable, and matches what was pulled before.
    old = all_pages(api, f"{period}/payroll/lines", world.payroll, version=1)
    assert old == payroll
    current = all_pages(api, f"{period}/payroll/lines", world.payroll)
    second_problem = json.loads(
        api.get(world.url(f"/runs/{second['id']}/problem"), headers=world.admin).content
    )
    assert checked(second_problem, current) == []


def test_stored_problem_reproduces_the_run(api: ApiClient, tmp_path: Path) -> None:
    world = build_world(api)
    close(world)
    finished = run(world)
    raw = api.get(world.url(f"/runs/{finished['id']}/problem"), headers=world.admin)
    assert raw.headers["X-Problem-SHA256"] == finished["problem_sha256"]
    problem = json.loads(raw.content)
    problem_file, result_file = tmp_path / "problem.json", tmp_path / "result.json"
    problem_file.write_bytes(raw.content)
    solved = CliRunner().invoke(cli, ["solve", str(problem_file), "-o", str(result_file)])
    assert solved.exit_code == 0, solved.output
    again = json.loads(result_file.read_text())
    assert check_result(load_problem(problem), again) == []
    lines = all_pages(api, world.url(f"/runs/{finished['id']}/allocations"), world.admin)
    assert [
        {k: line[k] for k in ("employee", "benefit", "units", "employer_cost", "employee_cost")}
        for line in lines
    ] == again["allocations"]
