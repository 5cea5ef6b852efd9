"""Budget sweeps: the budget <-> satisfaction curve and the price of fairness.

Warm starts. Raising one budget's cap only loosens a constraint, so the allocation found at
cap c is still valid at c' > c. The sweep solves the lowest cap with the full engine, then
each higher cap by `warm_solve`, the engine's own pipeline with a warm start
(`solver.engine.WarmStart`; one executor serves every step): load the previous allocation
(checked exactly), hand out the extra budget with the exact greedy fill, and, on problems
small enough for the engine's monolithic polish, improve it with the whole MILP warm-started
from it (which proves optimality on small cases) for at most a quarter of the time limit. On
larger problems, each peer group keeps what it uses and gets part of what the higher cap
frees (in proportion to its unmet demand); of the groups that got more, those that got the
most are re-solved by the engine's node-limited group MILP warm-started from their
allocation, up to a work limit (the engine's WARM_MILP_GROUP_PERSONS persons,
WARM_MILP_PERSONS_SHARE of all persons per step: the group MILPs dominate a cold solve's
time); the rest is handed out by the greedy fill. That warm allocation is then compared with
the engine run without its MILPs (LP relaxation shares, group heuristics, fill: about a
tenth of a cold solve), which escapes dead ends of the previous allocation, and the better
is kept.
bench/curve.py prints the sweep and independent cold solves side by side.
A step never returns less than its start, so the curve never goes down. On small problems,
a warm step that gains nothing from the higher cap (without proving optimality) may sit in
a dead end of the previous allocation: that step is solved cold once more and the better
kept; when the cold solve gains nothing either, the cap no longer binds and later steps
stay warm.

Marginal satisfaction per 1,000 currency units is a finite difference between neighbouring
steps (forward for the first step, backward for the others): Δ total satisfaction ÷ Δ cap
× 100,000 minor units. It is the budget's shadow price measured on the integer allocations
actually returned, not an LP dual (the LP dual of the relaxation overstates what whole
benefits can buy).

Price of fairness: total satisfaction without the equity band minus with it, as a percent
of the total without it, at one cap (the band is lifted by an absolute allowance no value
can reach; the unbanded solve is warm-started from the banded allocation, which stays
valid, so the price is never negative).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from solver.candidates import compile_problem
from solver.engine import POLISH_PERSONS, WarmStart, full_limits, solve
from solver.executors import Executor, open_executor
from solver.state import AllocationState
from solver.types import (
    Assignment,
    Budget,
    PeerGroup,
    Policy,
    Problem,
    SolveOptions,
    SolveOutcome,
)
from solver.validate import employer_cost

MINOR_UNITS_PER_1000 = 100_000  # 1,000 currency units in minor units (2-decimal currencies)

StepCallback = Callable[[int, dict[str, Any]], None]


def with_cap(problem: Problem, budget_id: str, cap: int) -> Problem:
    """`problem` with budget `budget_id` capped at `cap` (ValueError when unknown)."""
    if all(budget.id != budget_id for budget in problem.budgets):
        known = ", ".join(budget.id for budget in problem.budgets) or "none"
        raise ValueError(f"budget_id: no budget {budget_id!r} in the problem (budgets: {known})")
    budgets = tuple(
        dataclasses.replace(budget, cap=cap) if budget.id == budget_id else budget
        for budget in problem.budgets
    )
    return dataclasses.replace(problem, budgets=budgets)


def without_equity_band(problem: Problem) -> Problem:
    """`problem` with an absolute band allowance no employer-funded value can reach."""
    most = sum(benefit.cost * benefit.max_units for benefit in problem.benefits) + 1
    smallest_need = min((e.need for e in problem.employees), default=Fraction(1))
    unreachable = math.ceil(most / smallest_need) + 1
    policy = Policy(problem.policy.objective, Fraction(0), unreachable)
    groups = tuple(PeerGroup(id=group.id) for group in problem.peer_groups)
    return dataclasses.replace(problem, policy=policy, peer_groups=groups)


def warm_solve(
    problem: Problem,
    start: Assignment,
    options: SolveOptions,
    *,
    whole_model_persons: int = POLISH_PERSONS,
    executor: Executor | None = None,
) -> SolveOutcome:
    """Solve `problem` starting from `start`, an allocation valid for it: the engine's
    pipeline with a warm start (`solver.engine.WarmStart`). Up to `whole_model_persons`
    persons the whole MILP polishes the filled start; above, the peer groups that get part
    of the extra resources are re-solved, warm-started. A cold solve when `start` is not
    valid for `problem`."""
    warm = WarmStart(start, polish_persons=whole_model_persons)
    return solve(problem, options, warm=warm, executor=executor)


def _satisfactions(problem: Problem, assignment: Assignment) -> list[Fraction]:
    compiled = compile_problem(problem)
    state = AllocationState(compiled.persons, compiled.groups, full_limits(compiled))
    core = {b.id for b in problem.benefits if b.core}
    state.load(
        (person, benefit, line.units, line.contribution)
        for (person, benefit), line in assignment.items()
        if benefit not in core
    )
    return [state.satisfaction(p.id) for p in compiled.persons if p.participant]


def budget_used(problem: Problem, budget: Budget, assignment: Assignment) -> int:
    """Employer cost counted against `budget` (core included), minor units."""
    benefits = {benefit.id: benefit for benefit in problem.benefits}
    groups = {employee.id: employee.group for employee in problem.employees}
    return sum(
        employer_cost(benefits[benefit], line)
        for (employee, benefit), line in assignment.items()
        if (budget.groups is None or groups[employee] in budget.groups)
        and (budget.benefits is None or benefit in budget.benefits)
    )


def step_figures(
    problem: Problem, budget_id: str, outcome: SolveOutcome, seconds: float
) -> dict[str, Any]:
    """One point of the curve (JSON-ready; money in int minor units)."""
    budget = next(b for b in problem.budgets if b.id == budget_id)
    if outcome.status not in ("optimal", "feasible"):
        return {"cap": budget.cap, "status": outcome.status, "seconds": round(seconds, 3)}
    scores = _satisfactions(problem, outcome.assignment)
    total = sum(scores, Fraction(0))
    benefits = {benefit.id: benefit for benefit in problem.benefits}
    return {
        "cap": budget.cap,
        "status": outcome.status,
        "cost_used": budget_used(problem, budget, outcome.assignment),
        "total_employer_cost": sum(
            employer_cost(benefits[b], line) for (_, b), line in outcome.assignment.items()
        ),
        "total_satisfaction": round(float(total), 6),
        "mean_satisfaction": round(float(total / len(scores)), 6) if scores else None,
        "min_satisfaction": round(float(min(scores)), 6) if scores else None,
        "participants": len(scores),
        "bound": None if outcome.bound is None else round(outcome.bound, 6),
        "seconds": round(seconds, 3),
        "solver": outcome.solver.name,
    }


def _add_marginals(steps: list[dict[str, Any]], per: int) -> None:
    """Marginal satisfaction per 1,000 currency units by finite differences."""
    for index, step in enumerate(steps):
        other = steps[index + 1] if index == 0 else steps[index - 1]
        if len(steps) < 2 or "total_satisfaction" not in step or "total_satisfaction" not in other:
            step["marginal_satisfaction_per_1000"] = None
            continue
        low, high = (step, other) if index == 0 else (other, step)
        delta_cap = high["cap"] - low["cap"]
        delta = high["total_satisfaction"] - low["total_satisfaction"]
        step["marginal_satisfaction_per_1000"] = (
            round(delta / delta_cap * per, 6) if delta_cap else None
        )


def sweep_caps(cap_from: int, cap_to: int, steps: int) -> list[int]:
    """`steps` integer caps from `cap_from` to `cap_to`, both included, evenly spaced."""
    if steps < 2 or cap_to <= cap_from:
        raise ValueError("need steps >= 2 and cap_to > cap_from")
    return [cap_from + (cap_to - cap_from) * index // (steps - 1) for index in range(steps)]


def sweep_budget(
    problem: Problem,
    budget_id: str,
    caps: Sequence[int],
    options: SolveOptions,
    on_step: StepCallback | None = None,
    *,
    minor_units_per_1000: int = MINOR_UNITS_PER_1000,
) -> list[dict[str, Any]]:
    """The curve: one point per cap (ascending), each step warm-started from the last.

    `minor_units_per_1000`: 1,000 currency units in minor units (100,000 for EUR)."""
    with _sweep_executor(problem, options) as executor:
        steps = _sweep(problem, budget_id, sorted(set(caps)), options, on_step, executor)
    _add_marginals(steps, minor_units_per_1000)
    return steps


def _sweep_executor(problem: Problem, options: SolveOptions) -> Executor:
    """One executor (one pool of worker processes, one Ray connection) for every step."""
    return open_executor(
        options.executor,
        processes=options.processes,
        ray_address=options.ray_address,
        persons=len(problem.employees),
    )


def _sweep(  # noqa: PLR0917 - private, one call site
    problem: Problem,
    budget_id: str,
    ordered: list[int],
    options: SolveOptions,
    on_step: StepCallback | None,
    executor: Executor,
) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    previous: SolveOutcome | None = None
    saturated = False  # a cold re-solve found nothing better: the cap no longer binds
    for index, cap in enumerate(ordered):
        capped = with_cap(problem, budget_id, cap)
        started = time.monotonic()
        how = "cold"
        if previous is None:
            outcome = solve(capped, options, executor=executor)
        else:
            warm = warm_solve(capped, previous.assignment, options, executor=executor)
            outcome, how = warm, "warm"
            # Large problems: the warm step already compared a fresh (MILP-free) solve.
            small = len(capped.employees) <= POLISH_PERSONS
            if small and not saturated and _stalled(outcome, previous, options):
                cold = solve(capped, options, executor=executor)
                saturated = not _gained(cold, outcome, options)
                how = "warm+cold" if not saturated else "warm, cold checked"
                if not saturated:
                    outcome = cold
        step = step_figures(capped, budget_id, outcome, time.monotonic() - started)
        step["warm_started"] = previous is not None
        step["method"] = how
        steps.append(step)
        if outcome.status in ("optimal", "feasible"):
            previous = outcome
        if on_step is not None:
            on_step(index, step)
    return steps


def _objective(outcome: SolveOutcome) -> float | None:
    return outcome.objective if outcome.status in ("optimal", "feasible") else None


def _gained(candidate: SolveOutcome, incumbent: SolveOutcome, options: SolveOptions) -> bool:
    """`candidate` is better than `incumbent` by more than the optimality gap."""
    new, old = _objective(candidate), _objective(incumbent)
    if new is None:
        return False
    return old is None or new > old + options.gap * max(abs(old), 1.0)


def _stalled(warm: SolveOutcome, previous: SolveOutcome, options: SolveOptions) -> bool:
    """A warm step that gained nothing from a higher cap, without proving it optimal: the
    previous allocation may be a dead end, worth one cold solve."""
    return warm.status != "optimal" and not _gained(warm, previous, options)


def price_of_fairness(problem: Problem, options: SolveOptions) -> dict[str, Any]:
    """Total satisfaction with and without the equity band, and the loss in percent."""
    with _sweep_executor(problem, options) as executor:
        banded = solve(problem, options, executor=executor)
        if banded.status not in ("optimal", "feasible"):
            return {
                "status": banded.status,
                "with_band": None,
                "without_band": None,
                "percent": None,
            }
        unbanded = without_equity_band(problem)
        free = warm_solve(unbanded, banded.assignment, options, executor=executor)
    with_band = sum(_satisfactions(problem, banded.assignment), Fraction(0))
    without = sum(_satisfactions(problem, free.assignment), Fraction(0))
    without = max(without, with_band)  # warm start: the unbanded optimum is never lower
    percent = float((without - with_band) / without * 100) if without else 0.0
    return {
        "status": "optimal" if banded.status == free.status == "optimal" else "feasible",
        "with_band": round(float(with_band), 6),
        "without_band": round(float(without), 6),
        "percent": round(percent, 4),
        "cap_of_budgets": {budget.id: budget.cap for budget in problem.budgets},
    }
