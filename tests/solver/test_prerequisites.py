"""The prerequisite rule (DESIGN.md "Meaning"): a benefit an employee gave no points to is
given only as a prerequisite, one unit, while they receive a benefit that requires it —
in the compiled candidates, the exact state, the checker, `flexben check` and explanations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from solver.candidates import compile_problem
from solver.cli import cli
from solver.engine import full_limits, solve
from solver.explain import MissingPrerequisite, Package, explain
from solver.explain_text import explanation_text
from solver.load import load_problem
from solver.report import build_result, to_json
from solver.state import AllocationState
from solver.types import Line, SolveOptions
from solver.validate import check_assignment
from tests.solver.factories import benefit, employee, problem_doc


def chain_doc(*, allowance: int | None = None, capacity: int | None = None) -> dict[str, Any]:
    """CHILD requires SPOUSE requires PLUS; A wants CHILD only."""
    plus = benefit("PLUS", cost=600)
    if capacity is not None:
        plus["capacity"] = capacity
    fields: dict[str, Any] = {} if allowance is None else {"allowance": allowance}
    return problem_doc(
        policy={"equity_tolerance": 100},  # the band stays out of the way
        benefits=[
            plus,
            benefit("SPOUSE", cost=800, requires=["PLUS"]),
            benefit("CHILD", cost=100, requires=["SPOUSE"]),
            benefit("GYM", cost=300),
        ],
        employees=[
            employee("A", preferences={"CHILD": 60, "GYM": 40}, **fields),
            employee("B", preferences={"PLUS": 10}),
        ],
    )


def test_checker_flags_an_unwanted_benefit_without_a_received_dependent() -> None:
    problem = load_problem(chain_doc())
    [violation] = check_assignment(problem, {("A", "PLUS"): Line(1), ("A", "GYM"): Line(1)})
    assert (violation.family, violation.key) == ("prerequisite", "A/PLUS")
    assert violation.numbers == {"units": 1, "employer_cost": 600, "points": 0}
    assert "6.00 EUR of employer money" in violation.text


def test_checker_accepts_a_chain_of_prerequisites_with_the_wish() -> None:
    problem = load_problem(chain_doc())
    chain = {("A", "PLUS"): Line(1), ("A", "SPOUSE"): Line(1), ("A", "CHILD"): Line(1)}
    assert check_assignment(problem, chain) == []
    # Without the wish at the end, each link is a prerequisite of nothing received.
    half = {("A", "PLUS"): Line(1), ("A", "SPOUSE"): Line(1)}
    assert [(v.family, v.key) for v in check_assignment(problem, half)] == [
        ("prerequisite", "A/SPOUSE")
    ]


def test_a_wanted_prerequisite_needs_no_dependent() -> None:
    problem = load_problem(chain_doc())
    assert check_assignment(problem, {("B", "PLUS"): Line(1)}) == []


def test_flexben_check_reports_the_unwanted_line_with_its_numbers(tmp_path: Path) -> None:
    doc = chain_doc()
    problem = load_problem(doc)
    outcome = solve(problem, SolveOptions(time_limit_s=20.0))
    result = build_result(problem, outcome)
    result["allocations"] = sorted(
        [*result["allocations"], {"employee": "B", "benefit": "SPOUSE", "units": 1,
                                  "employer_cost": 800, "employee_cost": 0}],
        key=lambda row: (row["employee"], row["benefit"]),
    )  # fmt: skip
    problem_file, result_file = tmp_path / "p.json", tmp_path / "r.json"
    problem_file.write_text(json.dumps(doc))
    result_file.write_text(json.dumps(result))
    checked = CliRunner().invoke(cli, ["check", str(problem_file), str(result_file)])
    assert checked.exit_code == 1
    assert "[prerequisite:B/SPOUSE]" in checked.output
    assert "8.00 EUR of employer money" in checked.output


def test_compiled_prerequisites_know_their_dependents() -> None:
    person = compile_problem(load_problem(chain_doc())).persons[0]
    plus, spouse = person.candidate("PLUS"), person.candidate("SPOUSE")
    assert plus is not None and spouse is not None
    assert (plus.prerequisite_only, plus.required_by, plus.max_units) == (True, ("SPOUSE",), 1)
    assert spouse.required_by == ("CHILD",)


def test_a_prerequisite_of_an_unreachable_wish_is_no_candidate() -> None:
    doc = chain_doc()
    doc["employees"][0]["eligible"] = ["PLUS", "SPOUSE", "GYM"]  # CHILD out of reach
    person = compile_problem(load_problem(doc)).persons[0]
    assert [c.benefit for c in person.candidates] == ["GYM"]


def test_state_adds_a_wish_with_its_prerequisites_all_or_nothing() -> None:
    compiled = compile_problem(load_problem(chain_doc(allowance=1600)))
    state = AllocationState(compiled.persons, compiled.groups, full_limits(compiled))
    person = compiled.persons[0]
    plus, child, gym = (person.candidate(b) for b in ("PLUS", "CHILD", "GYM"))
    assert plus is not None and child is not None and gym is not None
    assert not state.try_add_unit("A", plus)  # nothing requiring it is held
    assert not state.try_add_unit("A", child)  # its prerequisites are missing
    assert state.try_add_unit("A", gym)
    before = state.lines()
    assert not state.try_add_with_prerequisites("A", child)  # 1,500 > 1,600 - 300
    assert state.lines() == before and state.budget_left == dict(full_limits(compiled).budgets)
    state = AllocationState(compiled.persons, compiled.groups, full_limits(compiled))
    assert state.try_add_with_prerequisites("A", child)
    assert set(state.lines()) == {("A", "CHILD"), ("A", "PLUS"), ("A", "SPOUSE")}
    assert state.violations() == []


def test_the_engine_gives_the_chain_or_nothing() -> None:
    for allowance, expected in ((1500, {"CHILD", "PLUS", "SPOUSE"}), (1499, {"GYM"})):
        problem = load_problem(chain_doc(allowance=allowance))
        outcome = solve(problem, SolveOptions(time_limit_s=20.0))
        assert check_assignment(problem, outcome.assignment) == []
        assert {b for (e, b) in outcome.assignment if e == "A"} == expected


def test_explanation_names_the_prerequisite_that_does_not_fit_with_numbers() -> None:
    problem = load_problem(chain_doc(allowance=1000))
    [item] = explain(problem, {("A", "GYM"): Line(1)})["A"]
    assert (item.benefit, item.codes) == ("CHILD", ("allowance",))
    assert explanation_text(item, problem.currency) == (
        "Your allowance of 10.00 EUR had 7.00 EUR left; CHILD costs 1.00 EUR and requires "
        "PLUS (6.00 EUR), SPOUSE (8.00 EUR), which you did not receive: 15.00 EUR together."
    )
    assert item.package == Package(
        cost=100,
        prerequisites=(("PLUS", 600), ("SPOUSE", 800)),
        total=1500,
        employer_share=1500,
        co_funded=0,
    )
    assert item.as_dict()["package"] == {
        "cost": 100,
        "prerequisites": [{"benefit": "PLUS", "cost": 600}, {"benefit": "SPOUSE", "cost": 800}],
        "total": 1500,
        "employer_share": 1500,
        "co_funded": 0,
    }


def test_explanation_when_the_prerequisites_places_are_taken() -> None:
    problem = load_problem(chain_doc(capacity=1))
    [item] = explain(problem, {("B", "PLUS"): Line(1), ("A", "GYM"): Line(1)})["A"]
    assert item.reasons == (MissingPrerequisite("PLUS", "capacity", places=1),)
    assert explanation_text(item, problem.currency) == (
        "CHILD requires PLUS, and PLUS had 1 place, all allocated."
    )


def test_a_package_that_fits_is_not_selected_and_the_result_is_deterministic() -> None:
    problem = load_problem(chain_doc())
    [item] = explain(problem, {("A", "GYM"): Line(1)})["A"]
    assert item.codes == ("not_selected",)
    outcome = solve(problem, SolveOptions(time_limit_s=20.0))
    first = to_json(build_result(problem, outcome, reproducible=True))
    again = to_json(build_result(problem, solve(problem, SolveOptions(time_limit_s=20.0)),
                                 reproducible=True))  # fmt: skip
    assert first == again
