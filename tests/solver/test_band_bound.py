"""The band bound never falls below the true optimum (brute force) and beats the LP where
whole units cannot meet the band."""

from __future__ import annotations

import random
from typing import Any

import pytest

from solver.band_bound import band_term
from solver.candidates import Compiled, by_group, compile_problem
from solver.decompose import Prices, priced_usage
from solver.load import load_problem
from solver.person_bound import person_terms
from tests.solver.brute_force import optimum
from tests.solver.tiny import FAMILIES, random_prices, tiny_doc


def _lagrangian(compiled: Compiled, prices: Prices) -> float:
    """Each group's band term (its persons-alone term where it has no band), plus y . b."""
    alone = person_terms(compiled, prices.budgets, prices.capacities)
    budget_price = {scope.id: price for scope, price in prices.budgets}
    places = dict(prices.capacities)
    total = prices.value(compiled)
    for group, members in sorted(by_group(compiled.persons).items()):
        priced = {
            c.benefit: (
                sum(budget_price.get(b, 0.0) for b in compiled.covering(group, c.benefit)),
                places.get(c.benefit, 0.0),
            )
            for person in members
            for c in person.candidates
        }
        term = band_term(compiled.group(group), members, priced)
        total += alone[group] if term is None else term
    return total


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
            assert _lagrangian(compiled, prices) >= best - 1e-9, (family, seed, prices)


def _favourites_doc(*, tolerance: float, absolute: int) -> dict[str, Any]:
    # E1 wants only X (cost 100), E2 only Y (cost 10): with whole units their values differ
    # unless both get nothing, while the LP gives E1 a tenth of X to match E2's 10.
    return {
        "format": "flexben.problem/v1",
        "currency": "EUR",
        "points_per_employee": 100,
        "benefits": [{"id": "X", "cost": 100}, {"id": "Y", "cost": 10}],
        "employees": [
            {"id": "E1", "group": "G", "preferences": {"X": 100}},
            {"id": "E2", "group": "G", "preferences": {"Y": 100}},
        ],
        "budgets": [],
        "policy": {
            "objective": "utilitarian",
            "equity_tolerance": tolerance,
            "equity_absolute": absolute,
        },
    }


def test_whole_units_that_cannot_meet_the_band_count_nothing() -> None:
    compiled = compile_problem(load_problem(_favourites_doc(tolerance=0.0, absolute=0)))
    members = compiled.persons
    prices = {c.benefit: (0.0, 0.0) for p in members for c in p.candidates}
    assert band_term(compiled.group("G"), members, prices) == pytest.approx(0.0, abs=1e-9)


def test_an_absolute_allowance_lets_the_cheap_favourite_through() -> None:
    # v/need <= mean + 10: E2 alone holding Y (10 <= 5 + 10) is valid; X never is.
    doc = _favourites_doc(tolerance=0.0, absolute=10)
    compiled = compile_problem(load_problem(doc))
    members = compiled.persons
    prices = {c.benefit: (0.0, 0.0) for p in members for c in p.candidates}
    assert float(optimum(load_problem(doc)).best_total) == pytest.approx(1.0)
    assert band_term(compiled.group("G"), members, prices) == pytest.approx(1.0, abs=1e-6)


def test_a_group_without_band_has_no_band_term() -> None:
    doc = _favourites_doc(tolerance=0.0, absolute=0)
    doc["employees"] = doc["employees"][:1]
    compiled = compile_problem(load_problem(doc))
    prices = {c.benefit: (0.0, 0.0) for p in compiled.persons for c in p.candidates}
    assert band_term(compiled.group("G"), compiled.persons, prices) is None
