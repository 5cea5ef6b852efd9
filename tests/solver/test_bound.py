"""The Lagrangian bound (solver.bound): valid against brute force, never worse than its start,
the same on any number of processes, and never below what the engine achieves."""

from __future__ import annotations

import time
from typing import Any

import pytest

from solver.bound import Lagrangian, Proven, complete, lagrangian_bound, priced_value
from solver.candidates import Compiled, by_group, compile_problem
from solver.decompose import Prices, RelaxationTask, priced_usage, solve_relaxation
from solver.engine import full_limits, solve
from solver.executors import Executor, InProcessExecutor, ProcessExecutor, Stored
from solver.families import FAMILIES
from solver.generate import generate
from solver.load import load_problem
from solver.model import CONTRIBUTION_PENALTY
from solver.types import Problem, SolveOptions
from tests.solver.brute_force import optimum
from tests.solver.tiny import tiny_doc

FLOAT_NOISE = 1e-6


def _tight_doc(*, family: str, seed: int, employees: int) -> dict[str, Any]:
    """A tiny problem of `family` whose benefit B has one place (a binding capacity)."""
    doc = tiny_doc(seed=seed, family=family, employees=employees)
    for item in doc["benefits"]:
        if item["id"] == "B":
            item["capacity"] = 1
    return doc


def _dual(compiled: Compiled, executor: Executor) -> Lagrangian:
    members = {g: Stored(tuple(m)) for g, m in sorted(by_group(compiled.persons).items())}
    return Lagrangian(compiled, members, executor, "highs", time.monotonic() + 120, {})


def _slack(compiled: Compiled) -> float:
    return CONTRIBUTION_PENALTY * sum(1 for p in compiled.persons if p.top_up_limit > 0)


def _lp(compiled: Compiled) -> tuple[float, Prices]:
    relaxation = solve_relaxation(RelaxationTask(compiled, full_limits(compiled), "highs", 60))
    assert relaxation.objective is not None and relaxation.duals is not None
    return relaxation.objective, relaxation.duals


def _bound(proven: Proven) -> float:
    assert proven.bound is not None and not proven.cut_off
    return proven.bound


# Tiny cases where budgets or the capacity bind in the LP (a positive dual on a shared row).
TIGHT = [
    (family, seed, employees)
    for family, seeds in (("budget", (0, 1, 2, 4)), ("core", (0, 1, 2, 4)), ("top_up", (1, 2, 4)))
    for seed in seeds
    for employees in (4, 5)
]


@pytest.mark.parametrize(("family", "seed", "employees"), TIGHT)
def test_bound_lies_between_the_true_optimum_and_the_lp(
    family: str, seed: int, employees: int
) -> None:
    problem = load_problem(_tight_doc(family=family, seed=seed, employees=employees))
    compiled = compile_problem(problem)
    best = float(optimum(problem).best_total)
    lp, duals = _lp(compiled)
    assert any(price > 0 for _, price in (*duals.budgets, *duals.capacities))
    dual = _dual(compiled, InProcessExecutor())
    from_lp = _bound(lagrangian_bound(dual, duals, best, steps=0)) + _slack(compiled)
    _, greedy = priced_usage(compiled)
    from_greedy = _bound(lagrangian_bound(dual, greedy, best, steps=4)) + _slack(compiled)
    assert from_lp >= best - FLOAT_NOISE
    assert from_greedy >= best - FLOAT_NOISE
    assert from_lp <= lp + _slack(compiled) + FLOAT_NOISE


def test_integer_rounds_close_the_lp_gap_of_the_allowance() -> None:
    # Each wants A (20 points) and B (5), both costing 3, with an allowance of 4: one of them
    # only. Both get A (6 of the budget of 7); the LP adds a third of B for someone (1.6667).
    # The integer groups under the LP's duals prove that again; one step down proves 1.6.
    doc = tiny_doc(seed=0, family="plain", employees=2)
    doc["benefits"] = [{"id": "A", "cost": 3}, {"id": "B", "cost": 3}]
    doc["budgets"] = [{"id": "total", "cap": 7}]
    for person in doc["employees"]:
        person.update(allowance=4, preferences={"A": 20, "B": 5})
        person.pop("eligible", None)
    problem = load_problem(doc)
    compiled = compile_problem(problem)
    best = float(optimum(problem).best_total)
    lp, duals = _lp(compiled)
    dual = _dual(compiled, InProcessExecutor())
    at_duals = _bound(lagrangian_bound(dual, duals, best, steps=0, rounds=1))
    stepped = _bound(lagrangian_bound(dual, duals, best, steps=0, rounds=2))
    assert (best, lp) == (pytest.approx(1.6), pytest.approx(1.6 + 0.2 / 3))
    assert at_duals == pytest.approx(lp)
    assert stepped == pytest.approx(best)


def _generated(family: str, employees: int) -> Problem:
    return load_problem(generate(employees=employees, seed=3, family_name=family))


@pytest.mark.parametrize("family", ["default", "tight-budget", "scarce"])
def test_a_subgradient_step_never_reports_a_worse_bound_than_its_start(family: str) -> None:
    compiled = compile_problem(_generated(family, 80))
    dual = _dual(compiled, InProcessExecutor())
    _, greedy = priced_usage(compiled)
    start = priced_value(dual, complete(compiled, greedy), milp=False)
    assert start is not None
    for steps in (1, 2, 4):
        proven = _bound(lagrangian_bound(dual, greedy, 0.8 * start, steps=steps, rounds=0))
        assert proven <= start + FLOAT_NOISE
        assert _bound(lagrangian_bound(dual, greedy, 0.8 * start, steps=steps)) <= proven


def test_the_bound_is_the_same_with_one_and_two_processes() -> None:
    compiled = compile_problem(_generated("mixed", 150))
    _, greedy = priced_usage(compiled)
    proven: list[Proven] = []
    for processes in (1, 2):
        with ProcessExecutor(processes) as executor:
            proven.append(lagrangian_bound(_dual(compiled, executor), greedy, 100.0, steps=3))
    with InProcessExecutor() as executor:
        proven.append(lagrangian_bound(_dual(compiled, executor), greedy, 100.0, steps=3))
    assert proven[0].bound is not None
    assert len({(p.bound, p.kind, p.cut_off) for p in proven}) == 1


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_engine_never_reports_a_bound_below_its_objective(family: str) -> None:
    problem = _generated(family, 70)
    outcome = solve(problem, SolveOptions(time_limit_s=60, processes=1, max_rounds=1))
    assert outcome.objective is not None and outcome.bound is not None
    assert outcome.bound >= outcome.objective - FLOAT_NOISE
    assert any(note.startswith("bound: ") for note in outcome.notes)


@pytest.mark.slow
def test_the_engine_proves_a_lagrangian_bound_below_the_lp() -> None:
    problem = _generated("favourite", 400)
    outcome = solve(problem, SolveOptions(time_limit_s=60, processes=2, max_rounds=1))
    assert any(note.startswith("bound: Lagrangian dual (per-group MILPs") for note in outcome.notes)
    lp, _ = _lp(compile_problem(problem))
    assert outcome.objective is not None and outcome.bound is not None
    assert outcome.objective - FLOAT_NOISE <= outcome.bound < lp


@pytest.mark.parametrize(("family", "seed", "employees"), TIGHT[:6])
def test_a_round_the_clock_cuts_off_still_bounds_with_persons_alone(
    family: str, seed: int, employees: int
) -> None:
    problem = load_problem(_tight_doc(family=family, seed=seed, employees=employees))
    compiled = compile_problem(problem)
    _, duals = _lp(compiled)
    members = {g: Stored(tuple(m)) for g, m in sorted(by_group(compiled.persons).items())}
    late = Lagrangian(compiled, members, InProcessExecutor(), "highs", time.monotonic() - 1, {})
    proven = lagrangian_bound(late, duals, 0.0, steps=0)
    assert proven.cut_off and proven.bound is not None
    assert "persons alone" in proven.kind
    assert proven.bound + _slack(compiled) >= float(optimum(problem).best_total) - FLOAT_NOISE
