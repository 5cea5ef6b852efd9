"""Budget sweeps: the budget <-> satisfaction curve and the price of fairness.

Warm starts. Raising one budget's cap only loosens a constraint, so the allocation found at
cap c is still valid at c' > c. The sweep solves the lowest cap with the full engine, then
each higher cap by `warm_solve`: load the previous allocation (checked exactly), hand out
the extra budget with the exact greedy fill, and, on problems small enough for the
engine's monolithic polish, improve it with the whole MILP warm-started from it (which
proves optimality on small cases) for at most a quarter of the time limit. On larger
problems, each peer group keeps what it uses and gets part of what the higher cap frees (in
proportion to its unmet demand); of the groups that got more, those that got the most are
re-solved by the engine's node-limited group MILP warm-started from their allocation, up to
a work limit (groups of at most WARM_MILP_GROUP_PERSONS persons, WARM_MILP_PERSONS_SHARE of
all persons per step: the group MILPs dominate a cold solve's time); the rest is handed out
by the greedy fill. That warm allocation is then compared with the engine run without its
MILPs (LP relaxation shares, group heuristics, fill: about a tenth of a cold solve), which
escapes dead ends of the previous allocation, and the better is kept.
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

from solver.backends import BackendName, resolve_backend
from solver.candidates import BudgetScope, Compiled, GroupRule, Person, by_group, compile_problem
from solver.decompose import (
    GroupTask,
    Line,
    WholeTask,
    group_usage,
    run_tasks,
    run_whole,
)
from solver.engine import (
    DEFAULT_NODE_LIMIT,
    FLOOR_SAFETY,
    POLISH_NODES_PER_GROUP_NODE,
    POLISH_PERSONS,
    full_limits,
    solve,
    to_assignment,
)
from solver.heuristic import fill
from solver.model import Limits, ObjectiveSpec
from solver.state import AllocationState
from solver.types import (
    Assignment,
    Budget,
    PeerGroup,
    Policy,
    Problem,
    SolveOptions,
    SolveOutcome,
    SolverInfo,
)
from solver.validate import check_assignment, employer_cost

# A warm step's MILP polish gets this share of the time limit: it starts from a good
# allocation, and a sweep of N steps should cost well under N cold solves.
WARM_POLISH_SHARE = 0.25
# Large problems: the warm-started group MILPs stop by this share of the time limit (the
# groups that got the most of the freed budget go first).
WARM_GROUPS_SHARE = 0.5
# Large problems: a warm step re-solves by MILP only groups of at most this many persons, up
# to this share of all persons (a work limit: a 10-step curve must cost well under 10 solves).
WARM_MILP_GROUP_PERSONS = 80
WARM_MILP_PERSONS_SHARE = 0.1
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
) -> SolveOutcome:
    """Solve `problem` starting from `start`, an allocation valid for it.

    Up to `whole_model_persons` persons the whole MILP polishes the filled start; above,
    the peer groups that get part of the extra resources are re-solved, warm-started.
    Falls back to the full engine when `start` is not valid for `problem`."""
    started = time.monotonic()
    if check_assignment(problem, start):
        return solve(problem, options)
    backend = resolve_backend(options.backend)
    compiled = compile_problem(problem)
    limits = full_limits(compiled)
    state = AllocationState(compiled.persons, compiled.groups, limits)
    core = {b.id for b in problem.benefits if b.core}
    state.load(
        (person, benefit, line.units, line.contribution)
        for (person, benefit), line in start.items()
        if benefit not in core
    )
    maxmin = problem.policy.objective == "maxmin"
    floor = state.min_satisfaction() if maxmin else None
    spec = ObjectiveSpec(
        problem.policy.objective,
        "total",
        floor=None if floor is None else float(floor) - FLOOR_SAFETY,
    )
    node_limit = options.max_rounds if options.max_rounds is not None else DEFAULT_NODE_LIMIT
    deadline = started + options.time_limit_s * WARM_POLISH_SHARE
    bound: float | None = None
    stopped_by = "completed"
    small = len(compiled.persons) <= whole_model_persons
    if not small and node_limit > 0:
        state = _improve_groups(
            compiled,
            state,
            spec=spec,
            backend=backend,
            node_limit=node_limit,
            options=options,
            deadline=started + options.time_limit_s * WARM_GROUPS_SHARE,
        )
    fill(state)
    if not small:
        lite = _lite_cold(problem, compiled, limits, options)
        if lite is not None and _better_valid(lite, state, floor):
            state = lite
    if small and node_limit > 0:
        task = WholeTask(
            persons=compiled.persons,
            groups=compiled.groups,
            limits=limits,
            objective=spec,
            backend=backend,
            # The engine's polish budget: node limit x nodes per group node.
            node_limit=max(1, node_limit * POLISH_NODES_PER_GROUP_NODE),
            gap=options.gap,
            start=tuple((p, b, u, w) for (p, b), (u, w) in state.lines().items()),
        )
        result = run_whole(task, deadline)
        if result is None:
            stopped_by = "time_limit"
        else:
            stopped_by = result.stopped_by
            polished = AllocationState(compiled.persons, compiled.groups, limits)
            polished.load(result.lines)
            if _better_valid(polished, state, floor):
                state = polished
            if not maxmin and result.bound is not None:
                bound = result.bound
    assignment = to_assignment(compiled, state)
    if check_assignment(problem, assignment):  # never an unchecked allocation
        return solve(problem, options)
    objective = float(state.objective())
    if bound is not None:
        bound = max(bound, objective)
    proven = bound is not None and bound - objective <= options.gap * max(abs(bound), 1e-9)
    return SolveOutcome(
        status="optimal" if proven else "feasible",
        assignment=assignment,
        objective=objective,
        bound=bound,
        solver=SolverInfo(
            name="flexben-sweep/warm", version="1", seconds=round(time.monotonic() - started, 3)
        ),
        notes=(f"warm start: {len(start)} lines; stopped by {stopped_by}",),
    )


def _lite_cold(
    problem: Problem, compiled: Compiled, limits: Limits, options: SolveOptions
) -> AllocationState | None:
    """The engine without its MILPs (LP shares, group heuristics, leftover fill): a cheap
    fresh allocation at this cap, out of any dead end the previous allocation sat in."""
    outcome = solve(problem, dataclasses.replace(options, max_rounds=0))
    if outcome.status not in ("optimal", "feasible"):
        return None
    core = {b.id for b in problem.benefits if b.core}
    state = AllocationState(compiled.persons, compiled.groups, limits)
    state.load(
        (person, benefit, line.units, line.contribution)
        for (person, benefit), line in outcome.assignment.items()
        if benefit not in core
    )
    return state


def _better_valid(
    candidate: AllocationState, incumbent: AllocationState, floor: Fraction | None
) -> bool:
    keeps_floor = floor is None or (candidate.min_satisfaction() or 0) >= floor
    return (
        keeps_floor
        and not candidate.violations()
        and candidate.objective() >= incumbent.objective()
    )


def _proportional(wants: dict[str, float], available: int) -> dict[str, int]:
    """Integer shares of `available`: all of `wants` when it fits, else scaled down."""
    total = sum(wants.values())
    if available <= 0 or total <= 0:
        return dict.fromkeys(wants, 0)
    scale = min(1.0, available / total)
    return {key: math.floor(want * scale) for key, want in wants.items()}


def _wanted(person: Person, benefit: str) -> tuple[float, float]:
    """What `person` asks of `benefit` if nothing held it back (units, no top-up)."""
    candidate = person.candidate(benefit)
    if candidate is None or candidate.points <= 0:
        return 0.0, 0.0
    return float(min(candidate.max_units, candidate.wanted_units)), 0.0


def warm_group_shares(
    compiled: Compiled, state: AllocationState
) -> tuple[dict[str, Limits], dict[str, int]]:
    """Each group's share of the shared resources: what it uses now (so its allocation
    stays valid) plus part of what is left, in proportion to its unmet demand; and, for the
    groups that got more than they use, how much more (budget money plus places)."""
    lines = state.lines()

    def current_use(person: Person, benefit: str) -> tuple[float, float]:
        units, paid = lines.get((person.id, benefit), (0, 0))
        return float(units), float(paid)

    used = group_usage(compiled, current_use)
    demand = group_usage(compiled, _wanted)
    grew: dict[str, int] = {}
    budgets: dict[str, list[tuple[BudgetScope, int]]] = {r.id: [] for r in compiled.groups}
    for scope in compiled.budgets:
        covered = [r.id for r in compiled.groups if scope.groups is None or r.id in scope.groups]
        now = {g: round(used[g][0].get(scope.id, 0.0)) for g in covered}
        unmet = {g: max(0.0, demand[g][0].get(scope.id, 0.0) - now[g]) for g in covered}
        extra = _proportional(unmet, state.budget_left[scope.id])
        for g in covered:
            if extra[g] > 0:
                grew[g] = grew.get(g, 0) + extra[g]
            budgets[g].append((scope, now[g] + extra[g]))
    places: dict[str, list[tuple[str, int]]] = {r.id: [] for r in compiled.groups}
    for benefit, _available in compiled.capacities:
        now = {r.id: round(used[r.id][1].get(benefit, 0.0)) for r in compiled.groups}
        unmet = {g: max(0.0, demand[g][1].get(benefit, 0.0) - now[g]) for g in now}
        extra = _proportional(unmet, state.capacity_left[benefit])
        for g in now:
            if extra[g] > 0:
                grew[g] = grew.get(g, 0) + extra[g]
            places[g].append((benefit, now[g] + extra[g]))
    shares = {
        g: Limits(budgets=tuple(budgets[g]), capacities=tuple(sorted(places[g]))) for g in budgets
    }
    return shares, grew


def _improve_groups(
    compiled: Compiled,
    state: AllocationState,
    *,
    spec: ObjectiveSpec,
    backend: BackendName,
    node_limit: int,
    options: SolveOptions,
    deadline: float,
) -> AllocationState:
    """Large problems: re-solve, warm-started, only the groups that got more resources."""
    shares, grew = warm_group_shares(compiled, state)
    members = by_group(compiled.persons)
    lines: dict[str, list[Line]] = {}
    for (person_id, benefit), (units, paid) in state.lines().items():
        group = state.persons[person_id].person.group
        lines.setdefault(group, []).append((person_id, benefit, units, paid))
    # Work limit: the groups that got the most of the freed budget, small enough for a quick
    # MILP, up to WARM_MILP_PERSONS_SHARE of the persons (at least one group).
    allowance = max(1, math.floor(len(compiled.persons) * WARM_MILP_PERSONS_SHARE))
    chosen: list[GroupRule] = []
    taken = 0
    for rule in sorted(compiled.groups, key=lambda rule: (-grew.get(rule.id, 0), rule.id)):
        size = len(members.get(rule.id, ()))
        if rule.id not in grew or not any(p.participant for p in members.get(rule.id, ())):
            continue
        if size > WARM_MILP_GROUP_PERSONS or (chosen and taken + size > allowance):
            continue
        chosen.append(rule)
        taken += size
    tasks = [
        GroupTask(
            rule=rule,
            persons=tuple(members.get(rule.id, ())),
            limits=shares[rule.id],
            objective=spec,
            backend=backend,
            node_limit=node_limit,
            gap=options.gap,
            start=tuple(lines.get(rule.id, ())),
        )
        for rule in chosen
    ]
    results, _late = run_tasks(tasks, options.processes, deadline)
    for group, result in results.items():
        lines[group] = list(result.lines)
    improved = AllocationState(compiled.persons, compiled.groups, full_limits(compiled))
    improved.load(line for group in sorted(lines) for line in lines[group])
    floor = None if spec.floor is None else Fraction(spec.floor)
    return improved if _better_valid(improved, state, floor) else state


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
    ordered = sorted(set(caps))
    steps: list[dict[str, Any]] = []
    previous: SolveOutcome | None = None
    saturated = False  # a cold re-solve found nothing better: the cap no longer binds
    for index, cap in enumerate(ordered):
        capped = with_cap(problem, budget_id, cap)
        started = time.monotonic()
        how = "cold"
        if previous is None:
            outcome = solve(capped, options)
        else:
            outcome, how = warm_solve(capped, previous.assignment, options), "warm"
            # Large problems: the warm step already compared a fresh (MILP-free) solve.
            small = len(capped.employees) <= POLISH_PERSONS
            if small and not saturated and _stalled(outcome, previous, options):
                cold = solve(capped, options)
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
    _add_marginals(steps, minor_units_per_1000)
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
    banded = solve(problem, options)
    if banded.status not in ("optimal", "feasible"):
        return {"status": banded.status, "with_band": None, "without_band": None, "percent": None}
    free = warm_solve(without_equity_band(problem), banded.assignment, options)
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
