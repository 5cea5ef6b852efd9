"""Request and response bodies of runs and allocations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["queued", "running", "succeeded", "failed", "infeasible"]


class RunCreate(BaseModel):
    """Start a run of the period's current inputs: a baseline run, or with `scenario_id` a
    scenario run (the scenario's overrides applied; never approvable)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"time_limit_s": 60}]}
    )

    scenario_id: str | None = Field(
        default=None, description="a scenario of this period: run it (finance or hr_admin)"
    )

    time_limit_s: float | None = Field(
        default=None,
        gt=0,
        le=3600,
        description="wall-clock safety limit of the solver in seconds (default 60)",
    )


class SolverOut(BaseModel):
    name: str | None
    version: str | None
    seconds: float | None
    status: str | None = Field(description="the solver's own status: optimal, feasible, ...")


class RunOut(BaseModel):
    id: str
    period_id: str
    scenario_id: str | None = None
    status: RunStatus
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    time_limit_s: float | None
    problem_sha256: str | None = Field(
        description="SHA-256 of the run's problem; null until its job has built it"
    )
    solver: SolverOut | None
    objective: float | None
    bound: float | None
    gap: float | None
    kpis: dict[str, Any]
    groups: list[dict[str, Any]] = Field(
        default_factory=list, description="per peer group: participants, mean_value, max_ratio"
    )
    budgets: list[dict[str, Any]] = Field(default_factory=list, description="cap and use")
    error: str | None
    hint: str | None = Field(
        default=None, description="why a queued run has not started (no worker taking jobs)"
    )


class LineOut(BaseModel):
    employee: str
    benefit: str
    kind: Literal["benefit", "leftover_cash"] = "benefit"
    units: int
    employer_cost: int
    employee_cost: int
    effective_from: date
    effective_to: date


class ExplanationOut(BaseModel):
    benefit: str
    reasons: list[str] = Field(
        description="the rules one more unit would break: not_eligible, allowance, "
        "budget:<id>, capacity, exclusive:<benefit received>, requires:<benefit>, "
        "equity_band; or not_selected"
    )
    text: str = Field(description="those reasons in words, in the Accept-Language's language")


class RunEmployeeOut(BaseModel):
    employee: str
    peer_group: str
    satisfaction: float | None = Field(description="null for employees who gave no points")
    value: int = Field(description="employer-funded value of optional benefits, minor units")
    top_up: int
    allowance: int | None
    leftover: int
    preferences: dict[str, Any]
    lines: list[LineOut]
    explanations: list[ExplanationOut]


class WishOut(BaseModel):
    benefit: str
    points: int
    units_wanted: int
    units_received: int
    honoured: bool = Field(description="received in full")


class PeerGroupFigures(BaseModel):
    code: str
    participants: int
    mean_value: int | None = Field(
        description="shown only when the group has at least 5 participants"
    )


class MyAllocationOut(BaseModel):
    period_id: str
    version: int
    currency: str
    effective_from: str
    effective_to: str
    lines: list[dict[str, Any]]
    points_given: int
    points_honoured: float = Field(description="points weighted by the share of units received")
    satisfaction: float | None
    wishes: list[WishOut]
    unmet: list[ExplanationOut] = Field(description="each wish not fully met, and why")
    allowance: int | None
    allowance_used: int
    allowance_remaining: int | None
    leftover_policy: str
    peer_group: PeerGroupFigures | None = Field(
        description="your peer group's participants and mean value, only with >= 5 participants"
    )
