"""The exact allocation state: every unit it adds keeps every rule, in exact arithmetic."""

from __future__ import annotations

from typing import Any

from solver.candidates import Compiled, compile_problem
from solver.engine import full_limits, to_assignment
from solver.heuristic import construct
from solver.load import load_problem
from solver.state import AllocationState
from solver.validate import check_assignment


def _compiled(*, employees: list[dict[str, Any]], budget: int = 10**9) -> Compiled:
    return compile_problem(
        load_problem(
            {
                "format": "flexben.problem/v1",
                "currency": "EUR",
                "points_per_employee": 100,
                "policy": {"equity_tolerance": 0.0, "equity_absolute": 60},
                "budgets": [{"id": "total", "cap": budget}],
                "benefits": [{"id": "X", "cost": 100}, {"id": "Y", "cost": 300}],
                "employees": employees,
            }
        )
    )


def _state(compiled: Compiled) -> AllocationState:
    return AllocationState(compiled.persons, compiled.groups, full_limits(compiled))


def _candidate(compiled: Compiled, person_id: str, benefit: str) -> Any:
    person = next(p for p in compiled.persons if p.id == person_id)
    return person.candidate(benefit)


def test_a_unit_that_would_break_the_band_is_refused() -> None:
    compiled = _compiled(
        employees=[
            {"id": "E1", "group": "G", "preferences": {"X": 10}},
            {"id": "E2", "group": "G", "preferences": {"Y": 10}},
        ]
    )
    state = _state(compiled)
    assert state.try_add_unit("E1", _candidate(compiled, "E1", "X"))  # 100 <= 50 + 60
    assert not state.try_add_unit("E2", _candidate(compiled, "E2", "Y"))  # 300 > 200 + 60
    assert state.violations() == []


def test_a_top_up_pays_exactly_what_the_band_requires() -> None:
    compiled = _compiled(
        employees=[
            {"id": "E1", "group": "G", "preferences": {"X": 10}},
            {"id": "E2", "group": "G", "top_up_limit": 100, "preferences": {"Y": 10}},
        ]
    )
    state = _state(compiled)
    assert state.try_add_unit("E1", _candidate(compiled, "E1", "X"))
    assert state.try_add_unit("E2", _candidate(compiled, "E2", "Y"))
    # 300 - w <= (100 + 300 - w) / 2 + 60  <=>  w >= 80: the least contribution is taken.
    assert state.lines()[("E2", "Y")] == (1, 80)
    assert check_assignment(compiled.problem, to_assignment(compiled, state)) == []


def test_budgets_are_never_overspent() -> None:
    compiled = _compiled(
        employees=[{"id": f"E{i}", "group": f"G{i}", "preferences": {"X": 10}} for i in range(5)],
        budget=250,
    )
    state = _state(compiled)
    added = [state.try_add_unit(f"E{i}", _candidate(compiled, f"E{i}", "X")) for i in range(5)]
    assert added.count(True) == 2
    assert state.budget_left["total"] == 50


def test_a_top_up_pays_what_a_short_budget_lacks() -> None:
    # 250 of budget: E0 and E1 take X (100 each); E2 can pay 60 of the third X, E3 only 40.
    compiled = _compiled(
        employees=[
            {"id": f"E{i}", "group": f"G{i}", "top_up_limit": limit, "preferences": {"X": 10}}
            for i, limit in enumerate((0, 0, 60, 40))
        ],
        budget=250,
    )
    state = _state(compiled)
    added = [state.try_add_unit(f"E{i}", _candidate(compiled, f"E{i}", "X")) for i in range(4)]
    assert added == [True, True, True, False]
    assert state.lines()[("E2", "X")] == (1, 50)
    assert state.budget_left["total"] == 0
    assert check_assignment(compiled.problem, to_assignment(compiled, state)) == []


def test_construction_is_valid_for_the_independent_checker() -> None:
    compiled = _compiled(
        employees=[
            {
                "id": f"E{i}",
                "group": "G" if i % 2 else "H",
                "need": 1 + i / 4,
                "top_up_limit": 50 * i,
                "preferences": {"X": 10, "Y": 10 + i},
            }
            for i in range(8)
        ],
        budget=1500,
    )
    state = construct(compiled.persons, compiled.groups, full_limits(compiled))
    assert state.violations() == []
    assert check_assignment(compiled.problem, to_assignment(compiled, state)) == []
    assert state.objective() > 0


def test_the_objective_is_the_checkers_exact_total_with_units_pro_rata() -> None:
    from solver.validate import objective, satisfaction

    compiled = compile_problem(
        load_problem(
            {
                "format": "flexben.problem/v1",
                "currency": "EUR",
                "points_per_employee": 100,
                "budgets": [{"id": "total", "cap": 700}],
                "benefits": [{"id": "X", "cost": 100, "max_units": 3}, {"id": "Y", "cost": 300}],
                "employees": [
                    {"id": "E1", "group": "G", "preferences": {"X": {"points": 7, "units": 3}}},
                    {"id": "E2", "group": "G", "preferences": {"X": {"points": 4, "units": 2}}},
                    {"id": "E3", "group": "H", "preferences": {"Y": 9, "X": 2}},
                    {"id": "E4", "group": "H"},
                ],
            }
        )
    )
    state = construct(compiled.persons, compiled.groups, full_limits(compiled), maxmin=False)
    assignment = to_assignment(compiled, state)
    scores = satisfaction(compiled.problem, assignment)
    assert any(0 < score < 1 for score in scores.values())  # some wish only partly met
    assert {pid: state.satisfaction(pid) for pid in scores} == scores
    assert state.objective() == objective(compiled.problem, assignment)
