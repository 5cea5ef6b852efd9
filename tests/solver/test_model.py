"""Each constraint family: its rows exist, carry the family prefix and bind on a small case."""

from __future__ import annotations

from typing import Any

import pytest
from pulp import LpProblem

from solver.backends import run_model
from solver.candidates import compile_problem
from solver.engine import full_limits
from solver.generate import generate
from solver.load import load_problem
from solver.model import ModelVars, ObjectiveSpec, build_model
from solver.types import Objective

FAMILIES = (
    "allowance_",
    "budget_",
    "capacity_",
    "exclusive_",
    "requires_",
    "prerequisite_",
    "equity_mean_",
    "equity_band_",
    "contribution_line_",
    "contribution_limit_",
    "maxmin_floor_",
)


def _doc(
    *,
    benefits: list[dict[str, Any]],
    employees: list[dict[str, Any]],
    budgets: list[dict[str, Any]] | None = None,
    tolerance: float = 1.0,
    absolute: int = 10**9,
    objective: Objective = "utilitarian",
) -> dict[str, Any]:
    return {
        "format": "flexben.problem/v1",
        "currency": "EUR",
        "points_per_employee": 100,
        "policy": {
            "objective": objective,
            "equity_tolerance": tolerance,
            "equity_absolute": absolute,
        },
        "budgets": budgets or [],
        "benefits": benefits,
        "employees": employees,
    }


def _person(employee_id: str, preferences: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": employee_id,
        "group": fields.pop("group", "G"),
        "preferences": preferences,
    } | fields


def _solve(doc: dict[str, Any], *, relax: bool = False) -> tuple[LpProblem, ModelVars, float]:
    compiled = compile_problem(load_problem(doc))
    kind = compiled.problem.policy.objective
    spec = ObjectiveSpec(kind, "min" if kind == "maxmin" else "total")
    problem, variables = build_model(
        "t", compiled.persons, compiled.groups, full_limits(compiled), spec, relax=relax
    )
    result = run_model(problem, "highs", mip=not relax)
    assert result.proven_optimal and result.objective is not None
    return problem, variables, result.objective


def _units(variables: ModelVars) -> dict[tuple[str, str], int]:
    return {key: round(var.value() or 0) for key, var in variables.units.items() if var.value()}


def _prefixes(problem: LpProblem) -> set[str]:
    names = [str(c.name) for c in problem.constraints()]
    assert all(name.startswith(FAMILIES) for name in names), names
    return {family for family in FAMILIES if any(n.startswith(family) for n in names)}


def test_allowance_binds() -> None:
    doc = _doc(
        benefits=[{"id": "A", "cost": 100}, {"id": "B", "cost": 100}],
        employees=[_person("E1", {"A": 60, "B": 40}, allowance=150)],
    )
    problem, variables, objective = _solve(doc)
    assert _prefixes(problem) == {"allowance_"}
    assert _units(variables) == {("E1", "A"): 1}
    assert objective == pytest.approx(0.6)


def test_budget_binds_and_core_use_is_taken_out_first() -> None:
    doc = _doc(
        benefits=[{"id": "CORE", "cost": 50, "core": True}, {"id": "A", "cost": 100}],
        employees=[_person("E1", {"A": 10}), _person("E2", {"A": 20})],
        budgets=[{"id": "total", "cap": 250}],
    )
    problem, variables, _ = _solve(doc)
    assert "budget_" in _prefixes(problem)
    assert sum(_units(variables).values()) == 1  # 2 x 50 core + 100 leaves room for one


def test_capacity_binds() -> None:
    doc = _doc(
        benefits=[{"id": "PARK", "cost": 10, "capacity": 1}],
        employees=[_person("E1", {"PARK": 10}), _person("E2", {"PARK": 10}, group="H")],
    )
    problem, variables, objective = _solve(doc)
    assert "capacity_" in _prefixes(problem)
    assert sum(_units(variables).values()) == 1
    assert objective == pytest.approx(1.0)


def test_exclusive_group_binds() -> None:
    doc = _doc(
        benefits=[
            {"id": "D1", "cost": 10, "exclusive_group": "dental"},
            {"id": "D2", "cost": 20, "exclusive_group": "dental"},
        ],
        employees=[_person("E1", {"D1": 30, "D2": 70})],
    )
    problem, variables, _ = _solve(doc)
    assert _prefixes(problem) == {"exclusive_"}
    assert _units(variables) == {("E1", "D2"): 1}


def test_requires_brings_the_required_benefit_with_zero_utility() -> None:
    doc = _doc(
        benefits=[{"id": "GYM", "cost": 10}, {"id": "FAMILY", "cost": 5, "requires": ["GYM"]}],
        employees=[
            _person("E1", {"FAMILY": 10}, allowance=15),
            _person("E2", {"FAMILY": 10}, allowance=14),
        ],
    )
    problem, variables, objective = _solve(doc)
    assert {"requires_", "prerequisite_"} <= _prefixes(problem)
    assert _units(variables) == {("E1", "FAMILY"): 1, ("E1", "GYM"): 1}
    assert objective == pytest.approx(1.0)


def test_an_unwanted_prerequisite_never_lifts_the_groups_mean() -> None:
    # Band v <= mean (tolerance 0): E1's X (100) fits only if E2's value is 100 too. E2 wants
    # SPOUSE (requires PLUS) but its allowance (120) fits PLUS (100) alone, not both: giving
    # E2 PLUS without SPOUSE would lift the mean for E1 -- the rule forbids it.
    doc = _doc(
        benefits=[
            {"id": "X", "cost": 100},
            {"id": "PLUS", "cost": 100},
            {"id": "SPOUSE", "cost": 50, "requires": ["PLUS"]},
        ],
        employees=[_person("E1", {"X": 10}), _person("E2", {"SPOUSE": 10}, allowance=120)],
        tolerance=0.0,
        absolute=0,
    )
    problem, variables, objective = _solve(doc)
    assert "prerequisite_" in _prefixes(problem)
    assert _units(variables) == {}
    assert objective == pytest.approx(0.0)


def test_a_prerequisite_comes_with_the_wish_that_requires_it() -> None:
    doc = _doc(
        benefits=[
            {"id": "PLUS", "cost": 100},
            {"id": "SPOUSE", "cost": 50, "requires": ["PLUS"]},
            {"id": "CHILD", "cost": 10, "requires": ["SPOUSE"]},
        ],
        employees=[_person("E1", {"CHILD": 10}, allowance=160)],
    )
    problem, variables, objective = _solve(doc)
    assert {"requires_", "prerequisite_"} <= _prefixes(problem)
    assert _units(variables) == {("E1", "CHILD"): 1, ("E1", "PLUS"): 1, ("E1", "SPOUSE"): 1}
    assert objective == pytest.approx(1.0)


def test_requires_on_an_ineligible_benefit_leaves_no_variable() -> None:
    doc = _doc(
        benefits=[{"id": "GYM", "cost": 10}, {"id": "FAMILY", "cost": 5, "requires": ["GYM"]}],
        employees=[_person("E1", {"FAMILY": 10}, eligible=["FAMILY"])],
    )
    _, variables, _ = _solve(doc)
    assert variables.units == {}


def _band_case(top_up_limit: int) -> dict[str, Any]:
    # Two participants, band v <= mean + 60: 100 fits alone; 300 would need the mean at 240.
    return _doc(
        benefits=[{"id": "X", "cost": 100}, {"id": "Y", "cost": 300}],
        employees=[
            _person("E1", {"X": 10}),
            _person("E2", {"Y": 10}, top_up_limit=top_up_limit),
        ],
        tolerance=0.0,
        absolute=60,
    )


def test_equity_band_binds_with_one_mean_variable_per_group() -> None:
    problem, variables, objective = _solve(_band_case(0))
    assert _prefixes(problem) == {"equity_mean_", "equity_band_"}
    assert list(variables.means) == ["G"]
    mean_row = problem.get_constraint_by_name("equity_mean_G")
    assert mean_row is not None and len(mean_row) == 3  # each member once, plus the mean
    assert _units(variables) == {("E1", "X"): 1}
    assert objective == pytest.approx(1.0)


def test_employee_contribution_lets_a_dearer_benefit_fit_the_band() -> None:
    problem, variables, objective = _solve(_band_case(100))
    assert {"contribution_line_", "contribution_limit_"} <= _prefixes(problem)
    assert _units(variables) == {("E1", "X"): 1, ("E2", "Y"): 1}
    # v(E2) = 300 - w <= (100 + 300 - w) / 2 + 60  <=>  w >= 80 (plus the float safety margin)
    assert 80 <= round(variables.contributions[("E2", "Y")].value() or 0) <= 81
    assert objective == pytest.approx(2.0, abs=1e-5)


def test_band_ignores_groups_with_one_participant() -> None:
    doc = _band_case(0)
    doc["employees"][1]["group"] = "OTHER"
    problem, _, objective = _solve(doc)
    assert not any(str(c.name).startswith("equity") for c in problem.constraints())
    assert objective == pytest.approx(2.0)


def test_maxmin_phase_maximises_the_least_satisfied() -> None:
    doc = _doc(
        benefits=[{"id": "A", "cost": 100, "capacity": 1}, {"id": "B", "cost": 100}],
        employees=[_person("E1", {"A": 90, "B": 10}), _person("E2", {"A": 100}, group="H")],
        objective="maxmin",
    )
    problem, variables, objective = _solve(doc)
    assert "maxmin_floor_" in _prefixes(problem)
    # The single place goes to E2 (all of E2's points); E1 keeps B: min(0.1, 1.0).
    assert objective == pytest.approx(0.1)
    assert _units(variables)[("E2", "A")] == 1


def test_relaxation_bounds_the_integer_optimum() -> None:
    doc = _band_case(0)
    _, _, integer = _solve(doc)
    _, _, relaxed = _solve(doc, relax=True)
    assert relaxed >= integer - 1e-9


def test_variables_only_for_pairs_that_can_be_non_zero() -> None:
    doc = _doc(
        benefits=[
            {"id": "CORE", "cost": 5, "core": True},
            {"id": "A", "cost": 10},
            {"id": "B", "cost": 10, "capacity": 0},
            {"id": "C", "cost": 10},
        ],
        employees=[_person("E1", {"A": 5, "B": 5}), _person("E2", {}, top_up_limit=10)],
    )
    compiled = compile_problem(load_problem(doc))
    _, variables = build_model(
        "t", compiled.persons, compiled.groups, full_limits(compiled), ObjectiveSpec()
    )
    assert list(variables.units) == [("E1", "A")]
    assert variables.contributions == {}


def test_a_highs_solve_counts_its_work_the_same_on_every_run() -> None:
    """`RunResult.work` (simplex iterations x nonzeros) decides the polish's second round, so
    it must not depend on the run: the clock's seconds would."""
    compiled = compile_problem(load_problem(generate(employees=60, seed=3, groups=2)))
    spec = ObjectiveSpec("utilitarian", "total")

    def work() -> int:
        problem, _ = build_model(
            "w", compiled.persons, compiled.groups, full_limits(compiled), spec
        )
        return run_model(problem, "highs", node_limit=5).work

    first = work()
    assert first > 0
    assert work() == first
