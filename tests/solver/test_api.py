from __future__ import annotations

import pytest

from solver.api import solve_document, solve_problem
from solver.errors import ProblemError
from solver.generate import generate
from solver.load import load_problem
from solver.report import to_json
from solver.types import SolveOptions
from solver.validate import check_result
from tests.solver.brute_force import optimum
from tests.solver.factories import benefit, design_example, employee, problem_doc

FAST = SolveOptions(time_limit_s=30.0)


def test_design_example_is_solved_checked_and_explained() -> None:
    doc = design_example()
    result = solve_document(doc, FAST)
    assert result["status"] == "optimal"
    assert check_result(load_problem(doc), result) == []
    lines = {(row["employee"], row["benefit"]) for row in result["allocations"]}
    assert {("E00007", "HEALTH"), ("E00042", "HEALTH")} <= lines  # core for everyone eligible
    assert result["objective"] == pytest.approx(float(optimum(load_problem(doc)).best_total))
    assert result["solver"]["name"] and result["solver"]["version"]


def test_an_invalid_document_produces_no_result() -> None:
    doc = design_example()
    doc["benefits"][1]["cost"] = -1
    with pytest.raises(ProblemError) as raised:
        solve_document(doc, FAST)
    assert [issue.path for issue in raised.value.issues] == ["$.benefits[1].cost"]


def test_infeasible_problem_is_diagnosed_before_solving() -> None:
    doc = design_example()
    doc["budgets"][0]["cap"] = 100000  # HEALTH alone costs 2 x 120,000
    result = solve_document(doc, FAST)
    assert result["status"] == "infeasible"
    assert result["allocations"] == []
    assert result["infeasibility"][0]["constraint"] == "budget:total"
    assert result["infeasibility"][0]["required"] == 240000


def test_same_input_gives_byte_identical_output_in_reproducible_mode() -> None:
    problem = load_problem(generate(employees=12, seed=7, groups=2))
    first = to_json(solve_problem(problem, FAST, reproducible=True))
    second = to_json(solve_problem(problem, FAST, reproducible=True))
    assert first == second
    assert '"seconds":0.0' in first


def test_employees_contribute_only_what_is_needed() -> None:
    def contribution(allowance: int) -> int:
        doc = problem_doc(
            benefits=[benefit("GYM", cost=300)],
            employees=[
                employee("A", allowance=allowance, top_up_limit=100, preferences={"GYM": 10})
            ],
        )
        result = solve_document(doc, FAST)
        assert check_result(load_problem(doc), result) == []
        [line] = result["allocations"]
        return int(line["employee_cost"])

    assert contribution(300) == 0  # the allowance covers it: no salary deduction
    assert contribution(250) == 50  # the smallest top-up that makes it fit
