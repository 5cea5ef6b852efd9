"""Turn what the solver said (app.allocations.solver_result) into the rows of a finished run.

Status mapping: optimal / feasible -> `succeeded` (the solver's status is kept in
`solver_status`), infeasible -> `infeasible` (the diagnosis texts become `error`, in plain
words), error -> `failed`.

Leftover allowance (allowance - employer-funded optional value), by the period's
`leftover_policy`:
- `forfeit`: nothing is paid; the amount is only reported (KPI `leftover_forfeited`);
- `cash`: one taxable line per employee with unused allowance, benefit `LEFTOVER-CASH`,
  kind `leftover_cash`, paid by the employer (KPI `leftover_cash`, and
  `total_employer_cost_with_leftover`);
- `carry_over`: the amount is kept per employee (`run_employees.leftover`); approving the
  run records it for the next period's allowance (KPI `leftover_carried_over`).

Explanations are stored as the solver's codes and figures, without its English text: they
are worded when read (app/allocations/explanations.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from app.allocations.explanations import storable
from app.allocations.solver_result import (
    AllocatedLine,
    EmployeeFigures,
    SolverIdentity,
    SolverResult,
)

CASH_BENEFIT = "LEFTOVER-CASH"
NOT_REPORTED = EmployeeFigures()  # an employee the solver reported nothing about
STATUS_BY_SOLVER = {
    "optimal": "succeeded",
    "feasible": "succeeded",
    "infeasible": "infeasible",
    "error": "failed",
}


@dataclass
class RunOutcome:
    """Everything a finished run stores: its columns, its lines and its employees' rows."""

    columns: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    employees: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.columns["status"])

    @property
    def error(self) -> str | None:
        return self.columns.get("error")


def failed_outcome(error: str) -> RunOutcome:
    return RunOutcome(columns={"status": "failed", "error": error})


def _optional_values(problem: Mapping[str, Any], lines: Sequence[AllocatedLine]) -> dict[str, int]:
    core = {b["id"] for b in problem["benefits"] if b.get("core")}
    values: dict[str, int] = {}
    for line in lines:
        if line.benefit not in core:
            values[line.employee] = values.get(line.employee, 0) + line.employer_cost
    return values


def _points(preferences: Mapping[str, Any]) -> dict[str, Any]:
    return {
        code: entry if isinstance(entry, dict) else {"points": entry, "units": 1}
        for code, entry in preferences.items()
    }


def _error_text(result: SolverResult) -> str | None:
    if result.status == "infeasible":
        return " ".join(result.diagnosis)
    if result.status == "error":
        return result.error or "the solver failed"
    return None


def solver_columns(result: SolverResult) -> dict[str, Any]:
    """The run's columns that say which solver decided and how well."""
    solver = result.solver or SolverIdentity(None, None, None)
    return {
        "solver_name": solver.name,
        "solver_version": solver.version,
        "solver_seconds": solver.seconds,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
    }


def line_row(line: AllocatedLine, *, kind: str = "benefit") -> dict[str, Any]:
    """A run's line of an allocated benefit (dates: the run's span unless given)."""
    return {
        "employee": line.employee,
        "benefit": line.benefit,
        "kind": kind,
        "units": line.units,
        "employer_cost": line.employer_cost,
        "employee_cost": line.employee_cost,
    }


def outcome_of(
    problem: Mapping[str, Any], result: SolverResult, *, leftover_policy: str
) -> RunOutcome:
    """The rows of a run from its problem and what the solver said."""
    kpis = dict(result.kpis)
    status = STATUS_BY_SOLVER.get(result.status, "failed")
    columns: dict[str, Any] = {
        "status": status,
        "solver_status": result.status,
        **solver_columns(result),
        "groups": list(result.groups),
        "budgets": list(result.budgets),
        "error": _error_text(result),
        "kpis": kpis,
    }
    if status != "succeeded":
        return RunOutcome(columns=columns)
    lines = [line_row(line) for line in result.lines]
    optional = _optional_values(problem, result.lines)
    employees: list[dict[str, Any]] = []
    leftover_total = 0
    for person in problem["employees"]:
        external_id = person["id"]
        figures = result.employees.get(external_id, NOT_REPORTED)
        allowance = person.get("allowance")
        leftover = max(allowance - optional.get(external_id, 0), 0) if allowance else 0
        leftover_total += leftover
        if leftover and leftover_policy == "cash":
            cash = AllocatedLine(external_id, CASH_BENEFIT, 1, leftover, 0)
            lines.append(line_row(cash, kind="leftover_cash"))
        employees.append(
            {
                "employee": external_id,
                "peer_group": person["group"],
                "satisfaction": figures.satisfaction,
                "value": optional.get(external_id, 0),
                "top_up": figures.top_up,
                "allowance": allowance,
                "leftover": leftover,
                "preferences": _points(person.get("preferences", {})),
                "explanations": storable(figures.explanations),
            }
        )
    kpis["leftover_policy"] = leftover_policy
    if leftover_policy == "cash":
        kpis["leftover_cash"] = leftover_total
        kpis["total_employer_cost_with_leftover"] = (
            int(kpis.get("total_employer_cost", 0)) + leftover_total
        )
    elif leftover_policy == "carry_over":
        kpis["leftover_carried_over"] = leftover_total
    else:
        kpis["leftover_forfeited"] = leftover_total
    lines.sort(key=itemgetter("employee", "benefit"))
    return RunOutcome(columns=columns, lines=lines, employees=employees)
