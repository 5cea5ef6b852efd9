"""The oracle itself must be right before it judges the engine."""

from __future__ import annotations

from fractions import Fraction

import pytest

from solver.load import load_problem
from solver.validate import check_assignment, objective
from tests.solver.brute_force import optimum
from tests.solver.factories import benefit, employee, problem_doc
from tests.solver.tiny import FAMILIES, tiny_doc


def test_hand_computed_optimum() -> None:
    # Budget 5 fits GYM (3) or LEAVE (2 + 2) but not everything; the band is loose.
    doc = problem_doc(
        budgets=[{"id": "total", "cap": 5}],
        policy={"equity_tolerance": 10},
        benefits=[benefit("GYM", cost=3), benefit("LEAVE", cost=2, max_units=2)],
        employees=[
            employee("A", preferences={"GYM": 50, "LEAVE": {"points": 50, "units": 2}}),
            employee("B", preferences={"LEAVE": 10}),
        ],
    )
    best = optimum(load_problem(doc))
    # A: GYM + 1 LEAVE = 3/4, B: nothing = 0 -> 3/4; A: GYM, B: LEAVE -> 1/2 + 1 = 3/2.
    assert best.best_total == Fraction(3, 2)
    assert best.best_min == Fraction(1, 2)


def test_band_makes_the_oracle_share() -> None:
    doc = problem_doc(
        policy={"equity_tolerance": 0, "equity_absolute": 0},
        benefits=[benefit("GYM", cost=3), benefit("LEAVE", cost=3)],
        employees=[
            employee("A", preferences={"GYM": 10}),
            employee("B", preferences={"LEAVE": 10}),
        ],
    )
    best = optimum(load_problem(doc))
    assert best.best_total == 2  # both get theirs: equal values fit a zero tolerance
    doc["benefits"][1]["cost"] = 4
    assert optimum(load_problem(doc)).best_total == 0  # unequal values never fit


@pytest.mark.parametrize("family", FAMILIES)
def test_oracle_optimum_is_valid_for_the_checker(family: str) -> None:
    problem = load_problem(tiny_doc(seed=1, family=family))
    best = optimum(problem)
    assert check_assignment(problem, best.assignment) == []
    assert objective(problem, best.assignment) == best.best_total
    assert best.best_min <= best.best_total
