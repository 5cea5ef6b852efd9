"""The solver pipeline the service and the CLI call: validate, diagnose, solve, check, report.

- `solve_document(doc, options, reproducible=False) -> dict`: a `flexben.problem/v1`
  document in (raises `solver.errors.ProblemError` listing every issue when invalid), a
  `flexben.allocation/v1` document out.
- `solve_problem(problem, options, reproducible=False) -> dict`: the same from a loaded
  `Problem`.

An infeasible problem (core benefits alone over a budget or a capacity) is reported with
status `infeasible` before any solve. Every allocation the engine returns is checked by
the independent checker (once: by the engine's last stage, or here); if it breaks any rule
the result has status `error` with the violations and no allocation — never a silently
broken allocation.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping
from typing import Any

from solver.diagnose import diagnose
from solver.engine import solve
from solver.load import load_problem
from solver.report import build_result
from solver.types import Problem, SolveOptions, SolveOutcome, SolverInfo
from solver.validate import check_assignment


def solve_document(
    doc: Mapping[str, Any], options: SolveOptions | None = None, *, reproducible: bool = False
) -> dict[str, Any]:
    """Validate and solve a problem document (raises `ProblemError` when invalid)."""
    return solve_problem(load_problem(doc), options, reproducible=reproducible)


def solve_problem(
    problem: Problem, options: SolveOptions | None = None, *, reproducible: bool = False
) -> dict[str, Any]:
    """The result document of `problem`: infeasible, solved and checked, or error."""
    options = options or SolveOptions()
    infeasibility = diagnose(problem)
    if infeasibility:
        outcome = SolveOutcome(
            status="infeasible",
            assignment={},
            objective=None,
            bound=None,
            solver=SolverInfo(name="diagnosis", version="1", seconds=0.0),
            infeasibility=infeasibility,
        )
        return build_result(problem, outcome, reproducible=reproducible)
    started = time.monotonic()
    try:
        outcome = solve(problem, options)
    except Exception as error:  # an engine crash becomes an `error` result, not a traceback
        failed = SolveOutcome(
            status="error",
            assignment={},
            objective=None,
            bound=None,
            solver=SolverInfo(name="engine", version="", seconds=time.monotonic() - started),
            notes=(traceback.format_exception_only(error)[-1].strip(),),
        )
        return build_result(
            problem, failed, reproducible=reproducible, error=f"the engine failed: {error!r}"
        )
    if outcome.status == "error":
        return build_result(
            problem, outcome, reproducible=reproducible, error="the engine reported an error"
        )
    if outcome.status == "infeasible":
        # Diagnosis found nothing, so the engine's claim cannot be trusted.
        return build_result(
            problem,
            outcome,
            reproducible=reproducible,
            error="the engine reported infeasibility the diagnosis does not confirm",
        )
    # The engine's outcome says whether it already ran the checker on this assignment.
    violations = [] if outcome.checked else check_assignment(problem, outcome.assignment)
    return build_result(problem, outcome, reproducible=reproducible, violations=violations)
