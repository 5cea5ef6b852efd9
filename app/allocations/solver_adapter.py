"""The only module of `app` that imports `solver`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from solver.api import solve_document
from solver.cli import cli as solver_cli
from solver.errors import ProblemError
from solver.load import load_problem
from solver.sweep import price_of_fairness, sweep_budget
from solver.types import SolveOptions
from solver.validate import format_money

__all__ = ["ProblemError", "budget_curve", "format_money", "problem_issues", "solve", "solver_cli"]

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


def budget_curve(
    problem: Mapping[str, Any],
    *,
    budget_id: str,
    caps: list[int],
    time_limit_s: float | None,
    minor_units_per_1000: int,
    on_step: Callable[[int, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """The budget <-> satisfaction curve of `problem` (see solver.sweep): `steps`, one per
    cap ascending, and `price_of_fairness` at the problem's own cap (reported to
    `on_step` as the step after the last cap). Raises `ProblemError` when invalid,
    ValueError when `budget_id` is not a budget of the problem."""
    loaded = load_problem(problem)
    options = SolveOptions(time_limit_s=time_limit_s or DEFAULT_TIME_LIMIT_S)
    steps = sweep_budget(
        loaded, budget_id, caps, options, on_step, minor_units_per_1000=minor_units_per_1000
    )
    fairness = price_of_fairness(loaded, options)
    if on_step is not None:
        on_step(len(steps), fairness)
    return {"steps": steps, "price_of_fairness": fairness}
