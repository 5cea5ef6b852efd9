"""The only module of `app` that imports `solver`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from app.allocations.solver_result import (
    AllocatedLine,
    EmployeeFigures,
    SolverIdentity,
    SolverResult,
)
from app.config import get_settings
from solver.api import solve_document
from solver.cli import cli as solver_cli
from solver.collector import collector_paused
from solver.errors import ProblemError
from solver.event import EventRequest, FrozenGroup, prorate, reallocate
from solver.executors import default_processes
from solver.load import load_problem
from solver.sweep import price_of_fairness, sweep_budget
from solver.types import FixedLine, Line, SolveOptions

__all__ = [
    "ProblemError",
    "budget_curve",
    "collector_paused",
    "problem_issues",
    "prorate",
    "solve",
    "solve_event",
    "solver_cli",
]

DEFAULT_TIME_LIMIT_S = 60.0


def solve(problem: Mapping[str, Any], *, time_limit_s: float | None) -> SolverResult:
    """The result of a problem document (the solver's `flexben.allocation/v1`, read into
    app types; reproducible: it never depends on timing except through the solver's own
    time limit).

    Raises `ProblemError` when the document is invalid (a bug in the problem builder or
    data the builder did not foresee; the run then fails with the issues listed).
    """
    doc = solve_document(problem, _options(time_limit_s))
    with collector_paused():  # 700,000 lines at 100,000 employees: see solver.collector
        return solver_result(doc)


def _texts(items: Any) -> tuple[str, ...]:
    return tuple(str(item.get("text")) for item in items or ())


def solver_result(doc: Mapping[str, Any]) -> SolverResult:
    """The solver's result document (an allocation's, or an event's) as app types."""
    solver = doc.get("solver")
    return SolverResult(
        status=doc["status"],
        solver=None
        if not solver
        else SolverIdentity(solver.get("name"), solver.get("version"), solver.get("seconds")),
        objective=doc.get("objective"),
        bound=doc.get("bound"),
        gap=doc.get("gap"),
        lines=tuple(
            AllocatedLine(
                employee=line["employee"],
                benefit=line["benefit"],
                units=line["units"],
                employer_cost=line["employer_cost"],
                employee_cost=line["employee_cost"],
                held=bool(line.get("held")),
            )
            for line in doc.get("allocations") or ()
        ),
        employees={
            row["id"]: EmployeeFigures(
                satisfaction=row.get("satisfaction"),
                value=row.get("value", 0),
                top_up=row.get("top_up", 0),
                explanations=list(row.get("explanations", [])),
            )
            for row in doc.get("employees") or ()
        },
        groups=list(doc.get("groups") or []),
        budgets=list(doc.get("budgets") or []),
        kpis=dict(doc.get("kpis") or {}),
        diagnosis=_texts(doc.get("infeasibility")),
        violations=_texts(doc.get("violations")),
        error=doc.get("error"),
    )


def _options(time_limit_s: float | None) -> SolveOptions:
    """The solve's options: its time limit, and where it works (FLEXBEN_SOLVER_PROCESSES,
    FLEXBEN_SOLVER_EXECUTOR, FLEXBEN_RAY_ADDRESS)."""
    settings = get_settings()
    return SolveOptions(
        time_limit_s=time_limit_s or DEFAULT_TIME_LIMIT_S,
        processes=settings.solver_processes or default_processes(),
        executor=settings.solver_executor,
        ray_address=settings.ray_address,
    )


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
    options = _options(time_limit_s)
    steps = sweep_budget(
        loaded, budget_id, caps, options, on_step, minor_units_per_1000=minor_units_per_1000
    )
    fairness = price_of_fairness(loaded, options)
    if on_step is not None:
        on_step(len(steps), fairness)
    return {"steps": steps, "price_of_fairness": fairness}


def solve_event(doc: Mapping[str, Any], *, time_limit_s: float | None) -> SolverResult:
    """Re-allocate one employee (`flexben.event/v1`, built by app.life_events.runs): the
    solver's one-employee document (see solver.event.reallocate). Raises `ProblemError`
    when the embedded problem is invalid."""
    frozen = doc.get("frozen")
    request = EventRequest(
        employee=doc["employee"],
        days=doc["days"],
        period_days=doc["period_days"],
        fixed=tuple(FixedLine(**line) for line in doc["fixed"]),
        frozen=None
        if frozen is None
        else FrozenGroup(
            participants=frozen["participants"],
            mean=Fraction(frozen["mean"]),
            includes_employee=frozen["includes_employee"],
        ),
        previous={
            code: Line(line["units"], line["contribution"])
            for code, line in doc["previous"].items()
        },
        changeable=None if doc["changeable"] is None else frozenset(doc["changeable"]),
    )
    return solver_result(reallocate(load_problem(doc["problem"]), request, _options(time_limit_s)))
