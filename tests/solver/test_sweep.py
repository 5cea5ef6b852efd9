"""Budget sweeps: warm starts, monotone curves, finite-difference marginals, price of
fairness."""

from __future__ import annotations

import pytest

from solver.engine import solve
from solver.load import load_problem
from solver.sweep import (
    price_of_fairness,
    sweep_budget,
    sweep_caps,
    warm_solve,
    with_cap,
    without_equity_band,
)
from solver.types import SolveOptions
from solver.validate import check_assignment
from tests.solver.factories import benefit, employee, problem_doc
from tests.solver.tiny import tiny_doc

OPTIONS = SolveOptions(time_limit_s=30)


def small_problem(*, cap: int = 10):
    """Five people in two groups wanting more than a `cap` budget buys."""
    return load_problem(
        problem_doc(
            benefits=[
                benefit("A", cost=3),
                benefit("B", cost=2),
                benefit("C", cost=4, max_units=2),
                benefit("CORE", cost=1, core=True),
            ],
            employees=[
                employee("E1", group="G1", preferences={"A": 50, "B": 50}),
                employee("E2", group="G1", preferences={"C": {"points": 60, "units": 2}, "B": 40}),
                employee("E3", group="G1", preferences={"A": 30, "C": 70}),
                employee("E4", group="G2", preferences={"B": 100}),
                employee("E5", group="G2", preferences={"A": 20, "C": 80}),
            ],
            budgets=[{"id": "total", "cap": cap}],
            policy={"objective": "utilitarian", "equity_tolerance": 0.5, "equity_absolute": 1},
        )
    )


def test_sweep_caps_are_even_and_inclusive() -> None:
    assert sweep_caps(100, 200, 5) == [100, 125, 150, 175, 200]
    assert sweep_caps(0, 10, 3) == [0, 5, 10]
    with pytest.raises(ValueError, match="steps"):
        sweep_caps(10, 10, 3)


def test_with_cap_changes_only_that_budget_and_names_unknown_ids() -> None:
    problem = small_problem()
    assert [b.cap for b in with_cap(problem, "total", 99).budgets] == [99]
    with pytest.raises(ValueError, match=r"no budget 'nope'.*budgets: total"):
        with_cap(problem, "nope", 1)


def test_curve_is_monotone_warm_started_and_optimal_on_a_small_case() -> None:
    problem = small_problem()
    seen: list[int] = []
    steps = sweep_budget(
        problem, "total", [5, 10, 15, 20, 30], OPTIONS, lambda i, _step: seen.append(i)
    )
    assert seen == [0, 1, 2, 3, 4]
    assert [s["warm_started"] for s in steps] == [False, True, True, True, True]
    assert [s["method"] for s in steps] == ["cold", "warm", "warm", "warm", "warm"]
    totals = [s["total_satisfaction"] for s in steps]
    assert totals == sorted(totals) and totals[-1] > totals[0]
    for step in steps:
        assert step["cost_used"] <= step["cap"]
        # The warm-started optimum equals a cold solve's at the same cap.
        cold = solve(with_cap(problem, "total", step["cap"]), OPTIONS)
        assert step["status"] == "optimal" and cold.status == "optimal"
        assert step["total_satisfaction"] == pytest.approx(cold.objective, abs=1e-6)
    first, second = steps[0], steps[1]
    expected = (second["total_satisfaction"] - first["total_satisfaction"]) / 5 * 100_000
    assert first["marginal_satisfaction_per_1000"] == pytest.approx(expected, abs=1e-3)
    assert second["marginal_satisfaction_per_1000"] == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("seed", range(6))
def test_warm_solve_never_loses_its_start_and_stays_valid(seed: int) -> None:
    problem = load_problem(tiny_doc(seed=seed, family="all", employees=5))
    start = solve(problem, OPTIONS)
    assert start.status in ("optimal", "feasible")
    budgets = problem.budgets
    looser = with_cap(problem, budgets[0].id, budgets[0].cap + 5) if budgets else problem
    warm = warm_solve(looser, start.assignment, OPTIONS)
    assert check_assignment(looser, warm.assignment) == []
    assert warm.objective is not None and start.objective is not None
    assert warm.objective >= start.objective - 1e-9


def test_warm_solve_from_an_invalid_start_falls_back_to_a_cold_solve() -> None:
    problem = small_problem(cap=10)
    generous = solve(with_cap(problem, "total", 100), OPTIONS)
    warm = warm_solve(problem, generous.assignment, OPTIONS)
    assert check_assignment(problem, warm.assignment) == []
    assert warm.solver.name.startswith("flexben-engine")


def test_price_of_fairness_of_a_band_that_forbids_everything() -> None:
    # Tolerance 0, absolute 0: values must all equal the mean, which no allocation of
    # different costs achieves, so the band costs 100% of the satisfaction.
    problem = load_problem(
        problem_doc(
            benefits=[benefit("A", cost=100), benefit("B", cost=50)],
            employees=[
                employee("E1", preferences={"A": 10}),
                employee("E2", preferences={"B": 10}),
            ],
            policy={"objective": "utilitarian", "equity_tolerance": 0, "equity_absolute": 0},
        )
    )
    price = price_of_fairness(problem, OPTIONS)
    assert price["with_band"] == 0 and price["without_band"] == 2
    assert price["percent"] == 100
    assert without_equity_band(problem).policy.equity_absolute > 150


def test_price_of_fairness_is_zero_when_the_band_does_not_bind() -> None:
    problem = small_problem(cap=1000)
    price = price_of_fairness(without_equity_band(problem), OPTIONS)
    assert price["percent"] == 0 and price["with_band"] == price["without_band"]


def test_group_shares_keep_current_use_and_hand_out_what_is_left() -> None:
    from solver.candidates import compile_problem
    from solver.decompose import warm_group_shares
    from solver.engine import full_limits
    from solver.state import AllocationState

    problem = small_problem(cap=1000)
    start = solve(with_cap(problem, "total", 10), OPTIONS)
    compiled = compile_problem(problem)
    state = AllocationState(compiled.persons, compiled.groups, full_limits(compiled))
    state.load(
        (p, b, line.units, line.contribution)
        for (p, b), line in start.assignment.items()
        if b != "CORE"
    )
    shares, grew = warm_group_shares(compiled, state)
    available = 1000 - 5  # the cap minus the core benefit of five people
    given = sum(dict(shares[g].budgets)[scope] for g in shares for scope in compiled.budgets)
    assert given <= available
    for group, limits in shares.items():
        used = sum(
            units * next(c.cost for c in p.candidates if c.benefit == b) - paid
            for (pid, b), (units, paid) in state.lines().items()
            for p in compiled.persons
            if p.id == pid and p.group == group
        )
        assert next(iter(dict(limits.budgets).values())) >= used
    assert set(grew) == {"G1", "G2"} and all(extra > 0 for extra in grew.values())


@pytest.mark.parametrize("seed", range(4))
def test_warm_solve_by_groups_never_loses_its_start(seed: int) -> None:
    problem = load_problem(tiny_doc(seed=seed, family="all", employees=5))
    start = solve(problem, OPTIONS)
    budgets = problem.budgets
    looser = with_cap(problem, budgets[0].id, budgets[0].cap + 7) if budgets else problem
    warm = warm_solve(looser, start.assignment, OPTIONS, whole_model_persons=0)
    assert any(note.startswith("warm start:") for note in warm.notes)
    assert check_assignment(looser, warm.assignment) == []
    assert warm.objective is not None and start.objective is not None
    assert warm.objective >= start.objective - 1e-9


def test_warm_solve_by_groups_uses_a_higher_cap() -> None:
    problem = small_problem()
    start = solve(with_cap(problem, "total", 8), OPTIONS)
    warm = warm_solve(
        with_cap(problem, "total", 30), start.assignment, OPTIONS, whole_model_persons=0
    )
    cold = solve(with_cap(problem, "total", 30), OPTIONS)
    assert warm.objective is not None and start.objective is not None
    assert warm.objective > start.objective
    assert cold.objective is not None and warm.objective == pytest.approx(cold.objective, abs=1e-6)


def _outcome(status: str, objective: float | None):
    from solver.types import SolveOutcome, SolverInfo

    return SolveOutcome(
        status=status,  # type: ignore[arg-type]
        assignment={},
        objective=objective,
        bound=None,
        solver=SolverInfo(name="t", version="1", seconds=0.0),
    )


def test_a_warm_step_that_gains_nothing_without_proof_is_stalled() -> None:
    from solver.sweep import _gained, _stalled

    previous = _outcome("feasible", 10.0)
    assert _stalled(_outcome("feasible", 10.0), previous, OPTIONS)
    assert not _stalled(_outcome("optimal", 10.0), previous, OPTIONS)  # proven: nothing to gain
    assert not _stalled(_outcome("feasible", 11.0), previous, OPTIONS)
    assert _gained(_outcome("feasible", 12.0), _outcome("feasible", 11.0), OPTIONS)
    assert not _gained(_outcome("feasible", 11.0000001), _outcome("feasible", 11.0), OPTIONS)
    assert not _gained(_outcome("infeasible", None), previous, OPTIONS)
