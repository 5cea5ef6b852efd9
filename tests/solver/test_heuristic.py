"""The construction heuristic: whole-unit bundles, and levels where the band needs value."""

from __future__ import annotations

from typing import Any

import pytest

from solver.bundles import BUNDLES, bundle_options
from solver.candidates import Compiled, compile_problem
from solver.engine import full_limits
from solver.heuristic import construct
from solver.load import load_problem


def _compiled(
    *,
    benefits: list[dict[str, Any]],
    employees: list[dict[str, Any]],
    tolerance: float = 0.0,
    absolute: int = 0,
    budgets: list[dict[str, Any]] | None = None,
) -> Compiled:
    doc = {
        "format": "flexben.problem/v1",
        "currency": "EUR",
        "points_per_employee": 100,
        "benefits": benefits,
        "employees": employees,
        "budgets": budgets or [],
        "policy": {
            "objective": "utilitarian",
            "equity_tolerance": tolerance,
            "equity_absolute": absolute,
        },
    }
    return compile_problem(load_problem(doc))


def test_bundles_keep_one_benefit_per_tier_and_bring_prerequisites() -> None:
    compiled = _compiled(
        benefits=[
            {"id": "A", "cost": 5, "exclusive_group": "tier"},
            {"id": "B", "cost": 7, "exclusive_group": "tier"},
            {"id": "BASE", "cost": 2},
            {"id": "PLUS", "cost": 3, "requires": ["BASE"]},
        ],
        employees=[{"id": "E1", "group": "G", "preferences": {"A": 40, "B": 30, "PLUS": 30}}],
    )
    bundles = bundle_options(compiled.persons[0])
    assert bundles is not None
    listed = {tuple((c.benefit, n) for c, n in bundle.units) for bundle in bundles}
    assert listed == {
        (),
        (("A", 1),),
        (("B", 1),),
        (("BASE", 1), ("PLUS", 1)),
        (("A", 1), ("BASE", 1), ("PLUS", 1)),
        (("B", 1), ("BASE", 1), ("PLUS", 1)),
    }
    assert [bundle.cost for bundle in bundles] == sorted(bundle.cost for bundle in bundles)


def test_too_many_bundles_are_not_listed() -> None:
    names = [f"B{index}" for index in range(BUNDLES.bit_length())]
    compiled = _compiled(
        benefits=[{"id": name, "cost": 1} for name in names],
        employees=[{"id": "E1", "group": "G", "preferences": dict.fromkeys(names, 10)}],
    )
    assert 2 ** len(names) > BUNDLES
    assert bundle_options(compiled.persons[0]) is None


def test_a_participant_takes_a_dearer_wish_so_that_the_band_holds() -> None:
    # No tolerance: every participant's value must equal the mean. E1 wants only X (10);
    # E2 prefers Z (4, 70 points) to Y (10, 30 points). Serving E1 needs E2 on Y: 1 + 0.3.
    compiled = _compiled(
        benefits=[{"id": "X", "cost": 10}, {"id": "Y", "cost": 10}, {"id": "Z", "cost": 4}],
        employees=[
            {"id": "E1", "group": "G", "preferences": {"X": 100}},
            {"id": "E2", "group": "G", "preferences": {"Y": 30, "Z": 70}},
        ],
    )
    state = construct(compiled.persons, compiled.groups, full_limits(compiled))
    assert not state.violations()
    assert float(state.objective()) == pytest.approx(1.3)
    assert state.lines() == {("E1", "X"): (1, 0), ("E2", "Y"): (1, 0)}


def _short_budget() -> Compiled:
    # E1 (first in order) wants A and D, half their points each; E2 and E3 want one benefit
    # each, with all their points; all cost 4, the budget 8. Served person by person, E1
    # takes at least A (1.5 at best); by satisfaction per cost, E2 and E3 come first: 2.0.
    return _compiled(
        benefits=[{"id": name, "cost": 4} for name in ("A", "B", "C", "D")],
        employees=[
            {"id": "E1", "group": "G", "preferences": {"A": 50, "D": 50}},
            {"id": "E2", "group": "G", "preferences": {"B": 100}},
            {"id": "E3", "group": "G", "preferences": {"C": 100}},
        ],
        tolerance=10.0,
        budgets=[{"id": "total", "cap": 8}],
    )


def test_a_short_budget_goes_to_the_most_satisfaction_per_cost_first() -> None:
    compiled = _short_budget()
    state = construct(compiled.persons, compiled.groups, full_limits(compiled))
    assert not state.violations()
    assert state.lines() == {("E2", "B"): (1, 0), ("E3", "C"): (1, 0)}


def test_the_plain_level_search_skips_the_thorough_ones_work() -> None:
    compiled = _short_budget()
    plain = construct(compiled.persons, compiled.groups, full_limits(compiled), thorough=False)
    assert not plain.violations()
    assert plain.objective() < 2  # E1 took part of the budget that E2 and E3 needed whole
