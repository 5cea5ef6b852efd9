"""The only module of `app` that imports `solver`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from solver.api import solve_document
from solver.cli import cli as solver_cli
from solver.errors import ProblemError
from solver.types import SolveOptions

__all__ = ["ProblemError", "problem_issues", "solve", "solver_cli"]

DEFAULT_TIME_LIMIT_S = 60.0


def solve(problem: Mapping[str, Any], *, time_limit_s: float | None) -> dict[str, Any]:
    """The `flexben.allocation/v1` result of a problem document (reproducible: the stored
    result never depends on timing except through the solver's own time limit).

    Raises `ProblemError` when the document is invalid (a bug in the problem builder or
    data the builder did not foresee; the run then fails with the issues listed).
    """
    options = SolveOptions(time_limit_s=time_limit_s or DEFAULT_TIME_LIMIT_S)
    return solve_document(problem, options)


def problem_issues(error: ProblemError) -> str:
    """An invalid problem's issues in plain words, one per line."""
    return "\n".join(str(issue) for issue in error.issues)
