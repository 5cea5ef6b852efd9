"""The engine on small problems: every result is re-checked by the exact checker."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import pytest

from solver.engine import polish_again, solve
from solver.executors import InProcessExecutor
from solver.generate import generate
from solver.load import load_problem
from solver.types import Assignment, Line, Problem, SolveOptions, SolveOutcome
from solver.validate import check_assignment, minimum_satisfaction, objective


def _generated(*, employees: int, seed: int, groups: int = 3, **policy: Any) -> Problem:
    doc = generate(employees=employees, seed=seed, groups=groups)
    doc["policy"].update(policy)
    return load_problem(doc)


def _assert_valid(problem: Problem, outcome: SolveOutcome) -> None:
    assert outcome.status in ("optimal", "feasible"), outcome.notes
    assert check_assignment(problem, outcome.assignment) == []
    assert outcome.objective == pytest.approx(float(objective(problem, outcome.assignment)))
    assert outcome.bound is not None and outcome.bound >= outcome.objective - 1e-9


# max_rounds is the MILPs' node limit: 0 keeps to the heuristics (fast), >= 1 runs the
# per-group MILPs and the monolithic polish (HiGHS takes seconds even on small models).
@pytest.mark.parametrize(("seed", "rounds"), [(1, 1), (2, 0), (3, 0)])
def test_generated_problems_give_valid_allocations(seed: int, rounds: int) -> None:
    problem = _generated(employees=16 if rounds else 40, seed=seed, groups=2 if rounds else 3)
    outcome = solve(problem, SolveOptions(time_limit_s=30, max_rounds=rounds))
    _assert_valid(problem, outcome)
    assert outcome.solver.name.endswith("HiGHS")
    assert outcome.solver.version.startswith("highspy")
    assert outcome.objective is not None and outcome.objective > 0


def test_same_input_same_assignment() -> None:
    problem = _generated(employees=16, seed=11, groups=2)
    first = solve(problem, SolveOptions(time_limit_s=30, max_rounds=1))
    second = solve(problem, SolveOptions(time_limit_s=30, max_rounds=1))
    assert first.assignment == second.assignment
    assert first.objective == second.objective


def test_worker_processes_give_the_same_valid_allocation() -> None:
    problem = _generated(employees=90, seed=5, groups=4)
    single = solve(problem, SolveOptions(time_limit_s=60, processes=1, max_rounds=0))
    pooled = solve(problem, SolveOptions(time_limit_s=60, processes=2, max_rounds=0))
    _assert_valid(problem, pooled)
    assert pooled.assignment == single.assignment


def test_a_time_limit_too_short_for_anything_still_gives_a_valid_allocation() -> None:
    problem = _generated(employees=40, seed=4)
    outcome = solve(problem, SolveOptions(time_limit_s=0.001))
    assert outcome.status == "feasible"
    assert check_assignment(problem, outcome.assignment) == []
    assert outcome.solver.stopped_by == "time_limit"


def test_cbc_gives_a_valid_allocation() -> None:
    problem = _generated(employees=20, seed=6, groups=2)
    outcome = solve(problem, SolveOptions(time_limit_s=30, backend="cbc", max_rounds=1))
    _assert_valid(problem, outcome)
    assert outcome.solver.name.endswith("CBC")
    assert outcome.solver.version.startswith("CBC 2.")


def test_maxmin_minimum_is_at_least_the_utilitarian_minimum() -> None:
    utilitarian = _generated(employees=16, seed=8, groups=2, objective="utilitarian")
    maxmin = _generated(employees=16, seed=8, groups=2, objective="maxmin")
    options = SolveOptions(time_limit_s=30, max_rounds=1)
    low_u = minimum_satisfaction(utilitarian, solve(utilitarian, options).assignment)
    outcome = solve(maxmin, options)
    _assert_valid(maxmin, outcome)
    low_m = minimum_satisfaction(maxmin, outcome.assignment)
    assert low_m is not None and low_u is not None and low_m >= low_u
    assert any(note.startswith("min_satisfaction=") for note in outcome.notes)


def test_core_benefits_over_a_budget_are_infeasible_before_solving() -> None:
    doc = generate(employees=10, seed=1, groups=2)
    doc["budgets"] = [{"id": "total", "cap": 1000}]
    outcome = solve(load_problem(doc))
    assert outcome.status == "infeasible"
    assert outcome.assignment == {}
    assert [i.constraint for i in outcome.infeasibility] == ["budget:total"]


# --- exhaustive enumeration on a tiny instance with every family switched on ---------------


def _tiny(*, band: bool) -> dict[str, Any]:
    return {
        "format": "flexben.problem/v1",
        "currency": "EUR",
        "points_per_employee": 100,
        "policy": {"equity_tolerance": 0.1, "equity_absolute": 50 if band else 10**6},
        "budgets": [{"id": "total", "cap": 1400}, {"id": "perks", "cap": 500, "benefits": ["P"]}],
        "benefits": [
            {"id": "C", "cost": 100, "core": True},
            {"id": "D1", "cost": 150, "exclusive_group": "d"},
            {"id": "D2", "cost": 250, "exclusive_group": "d"},
            {"id": "L", "cost": 100, "max_units": 2},
            {"id": "P", "cost": 300, "capacity": 1},
            {"id": "F", "cost": 50, "requires": ["D2"]},
        ],
        "employees": [
            {
                "id": "E1",
                "group": "G",
                "allowance": 400,
                "preferences": {"D1": 30, "L": {"points": 40, "units": 2}, "P": 30},
            },
            {"id": "E2", "group": "G", "preferences": {"D2": 50, "F": 20, "P": 30}},
            {"id": "E3", "group": "G", "need": 1.5, "preferences": {"L": 60, "D1": 40}},
        ],
    }


def _brute_force(problem: Problem) -> Fraction:
    """Best objective over every unit choice (no top-ups in the tiny instance)."""
    choices: list[list[tuple[str, str, int]]] = []
    requires = {b.id: b.requires for b in problem.benefits}
    for employee in problem.employees:
        wanted = {b: p.units for b, p in employee.preferences}
        for benefit_id in sorted(wanted):  # anything else may only come as a requirement
            for required in requires[benefit_id]:
                wanted.setdefault(required, 1)
        choices.extend(
            [(employee.id, b, u) for u in range(units + 1)] for b, units in sorted(wanted.items())
        )
    core: Assignment = {
        (e.id, b.id): Line(1) for e in problem.employees for b in problem.benefits if b.core
    }
    best = Fraction(-1)
    for combo in itertools.product(*choices):
        assignment = dict(core)
        assignment.update({(e, b): Line(u) for e, b, u in combo if u > 0})
        if not check_assignment(problem, assignment):
            best = max(best, objective(problem, assignment))
    return best


@pytest.mark.parametrize("band", [True, False])
def test_tiny_instance_reaches_the_true_optimum(band: bool) -> None:
    problem = load_problem(_tiny(band=band))
    outcome = solve(problem)
    _assert_valid(problem, outcome)
    assert outcome.status == "optimal"
    assert Fraction(outcome.objective or 0).limit_denominator(1000) == _brute_force(problem)


class _LateReruns(InProcessExecutor):
    """Every task that starts from an earlier round's allocation comes back too late."""

    def map(self, fn: Any, tasks: Any, deadline: float) -> list[Any]:
        return [None if getattr(task, "start", None) is not None else fn(task) for task in tasks]


@pytest.mark.parametrize(
    ("objective", "note"),
    [
        ("utilitarian", "kept their heuristic allocation"),  # the MILP round came too late
        ("maxmin", "kept their starting allocation"),  # maxmin's re-run rounds came too late
    ],
)
def test_a_group_cut_off_by_the_clock_keeps_the_allocation_it_came_with(
    monkeypatch: pytest.MonkeyPatch, objective: str, note: str
) -> None:
    import solver.engine

    doc = generate(employees=300, seed=3, groups=4)
    doc["policy"]["objective"] = objective
    problem = load_problem(doc)
    monkeypatch.setattr(solver.engine, "open_executor", lambda *_a, **_k: _LateReruns())
    outcome = solve(problem, SolveOptions(time_limit_s=60, processes=1))
    assert outcome.status == "feasible" and not check_assignment(problem, outcome.assignment)
    assert any(note in text for text in outcome.notes)
    # The heuristic round's allocations survive (before: every group was emptied).
    assert outcome.objective is not None and outcome.objective > 0.5 * (outcome.bound or 0)


def test_above_the_lp_size_the_bound_is_lagrangian_and_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import solver.engine

    problem = _generated(employees=240, seed=5, groups=4)
    lp = solve(problem, SolveOptions(time_limit_s=60, processes=1, max_rounds=0))
    monkeypatch.setattr(solver.engine, "LP_SHARES_PERSONS", 100)  # the large-problem path
    alone = solve(problem, SolveOptions(time_limit_s=60, processes=1, max_rounds=0))
    full = solve(problem, SolveOptions(time_limit_s=60, processes=1))
    for outcome in (alone, full):
        _assert_valid(problem, outcome)
        assert outcome.bound is not None and outcome.objective is not None
        assert outcome.bound >= outcome.objective
        assert any("every person alone" in note for note in outcome.notes)
    # No rounds: the persons-alone bound is the bound; by LP duality it is at least the LP's.
    assert (
        alone.notes[-1] == "bound: Lagrangian relaxation under searched prices (every person alone)"
    )
    assert lp.bound is not None and alone.bound is not None and alone.bound >= lp.bound - 1e-6
    # With rounds, the time left tightens it (the Lagrangian dual's or the polish's bound).
    assert full.bound is not None and full.bound <= alone.bound + 1e-6
    assert full.notes[-1] != alone.notes[-1]


def test_the_outcome_carries_the_figures_its_check_computed_on_its_assignment() -> None:
    from solver.validate import Figures

    problem = _generated(employees=40, seed=4)
    outcome = solve(problem, SolveOptions(time_limit_s=30, max_rounds=0))
    _assert_valid(problem, outcome)
    assert outcome.checked and outcome.figures is not None
    assert outcome.figures == Figures.of(problem, outcome.assignment)


def test_without_time_for_it_in_the_group_round_the_thorough_search_runs_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import solver.engine

    problem = load_problem(generate(employees=300, seed=2, groups=3, family_name="favourite"))
    options = SolveOptions(time_limit_s=60, processes=1, max_rounds=0)
    thorough = solve(problem, options)  # 60 s for 300: the group round's search is thorough
    monkeypatch.setattr(solver.engine, "THOROUGH_S_PER_PERSON", 1.0)  # 0.2 s a person: not
    after = solve(problem, options)
    monkeypatch.setattr(solver.engine, "thorough_round", lambda run, shares, spec, plain: plain)
    plain = solve(problem, options)
    for outcome in (thorough, after, plain):
        _assert_valid(problem, outcome)
    [note] = [n for n in after.notes if n.startswith("thorough level search (")]
    assert "0 cut off by the time limit" in note
    # Each group keeps the better of its two allocations: never below the plain round.
    assert plain.objective is not None and after.objective is not None
    assert after.objective > plain.objective
    assert not any(n.startswith("thorough level search") for n in thorough.notes + plain.notes)


@pytest.mark.parametrize(
    ("rounds", "expected"),
    [
        ([(330, 50)], 1650),  # 250 left at 50 / 330 a node
        ([(330, 150)], 0),  # 330: no more nodes than the last, it would repeat that search
        ([(330, 149)], 334),
        ([(330, 300)], 0),  # the budget spent
        ([(330, 0)], 0),  # not measured (CBC)
        # between the two: 0.05 a node, and the root (the line at 0 nodes) costs 30 again
        ([(200, 40), (1000, 80)], 3000),  # (300 - 120 - 30) / 0.05
        ([(200, 40), (1000, 130)], 0),  # 0.1125 a node, root 17.5: 1,000, not more
        ([(200, 60), (1000, 50)], 3800),  # less work for more nodes: the last's 0.05 a node
    ],
)
def test_another_polish_gets_the_nodes_the_work_left_pays_for(
    rounds: list[tuple[int, int]], expected: int
) -> None:
    assert polish_again(rounds, 300.0) == expected


@pytest.mark.slow
def test_a_polish_its_nodes_stopped_early_runs_again_and_gains(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """favourite's nodes are cheap: its first polish (330 nodes at 200 employees) gains and
    stops by its node limit on a third of the work budget (30 s), so a second one runs from
    its allocation and gains again; decided by HiGHS's work count, not the clock, so two
    solves give the same allocation."""
    import solver.engine

    problem = load_problem(generate(employees=200, seed=1, family_name="favourite"))
    options = SolveOptions(time_limit_s=30, processes=1)
    again = solve(problem, options)
    assert solve(problem, options).assignment == again.assignment
    monkeypatch.setattr(solver.engine, "polish_again", lambda rounds, budget: 0)
    once = solve(problem, options)
    for outcome in (again, once):
        _assert_valid(problem, outcome)
    assert any(note.startswith("polish again with") for note in again.notes)
    assert not any(note.startswith("polish again") for note in once.notes)
    assert once.objective is not None and again.objective is not None
    assert again.objective > once.objective
