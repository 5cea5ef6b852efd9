"""MILP/LP backends through PuLP: HiGHS (highspy) when importable, bundled CBC otherwise.

`run_model` solves a built `LpProblem` single-threaded with a fixed seed and work limits
(node limit), optionally warm-started from the variables' current values, and reports
what it found and the best bound it proved. Solver time limits are only a backstop: they
are not reliably honoured, so callers enforce deadlines from outside (worker processes).
Values are never trusted without a status check; callers validate them exactly anyway.
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from typing import Any, Literal

from pulp import COIN_CMD, LpProblem, LpSolver, const
from pulp.apis.highs_api import HiGHS

from solver.types import Backend

BackendName = Literal["highs", "cbc"]
RANDOM_SEED = 20270101
NO_PRIMAL_HEURISTICS: dict[str, Any] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


@dataclass(frozen=True, slots=True)
class RunResult:
    has_solution: bool  # the variables carry an integer-feasible (or LP-optimal) point
    proven_optimal: bool
    objective: float | None
    bound: float | None  # best proven upper bound (maximisation), when the backend reports it
    stopped_by: str  # "completed", "node_limit", "time_limit", "no_solution"
    # HiGHS: simplex iterations x the model's nonzeros, the solve's effort as a count that is
    # the same on every run and machine (seconds are not); 0: not measured (CBC).
    work: int = 0


def highs_available() -> bool:
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(choice: Backend) -> BackendName:
    if choice == "highs":
        if not highs_available():
            raise RuntimeError("backend: 'highs' requested but highspy is not installed")
        return "highs"
    if choice == "cbc":
        return "cbc"
    return "highs" if highs_available() else "cbc"


@functools.cache
def backend_version(name: BackendName) -> str:
    if name == "highs":
        import highspy

        return f"highspy {highspy.Highs().version()}"  # type: ignore[no-untyped-call]
    try:
        banner = subprocess.run(
            [_cbc_path(), "-quit"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "CBC (version unknown)"
    for line in banner.splitlines():
        if line.strip().startswith("Version:"):
            return f"CBC {line.split(':', 1)[1].strip()}"
    return "CBC (version unknown)"


def backend_label(name: BackendName) -> str:
    return "HiGHS" if name == "highs" else "CBC"


def _cbc_path() -> str:
    """The CBC binary bundled with PuLP 3.x, else `cbc` on PATH (PuLP 4.0 drops the bundle)."""
    try:
        from pulp.apis.coin_api import pulp_cbc_path

        bundled = str(COIN_CMD.executableExtension(pulp_cbc_path))
        if os.access(bundled, os.X_OK):
            return bundled
    except ImportError:
        pass
    return "cbc"


class _WarmHiGHS(HiGHS):  # type: ignore[misc]
    """PuLP's HiGHS API solver, handing the variables' current values over as a start."""

    def __init__(self, warm_start: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.warm_start = warm_start

    def callSolver(self, lp: LpProblem) -> None:  # noqa: N802 (PuLP's name)
        if self.warm_start:
            import highspy

            solution = highspy.HighsSolution()
            solution.col_value = [float(v.varValue or 0.0) for v in lp.variables()]
            solution.value_valid = True
            lp.solverModel.setSolution(solution)
        lp.solverModel.run()

    def findSolutionValues(self, lp: LpProblem) -> tuple[int, int]:  # noqa: N802 (PuLP's name)
        # PuLP 3.3 has no entry for some HiGHS statuses (e.g. the node limit's kSolutionLimit);
        # the values are assigned before the lookup fails, so only the status needs mapping.
        try:
            statuses: tuple[int, int] = super().findSolutionValues(lp)
        except KeyError:
            feasible = lp.solverModel.getInfo().primal_solution_status == 2
            if feasible:
                return const.LpStatusOptimal, const.LpSolutionIntegerFeasible
            return const.LpStatusNotSolved, const.LpSolutionNoSolutionFound
        return statuses


def run_model(
    problem: LpProblem,
    backend: BackendName,
    *,
    mip: bool = True,
    node_limit: int | None = None,
    gap: float = 1e-4,
    time_limit_s: float | None = None,
    warm_start: bool = False,
    heuristic_effort: float | None = None,
    primal_heuristics: bool = True,
) -> RunResult:
    """Solve `problem` (maximisation) and report what was found and proved.

    `heuristic_effort` (HiGHS only): share of the branch-and-bound work spent in primal
    heuristics (sub-MIPs); None keeps the solver's default. `primal_heuristics=False`
    (HiGHS only) switches them all off: for a bound alone they cost most of a small model's
    root node and prove nothing.
    """
    solver: LpSolver
    if backend == "highs":
        # Restarts re-run the root (cuts, sub-MIPs) and dominate small models' time.
        options: dict[str, Any] = {"random_seed": 0, "mip_rel_gap": gap, "mip_allow_restart": False}
        if node_limit is not None:
            options["mip_max_nodes"] = node_limit
        if heuristic_effort is not None:
            options["mip_heuristic_effort"] = heuristic_effort
        if not primal_heuristics:
            options |= NO_PRIMAL_HEURISTICS
        solver = _WarmHiGHS(
            warm_start,
            mip=mip,
            msg=False,
            threads=1,
            timeLimit=time_limit_s,
            **options,
        )
        problem.solve(solver)
        return _highs_result(problem, mip)
    solver = COIN_CMD(
        path=_cbc_path(),
        mip=mip,
        msg=False,
        gapRel=gap,
        timeLimit=time_limit_s,
        threads=1,
        maxNodes=node_limit,
        warmStart=warm_start,
        options=[f"randomSeed {RANDOM_SEED}", f"randomCbcSeed {RANDOM_SEED}"],
    )
    status = problem.solve(solver)
    has_solution = status == const.LpStatusOptimal and problem.sol_status in (
        const.LpSolutionOptimal,
        const.LpSolutionIntegerFeasible,
    )
    proven = problem.sol_status == const.LpSolutionOptimal
    objective = problem.objective.value() if has_solution else None
    return RunResult(
        has_solution=has_solution,
        proven_optimal=proven,
        objective=float(objective) if objective is not None else None,
        bound=float(objective) if proven and objective is not None else None,
        stopped_by="completed" if proven else ("node_limit" if has_solution else "no_solution"),
    )


def _highs_result(problem: LpProblem, mip: bool) -> RunResult:
    import highspy

    model = problem.solverModel
    status = model.getModelStatus()
    info = model.getInfo()
    statuses = highspy.HighsModelStatus
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    proven = status == statuses.kOptimal
    objective = -float(info.objective_function_value) if has_solution else None
    if not mip:
        bound = objective if proven else None
    else:
        dual = float(info.mip_dual_bound)
        bound = -dual if abs(dual) < 1e30 else None
    if proven:
        stopped_by = "completed"
    elif status == statuses.kTimeLimit:
        stopped_by = "time_limit"
    elif has_solution:
        stopped_by = "node_limit"
    else:
        stopped_by = "no_solution"
    work = max(0, int(info.simplex_iteration_count)) * max(0, int(model.getNumNz()))
    return RunResult(has_solution, proven, objective, bound, stopped_by, work)
