"""The optimisation engine: `solve(problem, options, warm=None) -> SolveOutcome`.

One pipeline of named stages; every piece of parallel work goes through the solve's
executor (`solver.executors`: worker processes or Ray tasks), opened once per solve.

1. `bound_and_shares`: the proven upper bound and each peer group's share of the shared
   budgets and capacities — from the LP relaxation (up to LP_SHARES_PERSONS persons, in a
   worker), else from a greedy fractional split whose prices give a Lagrangian bound
   (`lagrangian_bound`, after the leftover fill: every person alone under prices searched
   from those; `proven_bound` tightens it in the time left). Warm-started: what each group uses
   now plus part of what is left (`warm_group_shares`).
2. `group_round`: per group, the construction heuristic, then a node-limited MILP
   warm-started from it (`solver.decompose.solve_group`); a group cut off by the deadline
   keeps its heuristic allocation. maxmin runs two rounds: best minimum per group, then the
   best total keeping the global minimum (the smallest of the groups' minima).
3. `merge_and_fill`: the groups' allocations merged and checked exactly; what they left of
   the shared resources is handed out (exact greedy fill).
4. `polish`: small problems, a monolithic MILP warm-started from that allocation (may prove
   optimality); where its node limit stopped it on a fraction of the work the time limit
   allows (cheap nodes), again from its allocation with the nodes the rest pays for
   (`polish_again`).
5. `check`: the independent exact check of the final allocation.
6. `proven_bound`: utilitarian, in the time the allocation left (at least BOUND_GRACE_S):
   the Lagrangian dual of the shared resources with per-group MILPs (`solver.bound`), from
   the LP's duals or the searched prices. The allocation is final and checked by then: the
   bound costs it nothing; a group whose MILP the clock cuts off counts with its LP term.
7. `finish`: bound (and which bound it is), status and what stopped the solve.

The work after the improvement stages (merge, the persons-alone bound, the check) grows with
the problem; it is reserved before the deadline (`FINISH_PER_COMPILE`), so the stages that
can stop early stop in time for it.

A warm start (`WarmStart`: an allocation valid for the problem, e.g. the previous step of a
budget sweep) replaces stage 1's shares by the warm shares and stage 2 by a work-limited
MILP round over the groups that gained most (large problems) or goes straight to the polish
(small ones). Work limits (nodes, rounds, group sizes) decide the result; the wall clock only
cuts off, and the result says so (`solver.stopped_by`).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from operator import attrgetter, itemgetter

from solver.backends import BackendName, backend_label, backend_version, resolve_backend
from solver.bound import SUBGRADIENT_STEPS, Lagrangian
from solver.bound import lagrangian_bound as lagrangian_dual
from solver.candidates import Compiled, Person, by_group, compile_problem
from solver.collector import collector_paused
from solver.decompose import (
    WHOLE_TIME_SHARE,
    GroupResult,
    GroupTask,
    Line,
    Prices,
    RelaxationTask,
    WholeTask,
    priced_usage,
    solve_group,
    solve_relaxation,
    solve_whole,
    split_shares,
    warm_group_shares,
)
from solver.diagnose import diagnose
from solver.executors import Executor, ExecutorError, Stored, largest_first, open_executor
from solver.heuristic import construct, fill
from solver.model import CONTRIBUTION_PENALTY, Limits, ObjectiveSpec
from solver.person_bound import person_terms, searched_prices
from solver.state import AllocationState, reduce_contributions
from solver.types import Assignment, Problem, SolveOptions, SolveOutcome, SolverInfo
from solver.types import Line as AssignmentLine
from solver.validate import Figures, check_assignment, checked_figures

GLOBAL_FILL_PASSES = 2
MILP_GROUP_PERSONS = 150  # larger groups keep their heuristic allocation (MILP too slow)
DEFAULT_NODE_LIMIT = 10  # per group MILP
POLISH_PERSONS = 600  # monolithic polish only below this many persons
LP_SHARES_PERSONS = 3000  # above: shares from the greedy split, the LP only for the bound
POLISH_NODES_PER_GROUP_NODE = 200  # the polish's node limit, relative to the groups'
# A polish node costs about linearly more with the persons: at most this many persons x nodes
# per group node, so the node limit (not the clock) ends the polish (200 persons: 330 nodes,
# about 45 s on the benchmark machine, within its 60 s limit).
POLISH_NODE_WORK = 6600
# The polish's effort in HiGHS's own count (`RunResult.work`: simplex iterations x nonzeros),
# per second on the benchmark machine: 6.7 to 13.7 million across six families at 200
# employees (330 nodes each); the slowest, so that work this count allows fits its seconds.
POLISH_WORK_PER_S = 6_700_000
# A cold polish may spend this share of the time limit, in that count (`polish_again`).
POLISH_WORK_SHARE = 0.75
# The work after the improvement stages (merge, the persons-alone bound, the assignment and
# the exact check) is a few passes over every person and line, as compiling the problem is:
# it is reserved as this many times the compile's measured seconds, so that the stages stop
# in time for it and the time limit holds at any size (100,000 employees: compile 2.0 s,
# that work 9.2 s; the ratio is printed by the notes' laps, re-measure it when either moves).
FINISH_PER_COMPILE = 5.0
# The leftover fill after the merge, in the same measure (100,000 employees: 4.4 to 5.2
# times the compile on every family but favourite, 2.7): the thorough round leaves it this
# much, since on some families the fill adds more than the thorough search does.
FILL_PER_COMPILE = 5.0
# The thorough level search (rewarded levels, short resources granted by satisfaction per
# cost) costs up to about 1 ms a person on the benchmark machine, 3-4 times the plain one;
# it runs in the group round when the time limit gives at least this many seconds a person
# (the group round gets a fraction of the limit): 1,000 in 20 s and 10,000 in 90 s yes,
# decided from the options, so the same input gives the same allocation. Below (100,000 in
# 45 s) it runs as a second round in the time left (`thorough_round`), which the clock cuts.
THOROUGH_S_PER_PERSON = 0.004
# Deadlines of the stages, as shares of the time limit (backstops: work limits decide).
LP_TIME_SHARE = 0.55  # the LP relaxation
# The group rounds: heuristics, then MILPs in what is left. A group's heuristic is worth more
# than any MILP (a late group starts empty), so the heuristics may take all of it.
MILP_TIME_SHARE = 0.85  # leaves room for the fill, the checks, the report
# A bound (maxmin's LP, the Lagrangian's rounds) may run this long after the time limit: the
# allocation is final by then, and a bound is worth little against the clock.
BOUND_GRACE_S = 5.0
BOUND_TIME_RATIO = 1.0  # the Lagrangian dual's rounds: at most this times the allocation's time
FLOOR_SAFETY = 1e-7  # maxmin floor rows: below the smallest gap between satisfactions
# A warm start: the polish gets this share of the time limit (it starts from a good
# allocation, and a sweep of N steps should cost well under N cold solves)...
WARM_POLISH_SHARE = 0.25
# ...and on large problems the warm-started group MILPs stop by this share; only groups of
# at most WARM_MILP_GROUP_PERSONS, up to WARM_MILP_PERSONS_SHARE of all persons, are
# re-solved (the groups that got the most of the freed resources first).
WARM_GROUPS_SHARE = 0.5
WARM_MILP_GROUP_PERSONS = 80
WARM_MILP_PERSONS_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class WarmStart:
    """An allocation valid for the problem to start from (invalid: a cold solve)."""

    assignment: Assignment
    polish_persons: int = POLISH_PERSONS  # up to this many persons the whole MILP polishes


@dataclass(slots=True)
class Run:
    """Everything one solve shares: the problem, its limits, the executor, what happened."""

    problem: Problem
    compiled: Compiled
    full: Limits
    backend: BackendName
    options: SolveOptions
    executor: Executor
    started: float
    deadline: float
    node_limit: int
    maxmin: bool
    members: dict[str, Stored[tuple[Person, ...]]]  # each group's persons, stored once
    finish_s: float  # reserved before the deadline for merge, bound, assignment and check
    fill_s: float = 0.0  # what the leftover fill is expected to take (`thorough_round`)
    stopped_by: set[str] = field(default_factory=set)
    bound: float | None = None
    bound_kind: str = ""  # what proved `bound`, for the notes
    notes: list[str] = field(default_factory=list)
    last_lap: float = 0.0
    worker_peak_kib: int = 0  # largest peak memory reported by a worker process
    alone_s: float = 0.0  # how long the persons-alone bound took (`lagrangian_bound`)

    @property
    def thorough(self) -> bool:
        """The groups' construction may afford the thorough level search."""
        persons = max(1, len(self.compiled.persons))
        return self.options.time_limit_s / persons >= THOROUGH_S_PER_PERSON

    min_proven: bool = False  # maxmin: the monolithic MILP proved the minimum optimal

    def lap(self, step: str) -> None:
        """Record how long a step took (notes only; never decides anything)."""
        now = time.monotonic()
        self.notes.append(f"{step}: {now - max(self.started, self.last_lap):.2f}s")
        self.last_lap = now

    def tighten_bound(self, bound: float, kind: str) -> None:
        if self.bound is None or bound < self.bound:
            self.bound, self.bound_kind = bound, kind

    def by_share(self, share: float) -> float:
        return self.started + self.options.time_limit_s * share

    def stop_at(self, share: float) -> float:
        """An improvement stage's deadline: its share of the time limit, and no later than
        leaves the finishing work its reserved time."""
        return min(self.by_share(share), self.deadline - self.finish_s)

    def trivial_bound(self) -> None:
        """Each participant's satisfaction is at most 1: a valid (weak) bound."""
        participants = sum(1 for p in self.compiled.persons if p.participant)
        self.tighten_bound(float(participants), "trivial (each satisfaction at most 1)")


@dataclass(frozen=True, slots=True)
class Shares:
    """Stage 1's output: each group's limits, and the prices of the Lagrangian bound."""

    limits: dict[str, Limits]
    prices: Prices | None = None  # large problems: greedy prices, where the bound's search starts
    # Where stage 5's Lagrangian dual starts: the LP's duals (`from_lp`) or prices searched
    # from the greedy ones (`lagrangian_bound`).
    multipliers: Prices | None = None
    from_lp: bool = False


def solve(
    problem: Problem,
    options: SolveOptions = SolveOptions(),  # noqa: B008
    *,
    warm: WarmStart | None = None,
    executor: Executor | None = None,
) -> SolveOutcome:
    """Solve `problem` (from `warm` when given) on `executor` (default: from `options`)."""
    started = time.monotonic()
    try:
        backend = resolve_backend(options.backend)
    except RuntimeError as error:
        return _error(str(error), "unknown", started)
    try:
        # The main process builds millions of surviving objects (states, lines, the check's
        # figures): without the collector's passes over them (`collector_paused`).
        with _executor(problem, options, executor) as chosen, collector_paused():
            return _solve(problem, options, backend, started, chosen, warm)
    except ExecutorError as error:
        return _error(f"executor: {error}", backend, started)
    except Exception as error:  # an engine failure is reported, never an unchecked allocation
        return _error(f"engine failed: {error!r}", backend, started)


@contextlib.contextmanager
def _executor(
    problem: Problem, options: SolveOptions, given: Executor | None
) -> Iterator[Executor]:
    if given is not None:
        yield given
        return
    opened = open_executor(
        options.executor,
        processes=options.processes,
        ray_address=options.ray_address,
        persons=len(problem.employees),
    )
    try:
        yield opened
    finally:
        opened.close()


def _solve(  # noqa: PLR0917 - private, one call site
    problem: Problem,
    options: SolveOptions,
    backend: BackendName,
    started: float,
    executor: Executor,
    warm: WarmStart | None,
) -> SolveOutcome:
    infeasible = diagnose(problem)
    if infeasible:
        return SolveOutcome(
            status="infeasible",
            assignment={},
            objective=None,
            bound=None,
            solver=_info(backend, started, "completed"),
            infeasibility=infeasible,
        )
    compiled = compile_problem(problem)
    compiled_in = time.monotonic() - started
    run = Run(
        problem=problem,
        compiled=compiled,
        full=full_limits(compiled),
        backend=backend,
        options=options,
        executor=executor,
        started=started,
        deadline=started + options.time_limit_s,
        node_limit=options.max_rounds if options.max_rounds is not None else DEFAULT_NODE_LIMIT,
        maxmin=problem.policy.objective == "maxmin",
        members={g: executor.put(tuple(m)) for g, m in sorted(by_group(compiled.persons).items())},
        finish_s=FINISH_PER_COMPILE * compiled_in,
        fill_s=FILL_PER_COMPILE * compiled_in,
    )
    run.lap("diagnosis and compile")
    start = _warm_state(run, warm)
    if warm is not None and start is not None:
        return _warm_pipeline(run, start, warm)
    shares = bound_and_shares(run)
    lines, floor = group_rounds(run, shares)
    state = merge_and_fill(run, lines)
    if shares.prices is not None:  # the allocation first: the bound gets the time left
        shares = replace(shares, multipliers=lagrangian_bound(run, shares.prices))
    state, floor = polish(run, state, floor, run.deadline, work_share=POLISH_WORK_SHARE)
    final = check(run, state)
    if final is not None:  # the allocation is final and checked: the bound gets the time left
        proven_bound(run, final.state, shares)
    return finish(run, final, floor)


def full_limits(compiled: Compiled) -> Limits:
    return Limits(
        budgets=tuple((scope, scope.cap - scope.core_use) for scope in compiled.budgets),
        capacities=compiled.capacities,
    )


# --- stage 1: bound and shares -------------------------------------------------------------


def bound_and_shares(run: Run) -> Shares:
    """Up to LP_SHARES_PERSONS the LP relaxation (in a worker, stopped at its deadline) gives
    the bound and, by its resource use, each group's shares. Above, the monolithic LP is too
    slow (25 s and more at 10,000): shares come from a greedy fractional split whose marginal
    efficiencies price the shared resources; the bound from the per-group LPs under those
    prices (Lagrangian relaxation), solved in the group round."""
    compiled = run.compiled
    greedy_usage, prices = priced_usage(compiled)
    greedy = split_shares(compiled, greedy_usage)
    if len(compiled.persons) > LP_SHARES_PERSONS:
        run.lap("greedy shares and prices")
        return Shares(greedy, None if run.maxmin else prices, prices)
    task = RelaxationTask(compiled, run.full, run.backend, run.options.time_limit_s * LP_TIME_SHARE)
    (relaxation,) = run.executor.map(solve_relaxation, [task], run.by_share(LP_TIME_SHARE))
    run.lap("LP relaxation")
    if relaxation is None or relaxation.objective is None:
        run.stopped_by.add("time_limit")
        run.notes.append("LP relaxation not solved in time: greedy shares, trivial bound")
        run.trivial_bound()
        return Shares(greedy, multipliers=prices)
    if not run.maxmin:
        run.tighten_bound(relaxation.objective + _penalty_slack(compiled), "LP relaxation")
    shares = split_shares(compiled, relaxation.usage)
    if relaxation.duals is None:
        return Shares(shares, multipliers=prices)
    return Shares(shares, multipliers=relaxation.duals, from_lp=True)


def lagrangian_bound(run: Run, prices: Prices) -> Prices:
    """Every participant alone (`solver.person_bound`: band, prerequisites and integrality
    relaxed) under prices searched from the greedy ones on a sample of participants, plus
    the prices' value: a valid upper bound in microseconds a person, complete at any size
    (0.5 to 4% below the greedy prices' on every family at 10,000). `proven_bound` tightens
    it in the time the allocation leaves (per-group priced LPs and MILPs, from the searched
    prices, which it returns: there a group's LP bound is at most its persons-alone term)."""
    compiled = run.compiled
    started = time.monotonic()
    searched = searched_prices(compiled, prices)
    terms = person_terms(compiled, searched.budgets, searched.capacities)
    run.tighten_bound(
        sum(terms.values()) + searched.value(compiled) + _penalty_slack(compiled),
        "Lagrangian relaxation under searched prices (every person alone)",
    )
    run.alone_s = time.monotonic() - started
    run.lap("bound: every person alone under searched prices")
    return searched


def _penalty_slack(compiled: Compiled) -> float:
    """The model subtracts a tiny contribution penalty: add its largest value back to bounds."""
    return CONTRIBUTION_PENALTY * sum(1 for p in compiled.persons if p.top_up_limit > 0)


# --- stage 2: group rounds -----------------------------------------------------------------


def group_rounds(run: Run, shares: Shares) -> tuple[list[Line], Fraction | None]:
    """The heuristic round, then the MILP round(s): the merged lines (and maxmin's floor)."""
    spec = ObjectiveSpec("maxmin", "min") if run.maxmin else ObjectiveSpec("utilitarian")
    heuristic = group_round(run, shares.limits, spec, {}, milp=False)
    run.lap("peer-group heuristics")
    if run.maxmin:
        return _maxmin_rounds(run, shares.limits, heuristic)
    if not run.thorough:
        heuristic = thorough_round(run, shares.limits, spec, heuristic)
    improved = heuristic | milp_round(
        run,
        shares.limits,
        spec,
        _lines_of(heuristic),
        _improvable(run, heuristic),
        share=MILP_TIME_SHARE,
    )
    return _collect(improved), None


def thorough_round(
    run: Run, shares: dict[str, Limits], spec: ObjectiveSpec, plain: dict[str, GroupResult]
) -> dict[str, GroupResult]:
    """Where the time limit does not promise the thorough level search (`Run.thorough`),
    it runs as a second round in the time the stages before the finish leave, less the
    leftover fill's expected time (`FILL_PER_COMPILE`): each group keeps the better of its
    two allocations (the same shares), a group still running at the deadline keeps the
    plain one. Not started when that time is shorter than the longest group took in the
    plain round (no group's thorough search takes less)."""
    deadline = run.stop_at(MILP_TIME_SHARE) - run.fill_s
    if deadline - time.monotonic() < max((r.seconds for r in plain.values()), default=0.0):
        run.notes.append("no time left for the thorough level search: the plain one stands")
        return plain
    every = [rule.id for rule in run.compiled.groups if rule.id in plain]
    tasks = _tasks(run, shares, spec, {}, every, node_limit=0, thorough=True)
    results, late = _run_tasks(run, tasks, deadline)
    kept = dict(plain)
    better = [group for group, result in results.items() if _better_total(result, plain[group])]
    for group in better:
        kept[group] = results[group]
    if late:
        run.stopped_by.add("time_limit")
    run.lap(
        f"thorough level search ({len(better)} of {len(every)} groups better,"
        f" {len(late)} cut off by the time limit)"
    )
    return kept


def _better_total(candidate: GroupResult, incumbent: GroupResult) -> bool:
    if candidate.satisfaction is None or incumbent.satisfaction is None:
        return False
    return candidate.satisfaction > incumbent.satisfaction


def _tasks(
    run: Run,
    shares: dict[str, Limits],
    spec: ObjectiveSpec,
    starts: dict[str, tuple[Line, ...]],
    groups: list[str],
    *,
    node_limit: int,
    thorough: bool | None = None,
) -> list[GroupTask]:
    rules = {rule.id: rule for rule in run.compiled.groups}
    return [
        GroupTask(
            rule=rules[group],
            members=run.members.get(group, Stored(())),
            limits=shares[group],
            objective=spec,
            backend=run.backend,
            node_limit=node_limit,
            gap=run.options.gap,
            start=starts.get(group),
            thorough=run.thorough if thorough is None else thorough,
        )
        for group in groups
    ]


def _run_tasks(
    run: Run, tasks: list[GroupTask], deadline: float
) -> tuple[dict[str, GroupResult], list[str]]:
    """Results by group through the executor, and the groups the deadline cut off."""
    results: dict[str, GroupResult] = {}
    late: list[str] = []
    pairs = run.compiled.group_pairs()
    sizes = [pairs.get(task.rule.id, 0) for task in tasks]
    found = largest_first(run.executor, solve_group, tasks, deadline, sizes)
    for task, result in zip(tasks, found, strict=True):
        if result is None:
            late.append(task.rule.id)
            continue
        results[task.rule.id] = result
        run.worker_peak_kib = max(run.worker_peak_kib, result.peak_kib)
    return results, late


def group_round(
    run: Run,
    shares: dict[str, Limits],
    spec: ObjectiveSpec,
    starts: dict[str, tuple[Line, ...]],
    *,
    milp: bool = True,
) -> dict[str, GroupResult]:
    """Every group: heuristic first (always kept), then its MILP where time allows."""
    every = [rule.id for rule in run.compiled.groups]
    tasks = _tasks(run, shares, spec, starts, every, node_limit=0)
    results, late = _run_tasks(run, tasks, run.stop_at(MILP_TIME_SHARE))
    kept = {group: _kept(group, starts[group]) for group in late if group in starts}
    results |= kept
    late = [group for group in late if group not in kept]
    if kept:  # the clock, not a work limit: such a group keeps the allocation it came with
        run.stopped_by.add("time_limit")
        run.notes.append(f"time limit: {len(kept)} peer group(s) kept their starting allocation")
    if late:  # the clock, not a work limit: such a group starts from nothing
        run.stopped_by.add("time_limit")
        run.notes.append(f"time limit: {len(late)} peer group(s) got no heuristic allocation")
    if not milp:
        return results
    return results | milp_round(
        run, shares, spec, _lines_of(results), _improvable(run, results), share=MILP_TIME_SHARE
    )


def _improvable(run: Run, results: dict[str, GroupResult]) -> list[str]:
    """The groups with an allocation whose MILP is worth its time (none without nodes)."""
    if run.node_limit <= 0:
        return []
    return [
        rule.id
        for rule in run.compiled.groups
        if rule.id in results
        and len(run.members.get(rule.id, Stored(())).get()) <= MILP_GROUP_PERSONS
        and any(p.participant for p in run.members[rule.id].get())
    ]


def milp_round(
    run: Run,
    shares: dict[str, Limits],
    spec: ObjectiveSpec,
    starts: dict[str, tuple[Line, ...]],
    groups: list[str],
    *,
    share: float,
) -> dict[str, GroupResult]:
    """The groups' node-limited MILPs from `starts`, stopped by `share` of the time limit."""
    tasks = _tasks(run, shares, spec, starts, groups, node_limit=run.node_limit)
    improved, late = _run_tasks(run, tasks, run.stop_at(share))
    for result in improved.values():
        run.stopped_by.add(result.stopped_by)
    if late:
        run.stopped_by.add("time_limit")
        run.notes.append(f"time limit: {len(late)} peer group(s) kept their heuristic allocation")
    return improved


def _kept(group: str, start: tuple[Line, ...]) -> GroupResult:
    """A group's valid starting allocation, kept as its result when its task came too late."""
    return GroupResult(group, start, None, "time_limit", False, 0.0)


def _lines_of(results: dict[str, GroupResult]) -> dict[str, tuple[Line, ...]]:
    return {group: result.lines for group, result in results.items()}


def _collect(results: dict[str, GroupResult]) -> list[Line]:
    return [line for group in sorted(results) for line in results[group].lines]


def _maxmin_rounds(
    run: Run, shares: dict[str, Limits], heuristic: dict[str, GroupResult]
) -> tuple[list[Line], Fraction | None]:
    """Best minimum per group; the global minimum is the smallest; then best totals above it."""
    first = group_round(run, shares, ObjectiveSpec("maxmin", "min"), _lines_of(heuristic))
    state = _state(run, _collect(first))
    floor = state.min_satisfaction()
    if floor is None:
        return _collect(first), None
    spec = ObjectiveSpec("maxmin", "total", floor=float(floor) - FLOOR_SAFETY)
    second = group_round(run, shares, spec, _lines_of(first))
    merged: list[Line] = []
    for group in sorted(second):
        trial = _state(run, second[group].lines)
        chosen = second[group] if _keeps_floor(trial, floor, group) else first[group]
        merged.extend(chosen.lines)
    return merged, floor


def _keeps_floor(state: AllocationState, floor: Fraction, group: str | None = None) -> bool:
    return all(
        state.satisfaction(pid) >= floor
        for pid, ps in state.persons.items()
        if ps.person.participant and (group is None or ps.person.group == group)
    )


# --- stage 3: merge and fill ---------------------------------------------------------------


def _state(run: Run, lines: list[Line] | tuple[Line, ...]) -> AllocationState:
    state = AllocationState(run.compiled.persons, run.compiled.groups, run.full)
    state.load(lines)
    return state


def _constructed(run: Run) -> AllocationState:
    """The whole problem's construction heuristic: the fallback when a merged or final
    allocation fails the exact check."""
    compiled = run.compiled
    return construct(
        compiled.persons, compiled.groups, run.full, maxmin=run.maxmin, thorough=run.thorough
    )


def merge_and_fill(run: Run, lines: list[Line]) -> AllocationState:
    """The groups' allocations as one exact state, then the leftover shared resources."""
    merging = time.monotonic()
    state = _state(run, lines)
    if state.violations():
        run.notes.append("merged group allocations failed the exact check; rebuilt heuristically")
        state = _constructed(run)
    run.lap(f"peer groups (total satisfaction {float(state.objective()):.4f})")
    # Hand out what the groups left of the shared resources, stopped in time for the rest of
    # the finishing work (its reserve less what the merge took).
    reserve = max(0.0, run.finish_s - (time.monotonic() - merging))
    fill(state, passes=GLOBAL_FILL_PASSES, deadline=run.deadline - reserve)
    if time.monotonic() >= run.deadline - reserve:
        run.stopped_by.add("time_limit")
    run.lap(f"leftover fill (total satisfaction {float(state.objective()):.4f})")
    return state


# --- stage 4: polish -----------------------------------------------------------------------


def polish(
    run: Run,
    state: AllocationState,
    floor: Fraction | None,
    deadline: float,
    *,
    work_share: float,
    polish_persons: int = POLISH_PERSONS,
) -> tuple[AllocationState, Fraction | None]:
    """Small problems: the monolithic MILP warm-started from `state`, stopped at `deadline`
    (its effort within `work_share` of the time limit: `polish_again`).

    maxmin first raises the minimum itself (phase "min"), then the total above it.
    """
    compiled = run.compiled
    if len(compiled.persons) <= polish_persons and run.node_limit > 0:
        # The node-limit knob (`max_rounds`) scales this work as it scales every MILP's nodes,
        # down only: more work than the time limit fits would let the clock decide.
        knob = min(1.0, run.node_limit / DEFAULT_NODE_LIMIT)
        budget = POLISH_WORK_PER_S * run.options.time_limit_s * work_share * knob
        state, floor = _polish_phases(run, state, floor, deadline, budget)
    reduce_contributions(state)
    run.lap(f"polish (total satisfaction {float(state.objective()):.4f})")
    return state, floor


def _polish_phases(
    run: Run, state: AllocationState, floor: Fraction | None, deadline: float, budget: float
) -> tuple[AllocationState, Fraction | None]:
    compiled = run.compiled
    nodes = max(1, run.node_limit * polish_nodes_per_group_node(len(compiled.persons)))
    if run.maxmin and floor is not None:
        halfway = time.monotonic() + (deadline - time.monotonic()) / 2
        phase = ObjectiveSpec("maxmin", "min")
        raised = _polish_once(run, state, phase, None, halfway, nodes).state
        low = raised.min_satisfaction() if raised is not None else None
        if raised is not None and low is not None and low > floor:
            state, floor = raised, low
    kind = compiled.problem.policy.objective
    spec = ObjectiveSpec(
        kind, "total", floor=float(floor) - FLOOR_SAFETY if floor is not None else None
    )
    rounds: list[tuple[int, int]] = []  # (nodes, work) of each polish so far
    while nodes:
        polished = _polish_once(run, state, spec, floor, deadline, nodes)
        gained = False
        if polished.state is not None and polished.state.objective() >= state.objective():
            gained = polished.state.objective() > state.objective()
            state = polished.state
        if rounds:
            run.notes.append(f"polish again with {nodes} nodes: the work budget paid for them")
        rounds.append((nodes, polished.work))
        # Again only after a polish that gained and stopped by its nodes: one that found
        # nothing better says the search is not where more nodes pay.
        nodes = (
            polish_again(rounds, budget) if gained and polished.stopped_by == "node_limit" else 0
        )
    return state, floor


def polish_again(rounds: Sequence[tuple[int, int]], budget: float) -> int:
    """The node limit of one more polish from the allocation so far (0: none), given each
    polish's (nodes, work) so far and the work budget.

    A node limit fitted to a dear model's nodes is far too small for a cheap one's (at 200
    employees one family's node costs 3 ms, another's 100 ms). So where the last polish was
    stopped by its nodes, the next gets the nodes the budget left pays for: at the last one's
    work per node after one polish (an overestimate: the root's cuts and heuristics make the
    first nodes the dearest), after two at the work per node between them, with the root's
    work (what the line through both leaves at 0 nodes) paid again, since each polish re-does
    it. Only for more nodes than the last (with no more, it could only repeat that search).
    Decided by counts, never by the clock: the same input gives the same allocation.
    """
    nodes, work = rounds[-1]
    if work <= 0 or nodes <= 0:
        return 0
    spent = sum(done for _, done in rounds)
    step_nodes, step_work = nodes, work  # the work per node, as a ratio (exact: no rounding)
    root = Fraction(0)
    if len(rounds) >= 2:
        before_nodes, before_work = rounds[-2]
        if nodes > before_nodes and work > before_work:
            step_nodes, step_work = nodes - before_nodes, work - before_work
            root = max(root, work - Fraction(step_work * nodes, step_nodes))
    more = math.floor((Fraction(budget) - spent - root) * step_nodes / step_work)
    return more if more > nodes else 0


@dataclass(frozen=True, slots=True)
class Polished:
    state: AllocationState | None  # valid (and above the floor), else None
    work: int  # the MILP's effort (`RunResult.work`)
    stopped_by: str


def _polish_once(  # noqa: PLR0917 - private, the polish's inputs
    run: Run,
    state: AllocationState,
    spec: ObjectiveSpec,
    floor: Fraction | None,
    deadline: float,
    nodes: int,
) -> Polished:
    """One monolithic MILP from `state`, stopped by `nodes`."""
    compiled = run.compiled
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return Polished(None, 0, "time_limit")
    task = WholeTask(
        persons=compiled.persons,
        groups=compiled.groups,
        limits=run.full,
        objective=spec,
        backend=run.backend,
        node_limit=nodes,
        gap=run.options.gap,
        start=tuple((p, b, u, w) for (p, b), (u, w) in state.lines().items()),
        time_limit_s=max(0.5, remaining * WHOLE_TIME_SHARE - 1.0),
    )
    (result,) = run.executor.map(solve_whole, [task], deadline)
    if result is None:
        run.stopped_by.add("time_limit")
        run.notes.append("time limit: the monolithic polish was stopped")
        return Polished(None, 0, "time_limit")
    run.worker_peak_kib = max(run.worker_peak_kib, result.peak_kib)
    run.stopped_by.add(result.stopped_by)
    if spec.phase == "min":
        run.min_proven = result.stopped_by == "completed"
    elif result.bound is not None:
        # maxmin: the best allocation keeps a minimum >= floor, so it is feasible here too.
        run.tighten_bound(result.bound + _penalty_slack(compiled), "monolithic MILP")
    polished = _state(run, result.lines)
    if polished.violations() or (floor is not None and not _keeps_floor(polished, floor)):
        return Polished(None, result.work, result.stopped_by)
    return Polished(polished, result.work, result.stopped_by)


def polish_nodes_per_group_node(persons: int) -> int:
    return max(1, min(POLISH_NODES_PER_GROUP_NODE, POLISH_NODE_WORK // max(1, persons)))


# --- stage 5: the proven bound -------------------------------------------------------------


def proven_bound(run: Run, state: AllocationState, shares: Shares) -> None:
    """Utilitarian: the Lagrangian dual's bound when it beats the one proven so far, in the
    time left (a late round: the best complete one, and the notes say so)."""
    start = shares.multipliers
    if run.maxmin or start is None or run.node_limit <= 0:
        return
    # Above LP_SHARES_PERSONS no grace: the first round alone outlasts it, and the
    # persons-alone bound stands. The bound never takes longer than the allocation took
    # (BOUND_TIME_RATIO): a long time limit is a backstop, not a budget to spend on proofs.
    large = len(run.compiled.persons) > LP_SHARES_PERSONS
    now = time.monotonic()
    clock = run.deadline if large else _bound_deadline(run)
    budget = now + max(BOUND_GRACE_S, BOUND_TIME_RATIO * (now - run.started))
    deadline = min(clock, budget)
    if now >= deadline:  # checked first: at 100,000 persons even the objective costs seconds
        return
    # A round cut short still bounds (a late group counts with its persons-alone term at
    # the round's prices), but computing those terms takes up to what the persons-alone
    # bound took: a round with less time than that is not started.
    if large and deadline - now < run.alone_s:
        run.notes.append("no time left for a Lagrangian round: the persons-alone bound stands")
        return
    objective = float(state.objective())
    if _gap_closed(run, objective):
        return
    starts: dict[str, list[Line]] = {}
    for (person_id, benefit), (units, paid) in state.lines().items():  # sorted
        group = state.persons[person_id].person.group
        starts.setdefault(group, []).append((person_id, benefit, units, paid))
    by_group_lines = {group: tuple(lines) for group, lines in starts.items()}
    dual = _lagrangian(run, by_group_lines, deadline)
    steps = 0 if shares.from_lp else SUBGRADIENT_STEPS
    proven = lagrangian_dual(dual, start, objective, steps=steps)
    run.worker_peak_kib = max(run.worker_peak_kib, proven.peak_kib)
    if proven.cut_off and budget < clock:  # its own budget, not the time limit, ended it
        run.notes.append("the Lagrangian bound's rounds stopped after the allocation's time")
    elif proven.cut_off:
        run.stopped_by.add("time_limit")
        run.notes.append("time limit: the Lagrangian bound's rounds were cut off")
    if proven.bound is not None:
        origin = "the LP's duals" if shares.from_lp else "searched prices"
        kind = f"{proven.kind} from {origin}"
        run.tighten_bound(proven.bound + _penalty_slack(run.compiled), kind)
    run.lap("Lagrangian bound")


def _lagrangian(run: Run, starts: dict[str, tuple[Line, ...]], deadline: float) -> Lagrangian:
    return Lagrangian(run.compiled, run.members, run.executor, run.backend, deadline, starts)


def _bound_deadline(run: Run) -> float:
    """The time left, but at least BOUND_GRACE_S: a bound may run a little past the limit."""
    return max(run.deadline, time.monotonic() + BOUND_GRACE_S)


def _gap_closed(run: Run, objective: float, bound: float | None = None) -> bool:
    """`bound` (default: the best so far) proves `objective` optimal within the gap; the
    bound carries the contribution penalty's slack: within it, nothing is left to prove."""
    bound = run.bound if bound is None else bound
    if bound is None:
        return False
    slack = _penalty_slack(run.compiled)
    return bound - objective <= run.options.gap * abs(bound) + slack


# --- stage 6: finish -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checked:
    """The final allocation, its assignment that passed the independent check, and the
    exact figures the check computed (the report reuses them)."""

    state: AllocationState
    assignment: Assignment
    figures: Figures | None


def check(run: Run, state: AllocationState) -> Checked | None:
    """The independent exact check of the final allocation (the plain heuristic's if it
    fails); None if neither passes. Before any bound round: the allocation is final."""
    compiled = run.compiled
    assignment = to_assignment(compiled, state)
    run.lap("assignment")
    violations, figures = checked_figures(run.problem, assignment)
    if violations:
        run.notes.append("final allocation failed the independent check; used the heuristic")
        state = _constructed(run)
        assignment = to_assignment(compiled, state)
        violations, figures = checked_figures(run.problem, assignment)
        if violations:
            return None
    run.lap("independent check")
    return Checked(state, assignment, figures)


def finish(run: Run, final: Checked | None, floor: Fraction | None) -> SolveOutcome:
    """maxmin's bound on the total, status and what stopped the solve."""
    if final is None:
        return _error("no allocation passed the independent check", run.backend, run.started)
    if run.maxmin and floor is not None:
        _maxmin_bound(run, floor)
    state, assignment = final.state, final.assignment
    objective = float(state.objective())
    bound = None if run.bound is None else max(run.bound, objective)
    proven = bound is not None and _gap_closed(run, objective, bound)
    if run.bound_kind:
        run.notes.append(f"bound: {run.bound_kind}")
    if run.maxmin:
        low = state.min_satisfaction()
        run.notes.append(f"min_satisfaction={float(low) if low is not None else 0.0:.6f}")
        proven = proven and run.min_proven  # the decomposition alone proves no minimum
    stopped = sorted(run.stopped_by - {"completed"})
    stopped_by = (
        "time_limit" if "time_limit" in stopped else (stopped[0] if stopped else "completed")
    )
    return SolveOutcome(
        status="optimal" if proven else "feasible",
        assignment=assignment,
        objective=objective,
        bound=bound,
        solver=_info(run.backend, run.started, stopped_by),
        notes=tuple(run.notes),
        worker_peak_kib=run.worker_peak_kib,
        checked=True,  # check_assignment found nothing on this very assignment (above)
        figures=final.figures,
    )


def _maxmin_bound(run: Run, floor: Fraction) -> None:
    """Bound on the total for maxmin: the LP of the total with every participant >= floor."""
    spec = ObjectiveSpec("maxmin", "total", floor=float(floor) - FLOOR_SAFETY)
    limit = run.options.time_limit_s * LP_TIME_SHARE
    task = RelaxationTask(run.compiled, run.full, run.backend, limit, objective=spec)
    (result,) = run.executor.map(solve_relaxation, [task], _bound_deadline(run))
    if result is not None and result.objective is not None:
        run.tighten_bound(
            result.objective + _penalty_slack(run.compiled), "LP relaxation above the minimum"
        )


def to_assignment(compiled: Compiled, state: AllocationState) -> Assignment:
    """Optional lines from the state plus every core line (u = 1, w = 0), sorted by
    (employee, benefit): each person's few lines sorted, not all of them at once."""
    optional: dict[str, list[tuple[str, AssignmentLine]]] = {}
    for (person_id, benefit), (units, paid) in state.lines().items():
        line = AssignmentLine(units=units, contribution=paid)
        optional.setdefault(person_id, []).append((benefit, line))
    core = AssignmentLine(units=1, contribution=0)
    assignment: Assignment = {}
    for person in sorted(compiled.persons, key=attrgetter("id")):
        lines = [(benefit, core) for benefit in person.core] + optional.get(person.id, [])
        lines.sort(key=itemgetter(0))
        for benefit, line in lines:
            assignment[(person.id, benefit)] = line
    return assignment


def from_assignment(run: Run, assignment: Assignment) -> AllocationState:
    """An assignment's optional lines as an exact state (unchecked)."""
    core = {b.id for b in run.problem.benefits if b.core}
    return _state(
        run,
        [
            (person, benefit, line.units, line.contribution)
            for (person, benefit), line in assignment.items()
            if benefit not in core
        ],
    )


# --- a warm start --------------------------------------------------------------------------


def _warm_state(run: Run, warm: WarmStart | None) -> AllocationState | None:
    if warm is None or check_assignment(run.problem, warm.assignment):
        return None
    return from_assignment(run, warm.assignment)


def _warm_pipeline(run: Run, state: AllocationState, warm: WarmStart) -> SolveOutcome:
    """From a valid allocation: large problems re-solve the groups that gain most (stage 2 on
    the warm shares) and compare with the engine without its MILPs; small ones go straight
    to the polish. Never returns less than the start."""
    run.notes.append(f"warm start: {len(warm.assignment)} lines")
    floor = state.min_satisfaction() if run.maxmin else None
    small = len(run.compiled.persons) <= warm.polish_persons
    if not small and run.node_limit > 0:
        state = _warm_groups(run, state, floor)
    fill(state)
    if not small:
        # The engine without its MILPs (greedy or LP shares, heuristics, fill): a cheap fresh
        # allocation at this problem, out of any dead end the start sat in.
        lite = solve(run.problem, replace(run.options, max_rounds=0), executor=run.executor)
        if lite.status in ("optimal", "feasible"):
            fresh = from_assignment(run, lite.assignment)
            if _better_valid(fresh, state, floor):
                state = fresh
        run.lap("warm groups and fresh heuristic compared")
        return finish(run, check(run, state), None)
    state, floor = polish(
        run,
        state,
        floor,
        run.by_share(WARM_POLISH_SHARE),
        work_share=WARM_POLISH_SHARE,
        polish_persons=warm.polish_persons,
    )
    return finish(run, check(run, state), floor)


def _warm_groups(run: Run, state: AllocationState, floor: Fraction | None) -> AllocationState:
    """Re-solve, warm-started, only the groups that got more resources (a work limit)."""
    compiled = run.compiled
    shares, grew = warm_group_shares(compiled, state)
    lines: dict[str, list[Line]] = {}
    for (person_id, benefit), (units, paid) in state.lines().items():
        group = state.persons[person_id].person.group
        lines.setdefault(group, []).append((person_id, benefit, units, paid))
    allowance = max(1, math.floor(len(compiled.persons) * WARM_MILP_PERSONS_SHARE))
    chosen: list[str] = []
    taken = 0
    for rule in sorted(compiled.groups, key=lambda rule: (-grew.get(rule.id, 0), rule.id)):
        members = run.members.get(rule.id, Stored(())).get()
        if rule.id not in grew or not any(p.participant for p in members):
            continue
        if len(members) > WARM_MILP_GROUP_PERSONS or (chosen and taken + len(members) > allowance):
            continue
        chosen.append(rule.id)
        taken += len(members)
    spec = ObjectiveSpec(
        run.problem.policy.objective,
        "total",
        floor=None if floor is None else float(floor) - FLOOR_SAFETY,
    )
    starts = {group: tuple(group_lines) for group, group_lines in lines.items()}
    for group, result in milp_round(
        run, shares, spec, starts, chosen, share=WARM_GROUPS_SHARE
    ).items():
        lines[group] = list(result.lines)
    improved = _state(run, [line for group in sorted(lines) for line in lines[group]])
    return improved if _better_valid(improved, state, floor) else state


def _better_valid(
    candidate: AllocationState, incumbent: AllocationState, floor: Fraction | None
) -> bool:
    keeps_floor = floor is None or (candidate.min_satisfaction() or 0) >= floor
    return (
        keeps_floor
        and not candidate.violations()
        and candidate.objective() >= incumbent.objective()
    )


def _info(backend: BackendName | str, started: float, stopped_by: str) -> SolverInfo:
    if backend in ("highs", "cbc"):
        name = backend_label(backend)
        version = backend_version(backend)
    else:
        name, version = "flexben-engine", ""
    return SolverInfo(
        name=f"flexben-engine/{name}",
        version=version,
        seconds=round(time.monotonic() - started, 3),
        stopped_by=stopped_by,
    )


def _error(text: str, backend: BackendName | str, started: float) -> SolveOutcome:
    return SolveOutcome(
        status="error",
        assignment={},
        objective=None,
        bound=None,
        solver=_info(backend, started, "error"),
        notes=(text,),
    )
