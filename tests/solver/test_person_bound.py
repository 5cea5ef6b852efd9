"""The persons-alone Lagrangian bound never falls below the true optimum (brute force)."""

from __future__ import annotations

import random

import pytest

from solver.candidates import compile_problem
from solver.decompose import priced_usage
from solver.load import load_problem
from solver.person_bound import person_terms
from tests.solver.brute_force import optimum
from tests.solver.tiny import FAMILIES, random_prices, tiny_doc


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "maxmin"])
def test_the_bound_holds_for_any_non_negative_prices(family: str) -> None:
    for seed in range(6):
        problem = load_problem(tiny_doc(seed=seed, family=family))
        compiled = compile_problem(problem)
        best = float(optimum(problem).best_total)
        rng = random.Random(seed)
        for prices in [
            priced_usage(compiled)[1],
            *(random_prices(compiled, rng) for _ in range(4)),
        ]:
            terms = person_terms(compiled, prices.budgets, prices.capacities)
            bound = sum(terms.values()) + prices.value(compiled)
            assert bound >= best - 1e-9, (family, seed, prices)


def test_without_prices_each_person_is_bounded_by_their_own_best() -> None:
    # One person, allowance 10: A (cost 6, 60 points) and B (cost 5, 40 points) cannot both
    # fit; the fractional knapsack takes A whole and 4/5 of B: 0.6 + 0.8 * 0.4.
    doc = {
        "format": "flexben.problem/v1",
        "currency": "EUR",
        "points_per_employee": 100,
        "benefits": [{"id": "A", "cost": 6}, {"id": "B", "cost": 5}],
        "employees": [
            {"id": "E1", "group": "G", "allowance": 10, "preferences": {"A": 60, "B": 40}}
        ],
        "budgets": [],
        "policy": {"objective": "utilitarian", "equity_tolerance": 0.1, "equity_absolute": 0},
    }
    compiled = compile_problem(load_problem(doc))
    terms = person_terms(compiled, (), ())
    assert terms == {"G": pytest.approx(0.6 + 0.8 * 0.4)}
    assert float(optimum(load_problem(doc)).best_total) == pytest.approx(0.6)
