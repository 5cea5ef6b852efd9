"""Turn a solver result document into the rows of a finished run.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.allocations.explanations import storable

CASH_BENEFIT = "LEFTOVER-CASH"
STATUS_BY_SOLVER = {
    "optimal": "succeeded",
    "feasible": "succeeded",
    "infeasible": "infeasible",
    "error": "failed",
}


@dataclass
class RunOutcome:
    """Everything a finished run stores: run columns, line rows, employee rows."""

    values: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    employees: list[dict[str, Any]] = field(default_factory=list)


def failed_outcome(error: str) -> RunOutcome:
    return RunOutcome(values={"status": "failed", "error": error})


def _optional_values(problem: Mapping[str, Any], lines: list[dict[str, Any]]) -> dict[str, int]:
    core = {b["id"] for b in problem["benefits"] if b.get("core")}
    values: dict[str, int] = {}
    for line in lines:
        if line["benefit"] not in core:
            values[line["employee"]] = values.get(line["employee"], 0) + line["employer_cost"]
    return values


def _points(preferences: Mapping[str, Any]) -> dict[str, Any]:
    return {
        code: entry if isinstance(entry, dict) else {"points": entry, "units": 1}
        for code, entry in preferences.items()
    }


def _error_text(result: Mapping[str, Any]) -> str | None:
    if result["status"] == "infeasible":
        return " ".join(item["text"] for item in result.get("infeasibility", []))
    if result["status"] == "error":
        return str(result.get("error") or "the solver failed")
    return None


def outcome_of(
    problem: Mapping[str, Any], result: Mapping[str, Any], *, leftover_policy: str
) -> RunOutcome:
    """The rows of a run from its problem and the solver's result document."""
    solver = result.get("solver") or {}
    kpis = dict(result.get("kpis") or {})
    status = STATUS_BY_SOLVER.get(result["status"], "failed")
    values: dict[str, Any] = {
        "status": status,
        "solver_status": result["status"],
        "solver_name": solver.get("name"),
        "solver_version": solver.get("version"),
        "solver_seconds": solver.get("seconds"),
        "objective": result.get("objective"),
        "bound": result.get("bound"),
        "gap": result.get("gap"),
        "groups": list(result.get("groups") or []),
        "budgets": list(result.get("budgets") or []),
        "error": _error_text(result),
        "kpis": kpis,
    }
    if status != "succeeded":
        return RunOutcome(values=values)
    lines = [
        {
            "employee": row["employee"],
            "benefit": row["benefit"],
            "kind": "benefit",
            "units": row["units"],
            "employer_cost": row["employer_cost"],
            "employee_cost": row["employee_cost"],
        }
        for row in result["allocations"]
    ]
    optional = _optional_values(problem, lines)
    reported = {row["id"]: row for row in result.get("employees", [])}
    employees: list[dict[str, Any]] = []
    leftover_total = 0
    for person in problem["employees"]:
        external_id = person["id"]
        row = reported.get(external_id, {})
        allowance = person.get("allowance")
        leftover = max(allowance - optional.get(external_id, 0), 0) if allowance else 0
        leftover_total += leftover
        if leftover and leftover_policy == "cash":
            lines.append(
                {
                    "employee": external_id,
                    "benefit": CASH_BENEFIT,
                    "kind": "leftover_cash",
                    "units": 1,
                    "employer_cost": leftover,
                    "employee_cost": 0,
                }
            )
        employees.append(
            {
                "employee": external_id,
                "peer_group": person["group"],
                "satisfaction": row.get("satisfaction"),
                "value": optional.get(external_id, 0),
                "top_up": row.get("top_up", 0),
                "allowance": allowance,
                "leftover": leftover,
                "preferences": _points(person.get("preferences", {})),
                "explanations": storable(row.get("explanations", [])),
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
    lines.sort(key=lambda line: (line["employee"], line["benefit"]))
    return RunOutcome(values=values, lines=lines, employees=employees)
