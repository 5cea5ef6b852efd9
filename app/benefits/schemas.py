"""Request and response bodies of /api/v1/benefits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Public key: letters, digits, '.', '_' and '-'",
    ),
]
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
# Upper bounds keep values inside the database's integer types (BIGINT / INTEGER).
MAX_MONEY = 10**15
MAX_CAPACITY = 10**9
Money = Annotated[
    StrictInt, Field(ge=0, le=MAX_MONEY, description="Integer minor units (e.g. cents)")
]
Units = Annotated[StrictInt, Field(ge=1, le=10_000)]
Capacity = Annotated[StrictInt, Field(ge=0, le=MAX_CAPACITY)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=4000)]
PayrollCode = Annotated[str, Field(min_length=1, max_length=64)]
Rule = dict[str, Any]

EXAMPLE: dict[str, Any] = {
    "code": "GYM",
    "name": "Gym membership",
    "description": "Any partner gym, 12 months",
    "category": "wellbeing",
    "cost": 36000,
    "max_units": 1,
    "capacity": None,
    "core": False,
    "exclusive_group": None,
    "requires": [],
    "eligibility": {"all": [{"attr": "tenure_months", "op": ">=", "value": 6}]},
    "payroll_code": "BIK-GYM",
    "taxable": True,
    "sensitive": False,
}


class BenefitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    code: Code
    name: Name
    description: Description = ""
    category: Slug | None = None
    cost: Money
    max_units: Units = 1
    capacity: Capacity | None = None
    core: StrictBool = False
    exclusive_group: Slug | None = None
    requires: list[Code] = Field(default_factory=list)
    eligibility: Rule | None = None
    payroll_code: PayrollCode | None = None
    taxable: StrictBool = False
    sensitive: StrictBool = False
    active: StrictBool = True


NOT_NULLABLE = (
    "name",
    "description",
    "cost",
    "max_units",
    "core",
    "requires",
    "taxable",
    "sensitive",
    "active",
)


class BenefitPatch(BaseModel):
    """Only the fields sent change; `code` never changes (retire and create instead)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"cost": 38000}, {"active": False}, {"capacity": 40}]},
    )

    name: Name | None = None
    description: Description | None = None
    category: Slug | None = None
    cost: Money | None = None
    max_units: Units | None = None
    capacity: Capacity | None = None
    core: StrictBool | None = None
    exclusive_group: Slug | None = None
    requires: list[Code] | None = None
    eligibility: Rule | None = None
    payroll_code: PayrollCode | None = None
    taxable: StrictBool | None = None
    sensitive: StrictBool | None = None
    active: StrictBool | None = None

    @model_validator(mode="after")
    def _no_null_for_required_fields(self) -> BenefitPatch:
        nulled = [
            name
            for name in NOT_NULLABLE
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if nulled:
            raise ValueError(f"may not be null: {', '.join(nulled)}")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(include=self.model_fields_set)


class BenefitOut(BaseModel):
    code: str
    name: str
    description: str
    category: str | None
    cost: int
    max_units: int
    capacity: int | None
    core: bool
    exclusive_group: str | None
    requires: list[str]
    eligibility: Rule | None
    payroll_code: str | None
    taxable: bool
    sensitive: bool
    active: bool
    created_at: datetime
    updated_at: datetime
