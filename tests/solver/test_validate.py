from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from solver.load import load_problem
from solver.report import build_result
from solver.types import Assignment, Line, Problem, SolveOutcome, SolverInfo
from solver.validate import (
    Figures,
    check_assignment,
    check_result,
    format_money,
    minimum_satisfaction,
    objective,
    satisfaction,
)
from tests.solver.factories import benefit, employee, problem_doc


def small_problem() -> Problem:
    return load_problem(
        problem_doc(
            policy={"equity_tolerance": 1},
            budgets=[
                {"id": "total", "cap": 100000},
                {"id": "gyms", "cap": 600, "benefits": ["GYM"]},
            ],
            benefits=[
                benefit("CORE", cost=100, core=True),
                benefit("GYM", cost=300),
                benefit("LEAVE", cost=100, max_units=3),
                benefit("PARK", cost=200, capacity=1),
                benefit("DA", cost=50, exclusive_group="dental"),
                benefit("DB", cost=80, exclusive_group="dental"),
                benefit("SPOUSE", cost=150, requires=["GYM"]),
            ],
            employees=[
                employee(
                    "A",
                    allowance=500,
                    top_up_limit=50,
                    preferences={
                        "GYM": 30,
                        "LEAVE": {"points": 20, "units": 2},
                        "PARK": 10,
                        "DA": 10,
                        "DB": 10,
                        "SPOUSE": 20,
                    },
                ),
                employee("B", preferences={"PARK": 50, "GYM": 50}),
                employee("C", eligible=["CORE", "GYM"], preferences={"GYM": 100}),
            ],
        )
    )


def good_assignment() -> Assignment:
    return {
        ("A", "CORE"): Line(1),
        ("A", "GYM"): Line(1),
        ("A", "LEAVE"): Line(1),
        ("B", "CORE"): Line(1),
        ("B", "PARK"): Line(1),
        ("C", "CORE"): Line(1),
        ("C", "GYM"): Line(1),
    }


def with_lines(*changes: tuple[str, str, Line | None]) -> Assignment:
    assignment = good_assignment()
    for employee_id, benefit_id, line in changes:
        if line is None:
            del assignment[(employee_id, benefit_id)]
        else:
            assignment[(employee_id, benefit_id)] = line
    return assignment


def test_a_valid_assignment_has_no_violation() -> None:
    assert check_assignment(small_problem(), good_assignment()) == []


BAD = [
    ("unknown", with_lines(("Z", "GYM", Line(1)))),
    ("units", with_lines(("A", "LEAVE", Line(3)))),  # asked for 2
    ("units", with_lines(("B", "DA", Line(1)))),  # not wanted
    ("units", with_lines(("C", "LEAVE", Line(1)))),  # not eligible
    ("units", with_lines(("A", "LEAVE", Line(0)))),
    ("contribution", with_lines(("A", "GYM", Line(1, contribution=301)))),
    ("contribution", with_lines(("A", "GYM", Line(1, contribution=-1)))),
    ("top_up", with_lines(("A", "GYM", Line(1, contribution=60)))),
    ("core", with_lines(("B", "CORE", None))),
    ("core", with_lines(("B", "CORE", Line(1, contribution=10)))),
    ("requires", with_lines(("A", "GYM", None), ("A", "SPOUSE", Line(1)))),
    ("exclusive", with_lines(("A", "LEAVE", None), ("A", "DA", Line(1)), ("A", "DB", Line(1)))),
    ("allowance", with_lines(("A", "LEAVE", Line(2)), ("A", "DA", Line(1)))),
    ("budget", with_lines(("B", "GYM", Line(1)))),
    ("capacity", with_lines(("A", "PARK", Line(1)))),
    ("equity_band", with_lines(("B", "PARK", None), ("C", "GYM", None))),
]


@pytest.mark.parametrize(
    ("family", "assignment"), BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)]
)
def test_each_violation_family_is_detected(family: str, assignment: Assignment) -> None:
    violations = check_assignment(small_problem(), assignment)
    assert family in {v.family for v in violations}, violations
    assert all(v.text for v in violations)


def test_budget_violation_names_the_numbers() -> None:
    [violation] = check_assignment(small_problem(), with_lines(("B", "GYM", Line(1))))
    assert violation.key == "gyms"
    assert violation.numbers == {"used": 900, "cap": 600}
    assert "9.00 EUR" in violation.text and "6.00 EUR" in violation.text


def test_band_counts_the_contribution_out_and_the_mean_in() -> None:
    # A's value 400 drops to 350 with a 50 contribution: band cap 2 * mean.
    problem = small_problem()
    assignment = with_lines(("A", "GYM", Line(1, contribution=50)))
    assert check_assignment(problem, assignment) == []


def test_exact_satisfaction_and_objective() -> None:
    problem = small_problem()
    scores = satisfaction(problem, good_assignment())
    assert scores == {"A": Fraction(40, 100), "B": Fraction(1, 2), "C": Fraction(1)}
    assert objective(problem, good_assignment()) == Fraction(19, 10)
    assert minimum_satisfaction(problem, good_assignment()) == Fraction(2, 5)


def test_figures_of_an_allocation_in_one_pass() -> None:
    problem = load_problem(
        problem_doc(
            policy={"equity_tolerance": 0.5, "equity_absolute": 10},
            budgets=[
                {"id": "total", "cap": 10000},
                {"id": "north", "cap": 900, "groups": ["N"]},
                {"id": "parking", "cap": 500, "benefits": ["PARK"]},
            ],
            benefits=[
                benefit("CORE", cost=100, core=True),
                benefit("GYM", cost=300),
                benefit("PARK", cost=200, capacity=3, max_units=2),
            ],
            employees=[
                employee("A", group="N", need=1.5, preferences={"GYM": 60, "PARK": 40}),
                employee("B", group="N", preferences={"PARK": {"points": 10, "units": 2}}),
                employee("C", group="S", top_up_limit=100, preferences={"GYM": 10}),
                employee("D", group="S"),  # not a participant
            ],
        )
    )
    lines = {(e, "CORE"): Line(1) for e in "ABCD"}
    lines |= {("A", "GYM"): Line(1), ("B", "PARK"): Line(1), ("C", "GYM"): Line(1, 100)}
    figures = Figures.of(problem, lines)
    assert figures.lines["A"] == {"CORE": Line(1), "GYM": Line(1)} and figures.lines["D"] == {
        "CORE": Line(1)
    }
    assert figures.wishes == {
        "A": {"GYM": (60, 1), "PARK": (40, 1)},
        "B": {"PARK": (10, 2)},
        "C": {"GYM": (10, 1)},
    }
    assert figures.values == {"A": 300, "B": 200, "C": 200, "D": 0}
    assert figures.top_ups == {"A": 0, "B": 0, "C": 100, "D": 0}
    assert figures.scores == {"A": Fraction(3, 5), "B": Fraction(1, 2), "C": Fraction(1)}
    # N: v/need 300/1.5 = 200 and 200/1 = 200; S: only C (D is no participant)
    north, south = figures.bands["N"], figures.bands["S"]
    assert (north.participants, north.mean, north.cap) == (("A", "B"), 200, 310)
    assert (south.participants, south.mean, south.cap) == (("C",), 200, None)
    assert figures.highest_ratios == {"N": 200, "S": 200}
    assert figures.budgets_used == {"total": 1100, "north": 700, "parking": 200}
    assert figures.capacity_used == {"PARK": 1}
    assert figures.employer_total == 1100


def test_the_highest_ratio_compares_exactly_across_needs() -> None:
    problem = load_problem(
        problem_doc(
            benefits=[benefit("GYM", cost=300), benefit("SPA", cost=301)],
            employees=[
                employee("A", need=3, preferences={"SPA": 10}),  # 301/3 = 100.33
                employee("B", need=0.75, preferences={"GYM": 10}),  # 300/0.75 = 400
                employee("C", need=0.7, preferences={"GYM": 10}),  # nothing: 0
            ],
        )
    )
    figures = Figures.of(problem, {("A", "SPA"): Line(1), ("B", "GYM"): Line(1)})
    assert figures.highest_ratios == {"G": 400}
    assert figures.bands["G"].mean == (Fraction(301, 3) + 400) / 3


def test_money_format() -> None:
    assert format_money(300000, "EUR") == "3,000.00 EUR"
    assert format_money(-5, "EUR") == "-0.05 EUR"
    assert format_money(1200, "JPY") == "1,200 JPY"
    assert format_money(1234, "KWD") == "1.234 KWD"


def result_doc(assignment: Assignment, *, bound: float | None = 2.0) -> dict[str, Any]:
    outcome = SolveOutcome(
        status="feasible",
        assignment=assignment,
        objective=None,
        bound=bound,
        solver=SolverInfo(name="hand", version="0", seconds=0.1),
    )
    return build_result(small_problem(), outcome)


def test_a_reported_result_checks_clean() -> None:
    assert check_result(small_problem(), result_doc(good_assignment())) == []


def _tamper(path: list[Any], value: Any) -> dict[str, Any]:
    doc = result_doc(good_assignment())
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


TAMPERED = [
    ("satisfaction", ["employees", 0, "satisfaction"], 0.5),
    ("value", ["employees", 0, "value"], 1),
    ("top_up", ["employees", 0, "top_up"], 7),
    ("objective", ["objective"], 2.5),
    ("bound", ["bound"], 1.0),
    ("group", ["groups", 0, "mean_value"], 1),
    ("group", ["groups", 0, "max_ratio"], 9.0),
    ("budget", ["budgets", 1, "used"], 1),
    ("capacity_use", ["capacity", 0, "used"], 0),
    ("document", ["allocations", 1, "employer_cost"], 1),
    ("kpi", ["kpis", "min_satisfaction"], 0.1),
    ("kpi", ["kpis", "total_employer_cost"], 1),
    ("kpi", ["kpis", "participants"], 2),
    ("document", ["employees"], []),
    ("document", ["format"], "x"),
    ("document", ["status"], "done"),
]


@pytest.mark.parametrize(
    ("family", "path", "value"), TAMPERED, ids=[f"{t[0]}-{i}" for i, t in enumerate(TAMPERED)]
)
def test_result_figures_that_do_not_recompute_are_reported(
    family: str, path: list[Any], value: Any
) -> None:
    violations = check_result(small_problem(), _tamper(path, value))
    assert family in {v.family for v in violations}, violations


def test_unsorted_lines_and_rule_breaks_in_a_document_are_reported() -> None:
    doc = result_doc(good_assignment())
    doc["allocations"].reverse()
    assert {v.family for v in check_result(small_problem(), doc)} == {"document"}
    broken = result_doc(with_lines(("A", "PARK", Line(1))))
    assert "capacity" in {v.family for v in check_result(small_problem(), broken)}


def test_an_infeasible_result_must_carry_no_allocation_and_be_true() -> None:
    doc = result_doc(good_assignment())
    doc["status"] = "infeasible"
    assert [v.key for v in check_result(small_problem(), doc)] == ["status"]
    doc["allocations"] = []
    # Giving only CORE is valid here, so the claim is false.
    assert [v.family for v in check_result(small_problem(), doc)] == ["status"]
    tight = load_problem(
        problem_doc(
            budgets=[{"id": "total", "cap": 150}],
            benefits=[benefit("CORE", cost=100, core=True)],
            employees=[employee("A"), employee("B")],
        )
    )
    assert check_result(tight, doc) == []
