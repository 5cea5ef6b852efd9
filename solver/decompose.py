"""Split by peer group: shares of the shared resources, one small MILP per group.

Groups couple only through budgets and capacities. Given each group's share of them (from the
LP relaxation's usage, rounded by largest remainder so shares never exceed what is left), the
groups are independent: `solve_group` is a pure function of a picklable `GroupTask`, run on
the solve's executor (`solver.executors`: a process pool or Ray). Each task builds a valid start
with the construction heuristic, improves it with a node-limited single-threaded MILP
warm-started from it, and keeps the MILP's point only when it is valid in exact arithmetic and
better. The executor enforces the wall-clock deadline from outside (late tasks cancelled).
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from operator import itemgetter

from pulp import LpVariable

from solver.backends import BackendName, run_model
from solver.candidates import (
    BudgetScope,
    Compiled,
    GroupRule,
    Person,
)
from solver.executors import Stored
from solver.heuristic import construct, fill, fill_lowest_first
from solver.model import Limits, ModelVars, ObjectiveSpec, build_model
from solver.state import AllocationState

Line = tuple[str, str, int, int]  # person, benefit, units, contribution
Usage = dict[str, tuple[dict[str, float], dict[str, float]]]  # group -> (money, places)


@dataclass(frozen=True, slots=True)
class GroupTask:
    rule: GroupRule
    members: Stored[tuple[Person, ...]]  # the group's persons, stored once per solve
    limits: Limits
    objective: ObjectiveSpec
    backend: BackendName
    node_limit: int  # 0: heuristic only
    gap: float
    start: tuple[Line, ...] | None = None  # a valid allocation to improve (else construct one)
    thorough: bool = True  # the construction's thorough level search (`heuristic.construct`)

    @property
    def persons(self) -> tuple[Person, ...]:
        return self.members.get()

    def resolved(self) -> GroupTask:
        """The task with its members fetched (once per task, on the worker)."""
        return replace(self, members=Stored(self.members.get()))


@dataclass(frozen=True, slots=True)
class GroupResult:
    group: str
    lines: tuple[Line, ...]
    bound: float | None  # proven bound of this group's MILP under its shares
    stopped_by: str
    improved_by_milp: bool
    seconds: float
    peak_kib: int = 0  # the worker's peak resident memory so far
    satisfaction: Fraction | None = None  # the group's total satisfaction (`solve_group`)
    work: int = 0  # the MILP's effort (`RunResult.work`; 0: not measured)


def solve_group(task: GroupTask) -> GroupResult:
    started = time.perf_counter()
    task = task.resolved()
    maxmin_min = task.objective.kind == "maxmin" and task.objective.phase == "min"
    state, constructed = _start(task)
    improved = False
    bound: float | None = None
    stopped_by = "completed"
    if task.node_limit > 0 and any(p.candidates for p in task.persons):
        candidate, bound, stopped_by = _milp(task, state)
        if candidate is not None and _better(candidate, state, maxmin_min):
            state, improved = candidate, True
    if improved or not constructed:  # `construct` has just filled what it built
        if maxmin_min:
            fill_lowest_first(state)
        fill(state)
    lines = tuple((p, b, u, w) for (p, b), (u, w) in state.lines().items())
    return GroupResult(
        task.rule.id,
        lines,
        bound,
        stopped_by,
        improved,
        time.perf_counter() - started,
        peak_kib(),
        state.objective(),
    )


def peak_kib() -> int:
    """This process's peak resident memory (KiB on Linux)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _start(task: GroupTask) -> tuple[AllocationState, bool]:
    """The task's valid start, or a constructed one (then True: already filled)."""
    maxmin = task.objective.kind == "maxmin"
    if task.start is not None:
        state = AllocationState(task.persons, (task.rule,), task.limits)
        state.load(task.start)
        if not state.violations():
            return state, False
    constructed = construct(
        task.persons, (task.rule,), task.limits, maxmin=maxmin, thorough=task.thorough
    )
    return constructed, True


def _better(candidate: AllocationState, incumbent: AllocationState, by_minimum: bool) -> bool:
    if by_minimum:
        low_new, low_old = candidate.min_satisfaction(), incumbent.min_satisfaction()
        if low_new is not None and low_old is not None and low_new != low_old:
            return low_new > low_old
    return candidate.objective() > incumbent.objective()


def _milp(
    task: GroupTask, start: AllocationState
) -> tuple[AllocationState | None, float | None, str]:
    problem, variables = build_model(
        f"group_{task.rule.id}", task.persons, (task.rule,), task.limits, task.objective
    )
    set_start(variables, start, task.persons)
    result = run_model(
        problem, task.backend, node_limit=task.node_limit, gap=task.gap, warm_start=True
    )
    if not result.has_solution:
        return None, result.bound, result.stopped_by
    state = read_solution(variables, task.persons, (task.rule,), task.limits)
    if state is None or state.violations():
        return None, result.bound, result.stopped_by
    return state, result.bound, result.stopped_by


def set_start(variables: ModelVars, state: AllocationState, persons: Sequence[Person]) -> None:
    """Give every model variable the start allocation's value (for a warm start)."""
    for person in persons:
        ps = state.persons[person.id]
        for candidate in person.candidates:
            key = (person.id, candidate.benefit)
            variables.units[key].setInitialValue(ps.units.get(candidate.benefit, 0))
            if key in variables.contributions:
                variables.contributions[key].setInitialValue(
                    ps.contributions.get(candidate.benefit, 0)
                )
    for group_id, mean in variables.means.items():
        tally = state.groups[group_id]
        mean.setInitialValue(float(tally.mean()))
    if variables.min_satisfaction is not None:
        low = state.min_satisfaction()
        variables.min_satisfaction.setInitialValue(float(low) if low is not None else 0.0)


def read_solution(
    variables: ModelVars,
    persons: Sequence[Person],
    groups: Sequence[GroupRule],
    limits: Limits,
) -> AllocationState | None:
    """The MILP's point rounded to integers, loaded into an exact state (unchecked)."""
    lines: list[Line] = []
    for person in persons:
        for candidate in person.candidates:
            key = (person.id, candidate.benefit)
            units = _integer(variables.units[key])
            paid = _integer(variables.contributions[key]) if key in variables.contributions else 0
            if units is None or paid is None:
                return None
            if units > 0:
                lines.append(
                    (person.id, candidate.benefit, units, min(paid, candidate.cost * units))
                )
    state = AllocationState(persons, groups, limits)
    state.load(lines)
    return state


def _integer(variable: LpVariable) -> int | None:
    value: float | None = variable.value()
    if value is None or not math.isfinite(value):
        return None
    return max(0, round(float(value)))


# --- shares of shared resources ------------------------------------------------------------


def group_usage(
    compiled: Compiled, usage_of: Callable[[Person, str], tuple[float, float]]
) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """Per group: (employer cost per budget, units per capacity-limited benefit).

    `usage_of(person, benefit)` gives (units, contribution) in the relaxation.
    """
    capacity_ids = {b for b, _ in compiled.capacities}
    usage: dict[str, tuple[dict[str, float], dict[str, float]]] = {
        rule.id: ({}, {}) for rule in compiled.groups
    }
    for person in compiled.persons:
        money, places = usage[person.group]
        for candidate in person.candidates:
            units, paid = usage_of(person, candidate.benefit)
            spend = candidate.cost * units - paid
            for scope_id in compiled.covering(person.group, candidate.benefit):
                money[scope_id] = money.get(scope_id, 0.0) + spend
            if candidate.benefit in capacity_ids:
                places[candidate.benefit] = places.get(candidate.benefit, 0.0) + units
    return usage


def split_shares(
    compiled: Compiled, usage: Mapping[str, tuple[dict[str, float], dict[str, float]]]
) -> dict[str, Limits]:
    """Each group's Limits: its usage rounded down, remainders by largest fraction."""
    group_ids = [rule.id for rule in compiled.groups]
    budget_shares: dict[str, dict[str, int]] = {g: {} for g in group_ids}
    for scope in compiled.budgets:
        covered = [g for g in group_ids if scope.groups is None or g in scope.groups]
        wants = {g: usage[g][0].get(scope.id, 0.0) for g in covered}
        for g, share in _largest_remainder(wants, scope.cap - scope.core_use).items():
            budget_shares[g][scope.id] = share
    capacity_shares: dict[str, dict[str, int]] = {g: {} for g in group_ids}
    for benefit, available in compiled.capacities:
        wants = {g: usage[g][1].get(benefit, 0.0) for g in group_ids}
        for g, share in _largest_remainder(wants, available).items():
            capacity_shares[g][benefit] = share
    scopes: dict[str, BudgetScope] = {scope.id: scope for scope in compiled.budgets}
    return {
        g: Limits(
            budgets=tuple((scopes[b], share) for b, share in budget_shares[g].items()),
            capacities=tuple(sorted(capacity_shares[g].items())),
        )
        for g in group_ids
    }


def _largest_remainder(wants: Mapping[str, float], available: int) -> dict[str, int]:
    """Integer shares summing to at most `available`, close to `wants` (sorted, deterministic)."""
    if available <= 0:
        return dict.fromkeys(wants, 0)
    asked = sum(max(0.0, w) for w in wants.values())
    if asked > available:  # demand above what is left: everyone scaled down alike
        wants = {g: max(0.0, w) * available / asked for g, w in wants.items()}
    floors = {g: max(0, math.floor(w + 1e-6)) for g, w in wants.items()}
    excess = sum(floors.values()) - available
    for g in sorted(floors, key=lambda g: (floors[g], g)):  # float noise: trim the smallest
        if excess <= 0:
            break
        cut = min(excess, floors[g])
        floors[g] -= cut
        excess -= cut
    left = available - sum(floors.values())
    order = sorted(wants, key=lambda g: (-(wants[g] - math.floor(wants[g] + 1e-6)), g))
    for g in order:
        if left <= 0:
            break
        if wants[g] - floors[g] > 1e-6:
            floors[g] += 1
            left -= 1
    return floors


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


@dataclass(frozen=True, slots=True)
class Prices:
    """Marginal satisfaction per unit of each exhausted shared resource (greedy duals)."""

    budgets: tuple[tuple[BudgetScope, float], ...]
    capacities: tuple[tuple[str, float], ...]

    def value(self, compiled: Compiled) -> float:
        """The prices times what is available: the constant of the Lagrangian bound."""
        available = {scope.id: scope.cap - scope.core_use for scope in compiled.budgets}
        places = dict(compiled.capacities)
        return sum(price * available[scope.id] for scope, price in self.budgets) + sum(
            price * places[benefit] for benefit, price in self.capacities
        )


def lp_duals(variables: ModelVars) -> Prices | None:
    """The shadow prices of the shared rows after an LP solve (None if a dual is missing).

    The magnitude is the price whatever the backend's sign convention: a <= row of a
    maximisation has a non-negative dual.
    """
    budgets: list[tuple[BudgetScope, float]] = []
    for scope, row in variables.budget_rows:
        if row.pi is None:
            return None
        budgets.append((scope, abs(float(row.pi))))
    capacities: list[tuple[str, float]] = []
    for benefit, row in variables.capacity_rows:
        if row.pi is None:
            return None
        capacities.append((benefit, abs(float(row.pi))))
    return Prices(tuple(budgets), tuple(sorted(capacities)))


def priced_usage(compiled: Compiled) -> tuple[Usage, Prices]:
    """Resource use of a greedy fractional allocation: an LP-like split without solving one.

    Every wanted unit is ranked by satisfaction per cost across the organisation and taken
    (fractionally at the margin) while each person's allowance and every budget and capacity
    covering it have room. The equity band is ignored: this only decides who gets which share
    of the shared resources, before the exact per-group work.
    """
    covering = _covering(compiled)
    wishes = _ranked_wishes(compiled, covering)  # the engine runs with the collector paused
    budget_room = {scope.id: float(scope.cap - scope.core_use) for scope in compiled.budgets}
    capacity_room = {benefit: float(left) for benefit, left in compiled.capacities}
    allowance_room = [
        float(p.allowance + p.top_up_limit) if p.allowance is not None else math.inf
        for p in compiled.persons
    ]
    taken = [0.0] * len(wishes)
    budget_price: dict[str, float] = {}
    capacity_price: dict[str, float] = {}
    # The hot loop (once per wish): min() and max() as comparisons, which give the same
    # floats without a call each.
    for negative_efficiency, index, owner, asked, cost, benefit, scopes in wishes:
        units = asked
        if cost > 0:
            room = allowance_room[owner]  # the least room of the allowance and the budgets
            for b in scopes:
                room = budget_room[b] if budget_room[b] < room else room
            units = room / cost if room / cost < units else units
        limited = benefit in capacity_room
        if limited:
            units = capacity_room[benefit] if capacity_room[benefit] < units else units
        if units <= 0:
            continue
        taken[index] = units
        spend, emptied = units * cost, 1e-6 * (cost if cost > 1.0 else 1.0)
        for b in scopes:
            budget_room[b] -= spend
            if budget_room[b] <= emptied:
                budget_price.setdefault(b, -negative_efficiency)
        allowance_room[owner] -= spend
        if limited:
            capacity_room[benefit] -= units
            if capacity_room[benefit] <= 1e-9:
                capacity_price.setdefault(benefit, -negative_efficiency * max(1, cost))
    prices = Prices(
        budgets=tuple((s, budget_price[s.id]) for s in compiled.budgets if s.id in budget_price),
        capacities=tuple(sorted(capacity_price.items())),
    )
    return _wished_usage(compiled, covering, taken), prices


# A wanted candidate (points > 0) in the greedy: -(satisfaction per cost), its position
# among the wishes (persons in order, their candidates in order), the person's position in
# `Compiled.persons`, the units it asks for, its cost, the benefit, the budgets covering it.
_Wish = tuple[float, int, int, float, float, str, tuple[str, ...]]


def _ranked_wishes(
    compiled: Compiled, covering: dict[str, dict[str, tuple[str, ...]]]
) -> list[_Wish]:
    """Every wish, most satisfaction per cost first; ties by person id, then in order."""
    wishes: list[_Wish] = []
    for owner, person in enumerate(compiled.persons):
        group_covering = covering[person.group]
        for candidate in person.candidates:
            if candidate.points > 0:
                weight = candidate.points / (candidate.wanted_units * person.total_points)
                cost, most, wanted = candidate.cost, candidate.max_units, candidate.wanted_units
                wishes.append(
                    (
                        -(weight / (cost if cost > 1 else 1)),  # max(1, cost), without a call
                        len(wishes),
                        owner,
                        float(wanted if wanted < most else most),
                        float(cost),
                        candidate.benefit,
                        group_covering[candidate.benefit],
                    )
                )
    # Wishes come in person order and `Compiled.persons` is sorted by id, so a stable sort
    # on efficiency alone breaks ties by person id, then order (and compares floats only).
    wishes.sort(key=itemgetter(0))
    return wishes


def _covering(compiled: Compiled) -> dict[str, dict[str, tuple[str, ...]]]:
    """`Compiled.covering` of every group and benefit, by group then benefit."""
    return {
        rule.id: {benefit: compiled.covering(rule.id, benefit) for benefit, _ in compiled.benefits}
        for rule in compiled.groups
    }


def _wished_usage(
    compiled: Compiled, covering: dict[str, dict[str, tuple[str, ...]]], taken: list[float]
) -> Usage:
    """`group_usage` of the greedy allocation: `taken[i]` units of the i-th wish (the
    wanted candidates in person order), nothing of the other candidates, no top-up."""
    capacity_ids = {b for b, _ in compiled.capacities}
    usage: Usage = {rule.id: ({}, {}) for rule in compiled.groups}
    index = 0
    for person in compiled.persons:
        money, places = usage[person.group]
        group_covering = covering[person.group]
        for candidate in person.candidates:
            units = 0.0
            if candidate.points > 0:
                units = taken[index]
                index += 1
            spend = candidate.cost * units
            for scope_id in group_covering[candidate.benefit]:
                money[scope_id] = money.get(scope_id, 0.0) + spend
            if candidate.benefit in capacity_ids:
                places[candidate.benefit] = places.get(candidate.benefit, 0.0) + units
    return usage


# --- the monolithic polish -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WholeTask:
    persons: tuple[Person, ...]
    groups: tuple[GroupRule, ...]
    limits: Limits
    objective: ObjectiveSpec
    backend: BackendName
    node_limit: int
    gap: float
    start: tuple[Line, ...]
    # The solver's own time limit keeps its incumbent when the node limit is not reached in
    # time (then the result depends on the clock, and says so); the deadline is the backstop.
    time_limit_s: float | None = None


def solve_whole(task: WholeTask) -> GroupResult:
    """The whole problem as one MILP, warm-started; returns the start when nothing better."""
    started = time.perf_counter()
    problem, variables = build_model(
        "whole", task.persons, task.groups, task.limits, task.objective
    )
    start = AllocationState(task.persons, task.groups, task.limits)
    start.load(task.start)
    set_start(variables, start, task.persons)
    result = run_model(
        problem,
        task.backend,
        node_limit=task.node_limit,
        gap=task.gap,
        warm_start=True,
        time_limit_s=task.time_limit_s,
        heuristic_effort=POLISH_HEURISTIC_EFFORT,
    )
    lines = task.start
    improved = False
    if result.has_solution:
        state = read_solution(variables, task.persons, task.groups, task.limits)
        if state is not None and not state.violations():
            lines = tuple((p, b, u, w) for (p, b), (u, w) in state.lines().items())
            improved = True
    return GroupResult(
        "*",
        lines,
        result.bound,
        result.stopped_by,
        improved,
        time.perf_counter() - started,
        peak_kib=peak_kib(),
        work=result.work,
    )


WHOLE_TIME_SHARE = 0.95  # of the time left: the monolithic polish's own time limit
# The polish's improvements come from HiGHS's sub-MIP heuristics (RINS/RENS) far more than
# from branching: more effort there finds better allocations in fewer nodes.
POLISH_HEURISTIC_EFFORT = 0.3


# --- the LP relaxation, in a worker stopped at its deadline --------------------------------


UTILITARIAN = ObjectiveSpec("utilitarian")


@dataclass(frozen=True, slots=True)
class RelaxationTask:
    compiled: Compiled
    limits: Limits
    backend: BackendName
    time_limit_s: float  # backstop only; the caller stops the worker at its deadline
    objective: ObjectiveSpec = UTILITARIAN  # maxmin's bound: the total with all >= floor


@dataclass(frozen=True, slots=True)
class Relaxation:
    objective: float | None  # None: not solved to optimality (no bound, no usage)
    usage: Usage
    seconds: float
    duals: Prices | None = None  # the shared rows' shadow prices (where the Lagrangian starts)


def solve_relaxation(task: RelaxationTask) -> Relaxation:
    """The LP relaxation of the whole problem: its optimum and each group's resource use."""
    started = time.perf_counter()
    compiled = task.compiled
    problem, variables = build_model(
        "relaxation",
        compiled.persons,
        compiled.groups,
        task.limits,
        task.objective,
        relax=True,
    )
    result = run_model(problem, task.backend, mip=False, time_limit_s=task.time_limit_s)
    if not result.proven_optimal or result.objective is None:
        return Relaxation(None, {}, time.perf_counter() - started)

    def usage_of(person: Person, benefit: str) -> tuple[float, float]:
        key = (person.id, benefit)
        units = variables.units[key].value() or 0.0
        paid = 0.0
        if key in variables.contributions:
            paid = variables.contributions[key].value() or 0.0
        return float(units), float(paid)

    usage = group_usage(compiled, usage_of)
    seconds = time.perf_counter() - started
    return Relaxation(result.objective, usage, seconds, lp_duals(variables))
