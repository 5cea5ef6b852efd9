"""The optimisation engine: `solve(problem, options) -> SolveOutcome`.

1. LP relaxation of the whole problem (PuLP; HiGHS or CBC): the proven upper bound and each
   peer group's use of the shared budgets and capacities.
2. Shares of the shared resources per group (largest remainder, never above what is left).
3. Per group, in worker processes: construction heuristic, then a node-limited MILP
   warm-started from it (`solver.decompose`); a group cut off by the deadline keeps its
   heuristic allocation. maxmin runs two rounds: best minimum per group, then the best total
   keeping the global minimum (the smallest of the groups' minima).
4. Leftover shared resources are redistributed across groups (exact greedy fill).
5. Small problems: a monolithic MILP warm-started from that allocation polishes it and may
   prove optimality.
Every candidate allocation is checked in exact arithmetic (`solver.validate`) before it is
returned; work limits (nodes, rounds) decide the result, the wall clock only cuts off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction

from solver.backends import BackendName, backend_label, backend_version, resolve_backend, run_model
from solver.candidates import Compiled, by_group, compile_problem
from solver.decompose import (
    IN_PROCESS_PERSONS,
    GroupResult,
    GroupTask,
    Line,
    Prices,
    RelaxationJob,
    RelaxationTask,
    WholeTask,
    priced_usage,
    run_tasks,
    run_whole,
    split_shares,
)
from solver.diagnose import diagnose
from solver.heuristic import construct, fill
from solver.model import CONTRIBUTION_PENALTY, Limits, ObjectiveSpec, build_model
from solver.state import AllocationState, reduce_contributions
from solver.types import (
    Assignment,
    Problem,
    SolveOptions,
    SolveOutcome,
    SolverInfo,
)
from solver.types import (
    Line as AssignmentLine,
)
from solver.validate import check_assignment

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
LP_TIME_SHARE = 0.55  # backstop for the in-process LP, as a share of the time limit
MILP_TIME_SHARE = 0.85  # the group MILPs stop by this share of the time limit
HEURISTIC_BACKSTOP_S = 3600.0  # construction is fast; this only guards a hung worker
FLOOR_SAFETY = 1e-7  # maxmin floor rows: below the smallest gap between satisfactions


@dataclass(slots=True)
class _Run:
    """Everything one solve shares: the problem, its limits, the backend, what happened."""

    problem: Problem
    compiled: Compiled
    full: Limits
    backend: BackendName
    options: SolveOptions
    started: float
    deadline: float
    node_limit: int
    maxmin: bool
    stopped_by: set[str] = field(default_factory=set)
    bound: float | None = None
    notes: list[str] = field(default_factory=list)

    last_lap: float = 0.0
    worker_peak_kib: int = 0  # largest peak memory reported by a worker process
    min_proven: bool = False  # maxmin: the monolithic MILP proved the minimum optimal

    def lap(self, step: str) -> None:
        """Record how long a step took (notes only; never decides anything)."""
        now = time.monotonic()
        self.notes.append(f"{step}: {now - max(self.started, self.last_lap):.2f}s")
        self.last_lap = now

    def tighten_bound(self, bound: float) -> None:
        self.bound = bound if self.bound is None else min(self.bound, bound)


def solve(problem: Problem, options: SolveOptions = SolveOptions()) -> SolveOutcome:  # noqa: B008
    started = time.monotonic()
    try:
        backend = resolve_backend(options.backend)
    except RuntimeError as error:
        return _error(str(error), "unknown", started)
    try:
        return _solve(problem, options, backend, started)
    except Exception as error:  # an engine failure is reported, never an unchecked allocation
        return _error(f"engine failed: {error!r}", backend, started)


def _solve(
    problem: Problem, options: SolveOptions, backend: BackendName, started: float
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
    run = _Run(
        problem=problem,
        compiled=compiled,
        full=full_limits(compiled),
        backend=backend,
        options=options,
        started=started,
        deadline=started + options.time_limit_s,
        node_limit=options.max_rounds if options.max_rounds is not None else DEFAULT_NODE_LIMIT,
        maxmin=problem.policy.objective == "maxmin",
    )
    # Up to LP_SHARES_PERSONS the LP relaxation (in a worker stopped at its deadline) gives the
    # bound and, by its resource use, each group's shares. Above, the monolithic LP is too slow
    # (25 s and more at 10,000): shares come from a greedy fractional split whose marginal
    # efficiencies price the shared resources, and the bound from the per-group LPs under
    # those prices (Lagrangian relaxation), solved in the groups' workers.
    greedy_usage, prices = priced_usage(compiled)
    lp_shares = len(compiled.persons) <= LP_SHARES_PERSONS
    if lp_shares:
        job = RelaxationJob(
            RelaxationTask(compiled, run.full, backend, options.time_limit_s * LP_TIME_SHARE),
            in_process=len(compiled.persons) <= IN_PROCESS_PERSONS,
        )
        shares = _relaxation_shares(run, job, split_shares(compiled, greedy_usage))
        run.lap("LP relaxation")
    else:
        shares = split_shares(compiled, greedy_usage)
        run.lap("greedy shares and prices")
    spec = ObjectiveSpec("maxmin", "min") if run.maxmin else ObjectiveSpec("utilitarian")
    priced = None if lp_shares or run.maxmin else prices
    heuristic = _round(run, shares, spec, {}, milp=False, prices=priced)
    if priced is not None:
        _lagrangian_bound(run, heuristic, priced)
    run.lap("peer-group heuristics")
    if run.maxmin:
        lines, floor = _maxmin_rounds(run, shares, heuristic)
    else:
        lines, floor = _collect(_round(run, shares, spec, _lines_of(heuristic))), None

    state = AllocationState(compiled.persons, compiled.groups, run.full)
    state.load(lines)
    if state.violations():
        run.notes.append("merged group allocations failed the exact check; rebuilt heuristically")
        state = construct(compiled.persons, compiled.groups, run.full, maxmin=run.maxmin)
    run.lap(f"peer groups (total satisfaction {float(state.objective()):.4f})")
    fill(state, passes=GLOBAL_FILL_PASSES)  # hand out what the groups left of shared resources
    run.lap(f"leftover fill (total satisfaction {float(state.objective()):.4f})")

    state, floor = _polish(run, state, floor)
    reduce_contributions(state)
    run.lap(f"polish (total satisfaction {float(state.objective()):.4f})")
    if run.maxmin and floor is not None:
        _maxmin_bound(run, floor)
    return _outcome(run, state)


def full_limits(compiled: Compiled) -> Limits:
    return Limits(
        budgets=tuple((scope, scope.cap - scope.core_use) for scope in compiled.budgets),
        capacities=compiled.capacities,
    )


def _relaxation_shares(
    run: _Run, job: RelaxationJob, fallback: dict[str, Limits]
) -> dict[str, Limits]:
    """Shares from the LP's resource use and its bound; the fallback when it did not finish."""
    relaxation = job.result(run.started + run.options.time_limit_s * LP_TIME_SHARE)
    if relaxation is None or relaxation.objective is None:
        run.stopped_by.add("time_limit")
        run.notes.append("LP relaxation not solved in time: greedy shares, trivial bound")
        # Each participant's satisfaction is at most 1: a valid (weak) bound.
        run.tighten_bound(float(sum(1 for p in run.compiled.persons if p.participant)))
        return fallback
    if not run.maxmin:
        run.tighten_bound(relaxation.objective + _penalty_slack(run.compiled))
    return split_shares(run.compiled, relaxation.usage)


def _lagrangian_bound(run: _Run, results: dict[str, GroupResult], prices: Prices) -> None:
    """Sum of the groups' priced relaxations plus the prices' value: a valid upper bound."""
    parts = [result.priced_bound for result in results.values()]
    if len(parts) < len(run.compiled.groups) or any(part is None for part in parts):
        run.notes.append("priced relaxation incomplete: trivial bound")
        run.tighten_bound(float(sum(1 for p in run.compiled.persons if p.participant)))
        return
    total = sum(part for part in parts if part is not None)
    run.tighten_bound(total + prices.value(run.compiled) + _penalty_slack(run.compiled))
    run.notes.append("bound: Lagrangian relaxation (per-group LPs under greedy prices)")


def _lines_of(results: dict[str, GroupResult]) -> dict[str, tuple[Line, ...]]:
    return {group: result.lines for group, result in results.items()}


def _penalty_slack(compiled: Compiled) -> float:
    """The model subtracts a tiny contribution penalty: add its largest value back to bounds."""
    return CONTRIBUTION_PENALTY * sum(1 for p in compiled.persons if p.top_up_limit > 0)


def _round(
    run: _Run,
    shares: dict[str, Limits],
    spec: ObjectiveSpec,
    starts: dict[str, tuple[Line, ...]],
    *,
    milp: bool = True,
    prices: Prices | None = None,
) -> dict[str, GroupResult]:
    """Every group: heuristic first (always kept), then its MILP where time allows."""
    members = by_group(run.compiled.persons)
    tasks = [
        GroupTask(
            rule=rule,
            persons=tuple(members.get(rule.id, ())),
            limits=shares[rule.id],
            objective=spec,
            backend=run.backend,
            node_limit=0,
            gap=run.options.gap,
            start=starts.get(rule.id),
            prices=prices,
        )
        for rule in run.compiled.groups
    ]
    results, _ = run_tasks(tasks, run.options.processes, time.monotonic() + HEURISTIC_BACKSTOP_S)
    run.worker_peak_kib = max([run.worker_peak_kib] + [r.peak_kib for r in results.values()])
    if run.node_limit <= 0 or not milp:
        return results
    improve = [
        replace(task, node_limit=run.node_limit, start=results[task.rule.id].lines, prices=None)
        for task in tasks
        if any(p.participant for p in task.persons) and len(task.persons) <= MILP_GROUP_PERSONS
    ]
    # Leave room for the leftover fill, the exact checks and the report after the MILPs.
    cutoff = run.started + run.options.time_limit_s * MILP_TIME_SHARE
    improved, late = run_tasks(improve, run.options.processes, cutoff)
    results.update(improved)
    for result in improved.values():
        run.stopped_by.add(result.stopped_by)
        run.worker_peak_kib = max(run.worker_peak_kib, result.peak_kib)
    if late:
        run.stopped_by.add("time_limit")
        run.notes.append(f"time limit: {len(late)} peer group(s) kept their heuristic allocation")
    return results


def _collect(results: dict[str, GroupResult]) -> list[Line]:
    return [line for group in sorted(results) for line in results[group].lines]


def _maxmin_rounds(
    run: _Run, shares: dict[str, Limits], heuristic: dict[str, GroupResult]
) -> tuple[list[Line], Fraction | None]:
    """Best minimum per group; the global minimum is the smallest; then best totals above it."""
    first = _round(run, shares, ObjectiveSpec("maxmin", "min"), _lines_of(heuristic))
    state = AllocationState(run.compiled.persons, run.compiled.groups, run.full)
    state.load(_collect(first))
    floor = state.min_satisfaction()
    if floor is None:
        return _collect(first), None
    spec = ObjectiveSpec("maxmin", "total", floor=float(floor) - FLOOR_SAFETY)
    second = _round(run, shares, spec, _lines_of(first))
    merged: list[Line] = []
    for group in sorted(second):
        trial = AllocationState(run.compiled.persons, run.compiled.groups, run.full)
        trial.load(second[group].lines)
        chosen = second[group] if _keeps_floor(trial, floor, group) else first[group]
        merged.extend(chosen.lines)
    return merged, floor


def _keeps_floor(state: AllocationState, floor: Fraction, group: str | None = None) -> bool:
    return all(
        state.satisfaction(pid) >= floor
        for pid, ps in state.persons.items()
        if ps.person.participant and (group is None or ps.person.group == group)
    )


def _polish(
    run: _Run, state: AllocationState, floor: Fraction | None
) -> tuple[AllocationState, Fraction | None]:
    """Small problems: the monolithic MILP warm-started from `state`, in a stoppable process.

    maxmin first raises the minimum itself (phase "min"), then the total above it.
    """
    compiled = run.compiled
    if len(compiled.persons) > POLISH_PERSONS or run.node_limit <= 0:
        return state, floor
    if run.maxmin and floor is not None:
        halfway = time.monotonic() + (run.deadline - time.monotonic()) / 2
        raised = _polish_once(run, state, ObjectiveSpec("maxmin", "min"), None, halfway)
        low = raised.min_satisfaction() if raised is not None else None
        if raised is not None and low is not None and low > floor:
            state, floor = raised, low
    kind = compiled.problem.policy.objective
    spec = ObjectiveSpec(
        kind, "total", floor=float(floor) - FLOOR_SAFETY if floor is not None else None
    )
    polished = _polish_once(run, state, spec, floor, run.deadline)
    if polished is not None and polished.objective() >= state.objective():
        state = polished
    return state, floor


def _polish_once(
    run: _Run,
    state: AllocationState,
    spec: ObjectiveSpec,
    floor: Fraction | None,
    deadline: float,
) -> AllocationState | None:
    """One monolithic MILP from `state`; its allocation when valid (and above `floor`)."""
    compiled = run.compiled
    if time.monotonic() >= deadline:
        return None
    task = WholeTask(
        persons=compiled.persons,
        groups=compiled.groups,
        limits=run.full,
        objective=spec,
        backend=run.backend,
        node_limit=max(1, run.node_limit * _polish_nodes_per_group_node(len(compiled.persons))),
        gap=run.options.gap,
        start=tuple((p, b, u, w) for (p, b), (u, w) in state.lines().items()),
    )
    result = run_whole(task, deadline)
    if result is None:
        run.stopped_by.add("time_limit")
        run.notes.append("time limit: the monolithic polish was stopped")
        return None
    run.worker_peak_kib = max(run.worker_peak_kib, result.peak_kib)
    run.stopped_by.add(result.stopped_by)
    if spec.phase == "min":
        run.min_proven = result.stopped_by == "completed"
    elif result.bound is not None:
        # maxmin: the best allocation keeps a minimum >= floor, so it is feasible here too.
        run.tighten_bound(result.bound + _penalty_slack(compiled))
    polished = AllocationState(compiled.persons, compiled.groups, run.full)
    polished.load(result.lines)
    if polished.violations() or (floor is not None and not _keeps_floor(polished, floor)):
        return None
    return polished


def _polish_nodes_per_group_node(persons: int) -> int:
    return max(1, min(POLISH_NODES_PER_GROUP_NODE, POLISH_NODE_WORK // max(1, persons)))


def _maxmin_bound(run: _Run, floor: Fraction) -> None:
    """Bound on the total for maxmin: the LP of the total with every participant >= floor."""
    spec = ObjectiveSpec("maxmin", "total", floor=float(floor) - FLOOR_SAFETY)
    compiled = run.compiled
    problem, _ = build_model(
        "maxmin_bound", compiled.persons, compiled.groups, run.full, spec, relax=True
    )
    result = run_model(
        problem, run.backend, mip=False, time_limit_s=run.options.time_limit_s * LP_TIME_SHARE
    )
    if result.proven_optimal and result.objective is not None:
        run.tighten_bound(result.objective + _penalty_slack(compiled))


def _outcome(run: _Run, state: AllocationState) -> SolveOutcome:
    compiled = run.compiled
    assignment = to_assignment(compiled, state)
    if check_assignment(run.problem, assignment):
        run.notes.append("final allocation failed the independent check; used the heuristic")
        state = construct(compiled.persons, compiled.groups, run.full, maxmin=run.maxmin)
        assignment = to_assignment(compiled, state)
        if check_assignment(run.problem, assignment):
            return _error("no allocation passed the independent check", run.backend, run.started)
    objective = float(state.objective())
    bound = None if run.bound is None else max(run.bound, objective)
    # The bound carries the contribution penalty's slack: within it, nothing is left to prove.
    slack = _penalty_slack(compiled)
    proven = bound is not None and bound - objective <= run.options.gap * abs(bound) + slack
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
    )


def to_assignment(compiled: Compiled, state: AllocationState) -> Assignment:
    """Optional lines from the state plus every core line (u = 1, w = 0)."""
    assignment: Assignment = {}
    for person in compiled.persons:
        for benefit in person.core:
            assignment[(person.id, benefit)] = AssignmentLine(units=1, contribution=0)
    for (person_id, benefit), (units, paid) in state.lines().items():
        assignment[(person_id, benefit)] = AssignmentLine(units=units, contribution=paid)
    return dict(sorted(assignment.items()))


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
