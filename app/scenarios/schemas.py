"""Request and response bodies of scenarios, comparisons, budget curves and jobs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from app.employees.schemas import Code, Money, StrictRequest
from app.periods.schemas import Budget, BudgetId, Objective

# Ratios travel as JSON numbers and are stored as exact decimal text (see `stored`).
AsNumber = PlainSerializer(float, return_type=float, when_used="json")
Multiplier = Annotated[
    Decimal,
    Field(gt=0, le=100, decimal_places=4, description="a factor > 0 (1.1 = +10%)"),
    AsNumber,
]
Capacity = Annotated[int | None, Field(ge=0, description="places; null: unlimited")]
Tolerance = Annotated[Decimal, Field(ge=0, le=10, decimal_places=4), AsNumber]

OVERRIDES_EXAMPLE: dict[str, Any] = {
    "budget_caps": {"total": 240000000},
    "new_budgets": [{"id": "wellbeing", "cap": 5000000, "categories": ["wellbeing"]}],
    "allowance_multiplier": 1.05,
    "group_allowances": {"HQ-L2": 330000},
    "cost_multipliers": {"GYM": 1.1},
    "category_cost_multipliers": {"mobility": 0.9},
    "capacities": {"PARKING": 50},
    "withdrawn_benefits": ["SABBATICAL"],
    "equity_tolerance": 0.2,
    "equity_absolute": 10000,
    "objective": "maxmin",
}


class Overrides(StrictRequest):
    """What a scenario changes in its period's inputs; everything else stays as it is.

    - `budget_caps`: new cap of existing period budgets, by budget id;
    - `new_budgets`: extra budgets (same shape as a period's budgets);
    - `allowance_multiplier`: scales the period's default and per-group allowances (not
      individual `allowance_override`s, nor the amounts in `group_allowances`);
    - `group_allowances`: the allowance of a peer group, exactly (before proration);
    - `cost_multipliers` by benefit code, `category_cost_multipliers` by category (a
      benefit's own multiplier wins); costs are rounded half up to whole minor units;
    - `capacities`: a benefit's places (null: unlimited);
    - `withdrawn_benefits`: benefits not offered (and those requiring them);
    - `equity_tolerance`, `equity_absolute`, `objective`: the period policy.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [OVERRIDES_EXAMPLE]})

    budget_caps: dict[BudgetId, Money] = Field(default_factory=dict)
    new_budgets: list[Budget] = Field(default_factory=list)
    allowance_multiplier: Multiplier | None = None
    group_allowances: dict[Code, Money] = Field(default_factory=dict)
    cost_multipliers: dict[Code, Multiplier] = Field(default_factory=dict)
    category_cost_multipliers: dict[str, Multiplier] = Field(default_factory=dict)
    capacities: dict[Code, Capacity] = Field(default_factory=dict)
    withdrawn_benefits: list[Code] = Field(default_factory=list)
    equity_tolerance: Tolerance | None = None
    equity_absolute: Money | None = None
    objective: Objective | None = None

    @model_validator(mode="after")
    def _no_duplicates(self) -> Overrides:
        ids = [budget.id for budget in self.new_budgets]
        if len(set(ids)) != len(ids):
            raise ValueError("new_budgets: a budget id is used twice")
        if len(set(self.withdrawn_benefits)) != len(self.withdrawn_benefits):
            raise ValueError("withdrawn_benefits: lists a benefit twice")
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON document kept in the database (ratios as exact decimal text)."""
        return self.shown() | _decimal_text(self)

    def shown(self) -> dict[str, Any]:
        """The overrides as the API shows them: only those set, ratios as numbers."""
        return self.model_dump(mode="json", exclude_defaults=True)


def _decimal_text(overrides: Overrides) -> dict[str, Any]:
    text: dict[str, Any] = {}
    for name in ("allowance_multiplier", "equity_tolerance"):
        value = getattr(overrides, name)
        if value is not None:
            text[name] = str(value)
    for name in ("cost_multipliers", "category_cost_multipliers"):
        values = getattr(overrides, name)
        if values:
            text[name] = {key: str(value) for key, value in values.items()}
    return text


SCENARIO_EXAMPLE: dict[str, Any] = {
    "name": "Total -4%, gym +10%",
    "description": "What if the total budget shrinks and the gym raises its price?",
    "overrides": {"budget_caps": {"total": 240000000}, "cost_multipliers": {"GYM": 1.1}},
}


class ScenarioCreate(StrictRequest):
    model_config = ConfigDict(json_schema_extra={"examples": [SCENARIO_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    overrides: Overrides = Field(default_factory=Overrides)


class ScenarioPatch(StrictRequest):
    """Only the given fields change; `overrides` is replaced as a whole."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"overrides": {"budget_caps": {"total": 230000000}}}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    overrides: Overrides | None = None


class ScenarioOut(BaseModel):
    id: str
    period_id: str
    name: str
    description: str
    overrides: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime
    applied_at: datetime | None
    applied_by: str | None


class AppliedOut(BaseModel):
    scenario: ScenarioOut
    period_id: str
    changed: list[str] = Field(description="the period settings the scenario changed")


# ---------------------------------------------------------------- comparison

Number = int | float | None


class ComparedRun(BaseModel):
    id: str
    scenario_id: str | None
    scenario_name: str | None
    created_at: datetime
    solver_status: str | None
    values: dict[str, Number] = Field(description="metric -> value (see `metrics`)")
    differences: dict[str, Number] = Field(
        description="metric -> value minus the first run's (null where either is null)"
    )
    groups: list[dict[str, Any]] = Field(
        description="per peer group (groups under 5 participants folded into 'other'): "
        "participants, mean_satisfaction, ratio_to_mean"
    )
    benefits: list[dict[str, Any]] = Field(
        description="per benefit: recipients, units, employer_cost (sensitive benefits with "
        "under 5 recipients folded into 'other-sensitive')"
    )


class ComparisonOut(BaseModel):
    period_id: str
    currency: str
    metrics: list[str] = Field(description="the rows, in order; money in minor units")
    runs: list[ComparedRun]


# ---------------------------------------------------------------- budget curve and jobs

CURVE_EXAMPLE: dict[str, Any] = {
    "budget_id": "total",
    "from": 200000000,
    "to": 300000000,
    "steps": 10,
}


class BudgetCurveCreate(StrictRequest):
    model_config = ConfigDict(
        populate_by_name=True, json_schema_extra={"examples": [CURVE_EXAMPLE]}
    )

    budget_id: BudgetId
    cap_from: Money = Field(alias="from", description="first cap, minor units")
    cap_to: Money = Field(alias="to", description="last cap, minor units (> from)")
    steps: int = Field(ge=2, le=50, description="number of caps from..to, both included")
    scenario_id: str | None = Field(default=None, description="sweep a scenario's inputs")
    time_limit_s: float | None = Field(
        default=None, gt=0, le=3600, description="safety limit of each step's solve"
    )

    @model_validator(mode="after")
    def _ordered(self) -> BudgetCurveCreate:
        if self.cap_to <= self.cap_from:
            raise ValueError("to must be greater than from")
        return self


JobStatus = Literal["queued", "running", "succeeded", "failed"]


class Progress(BaseModel):
    done: int
    total: int


class JobOut(BaseModel):
    id: str
    kind: str
    period_id: str
    scenario_id: str | None
    status: JobStatus
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: Progress
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    links: dict[str, str] = Field(default_factory=dict)
