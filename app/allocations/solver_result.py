"""What the solver said about a problem, as app-side types: the adapter
(app.allocations.solver_adapter) reads the solver's result document into these, and runs
read attributes. Figures stored as they come (per-group and per-budget figures, KPIs) and
explanations are carried unread: their payload is the solver's to define.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

SOLVED = ("optimal", "feasible")


@dataclass(frozen=True)
class SolverIdentity:
    """Which solver decided, and how long it took (stored with a run)."""

    name: str | None
    version: str | None
    seconds: float | None


class AllocatedLine(NamedTuple):
    """Units of one benefit for one employee; `held`: an event run's line kept as it was.
    (A named tuple: a run reads 700,000 of them, in a fifth of a frozen dataclass's time.)"""

    employee: str
    benefit: str
    units: int
    employer_cost: int
    employee_cost: int
    held: bool = False


@dataclass(frozen=True)
class EmployeeFigures:
    satisfaction: float | None = None
    value: int = 0
    top_up: int = 0
    explanations: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class SolverResult:
    """`status`: optimal, feasible, infeasible or error. `diagnosis`: the texts of what
    makes it infeasible; `violations`: those of the rules an allocation broke (error)."""

    status: str
    solver: SolverIdentity | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    lines: tuple[AllocatedLine, ...] = ()
    employees: Mapping[str, EmployeeFigures] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)
    budgets: list[dict[str, Any]] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    diagnosis: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()
    error: str | None = None

    @property
    def solved(self) -> bool:
        return self.status in SOLVED
