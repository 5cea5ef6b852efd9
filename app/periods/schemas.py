"""Request and response bodies of enrolment periods."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.employees.schemas import Code, Money, Ratio, StrictRequest

Objective = Literal["utilitarian", "maxmin"]
LeftoverPolicy = Literal["forfeit", "cash", "carry_over"]
# Who did not submit: core benefits only, or last period's choices proposed for them.
NonSubmitters = Literal["core_only", "previous_choices"]
Status = Literal["draft", "open", "closed", "published"]
BudgetId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]

PERIOD_EXAMPLE: dict[str, Any] = {
    "name": "2027 flex",
    "currency": "EUR",
    "opens_at": "2026-11-01T08:00:00Z",
    "closes_at": "2026-11-30T18:00:00Z",
    "effective_from": "2027-01-01",
    "effective_to": "2027-12-31",
    "points_per_employee": 100,
    "allowance": {
        "default": 300000,
        "by_group": {"HQ-L2": 320000},
        "prorate_fte": True,
        "prorate_start": True,
    },
    "budgets": [
        {"id": "total", "cap": 250000000},
        {"id": "mobility", "cap": 9000000, "categories": ["mobility"]},
    ],
    "policy": {"objective": "utilitarian", "equity_tolerance": 0.15, "equity_absolute": 20000},
    "benefits": None,
    "leftover_policy": "forfeit",
}


class Allowance(StrictRequest):
    """Allowance rules; see app.periods.allowance for the computation."""

    default: Money | None = Field(default=None, description="null: no individual cap")
    by_group: dict[str, Money] = Field(
        default_factory=dict, description="peer group code -> amount"
    )
    prorate_fte: bool = False
    prorate_start: bool = False


class Budget(StrictRequest):
    """A cap on employer cost; filters combine (AND); no filter covers everything."""

    id: BudgetId
    cap: Money
    groups: list[Code] | None = Field(default=None, description="peer group codes")
    benefits: list[Code] | None = Field(default=None, description="benefit codes")
    categories: list[str] | None = Field(default=None, description="benefit categories")

    @model_validator(mode="after")
    def _no_empty_filters(self) -> Budget:
        for name in ("groups", "benefits", "categories"):
            values = getattr(self, name)
            if values is not None and not values:
                raise ValueError(f"{name} must be null (no filter) or a non-empty list")
            if values is not None and len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")
        return self


class Policy(StrictRequest):
    objective: Objective = "utilitarian"
    equity_tolerance: Ratio = Field(default=Decimal("0.15"), ge=0, le=10, decimal_places=4)
    equity_absolute: Money = 0


# A model of its own: one model on both sides would give OpenAPI two schemas of one name
# (Policy-Input, Policy-Output), which client generators refuse.
class PolicyOut(Policy):
    """The policy as responses show it (`equity_tolerance` a number)."""


class _PeriodRules(StrictRequest):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    effective_from: date
    effective_to: date
    points_per_employee: int = Field(default=100, ge=1, le=1_000_000)
    allowance: Allowance = Field(default_factory=Allowance)
    budgets: list[Budget] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    benefits: list[Code] | None = Field(
        default=None, description="offered benefit codes; null: every active benefit"
    )
    leftover_policy: LeftoverPolicy = "forfeit"
    non_submitters: NonSubmitters = Field(
        default="core_only",
        description="previous_choices: an employee who submits nothing is proposed their "
        "choices of the previous published period (shown as proposed, used by runs)",
    )


def check_period_shape(values: dict[str, Any]) -> list[tuple[list[str | int], str]]:
    """Rules across fields of a whole period; (loc, message) pairs."""
    issues: list[tuple[list[str | int], str]] = []
    if values["effective_from"] > values["effective_to"]:
        issues.append((["body", "effective_to"], "must be on or after effective_from"))
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if opens is not None and closes is not None and opens >= closes:
        issues.append((["body", "closes_at"], "must be after opens_at"))
    budget_ids = [budget["id"] for budget in values["budgets"]]
    for index, budget_id in enumerate(budget_ids):
        if budget_ids.index(budget_id) != index:
            issues.append(
                (["body", "budgets", index, "id"], f"budget id {budget_id!r} is used twice")
            )
    benefits = values.get("benefits")
    if benefits is not None and len(set(benefits)) != len(benefits):
        issues.append((["body", "benefits"], "lists a benefit twice"))
    return issues


class PeriodCreate(_PeriodRules):
    model_config = ConfigDict(json_schema_extra={"examples": [PERIOD_EXAMPLE]})


class PeriodPatch(StrictRequest):
    """Only the given fields change. In `draft` everything may change; once `open` only
    `name` and `closes_at` (to extend or shorten the window); once `closed` only `name`."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"closes_at": "2026-12-07T18:00:00Z"}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    points_per_employee: int | None = Field(default=None, ge=1, le=1_000_000)
    allowance: Allowance | None = None
    budgets: list[Budget] | None = None
    policy: Policy | None = None
    benefits: list[Code] | None = None
    leftover_policy: LeftoverPolicy | None = None
    non_submitters: NonSubmitters | None = None


class PeriodOut(BaseModel):
    id: str
    status: Status
    name: str
    currency: str
    opens_at: datetime | None
    closes_at: datetime | None
    effective_from: date
    effective_to: date
    points_per_employee: int
    allowance: Allowance
    budgets: list[Budget]
    policy: PolicyOut
    benefits: list[str] | None
    leftover_policy: LeftoverPolicy
    non_submitters: NonSubmitters
    created_at: datetime
    updated_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
