"""Request and response bodies of preferences and of the employee's options."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from app.employees.fields import NUL_MESSAGE, contains_nul
from app.employees.schemas import EmployeeOut

POINTS_SCHEMA = {
    "type": "object",
    "description": "benefit code -> points (integer > 0) or {points, units} with "
    "1 <= units <= the benefit's max_units",
    "additionalProperties": {
        "anyOf": [
            {"type": "integer", "minimum": 1},
            {
                "type": "object",
                "properties": {
                    "points": {"type": "integer", "minimum": 1},
                    "units": {"type": "integer", "minimum": 1},
                },
                "required": ["points"],
                "additionalProperties": False,
            },
        ]
    },
}
# Entries are checked by app.preferences.rules, whose messages name the benefit.
Points = Annotated[dict[str, Any], WithJsonSchema(POINTS_SCHEMA)]


class PreferencesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"points": {"GYM": 40, "LEAVE": {"points": 30, "units": 3}}}]
        },
    )

    points: Points = Field(description="the whole submission; benefits left out get no points")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if contains_nul(data):
            raise ValueError(NUL_MESSAGE)
        return data


class Hint(BaseModel):
    loc: list[str | int]
    msg: str


class PreferencesOut(BaseModel):
    period_id: str
    employee: str
    version: int = Field(description="0 before the first submission; the ETag follows it")
    points: Points
    total_points: int
    points_per_employee: int
    submitted_at: datetime | None
    submitted_by: str | None
    on_behalf: bool
    warnings: list[Hint] = Field(description="hints, not errors: requires / exclusive choices")
    proposed: bool = Field(
        default=False,
        description="true: nothing was submitted; these are the previous period's choices, "
        "proposed (the period's non_submitters setting) and used by runs unless changed",
    )


class OptionOut(BaseModel):
    code: str
    name: str
    description: str
    category: str | None
    cost: int = Field(description="per unit, integer minor units")
    max_units: int
    core: bool = Field(description="given to everyone eligible; takes no points")
    exclusive_group: str | None
    requires: list[str]
    capacity: int | None = Field(description="places in total; null: unlimited")
    taxable: bool
    sensitive: bool = Field(description="your choice is treated as sensitive personal data")
    eligible: bool
    reason: str | None = Field(description="why not eligible, in plain words")


class OptionsOut(BaseModel):
    period_id: str
    period_name: str
    status: str
    currency: str
    closes_at: datetime | None
    points_per_employee: int
    allowance: int | None = Field(description="the caller's allowance; null: no individual cap")
    employee: EmployeeOut
    benefits: list[OptionOut]


class VersionOut(BaseModel):
    version: int
    points: Points
    submitted_by: str
    on_behalf: bool
    submitted_at: datetime


class MyPeriodOut(BaseModel):
    """A period as an employee sees it (open or closed; drafts are not shown)."""

    id: str
    name: str
    status: str
    currency: str
    opens_at: datetime | None
    closes_at: datetime | None
    effective_from: date
    effective_to: date
    points_per_employee: int


class GroupParticipation(BaseModel):
    peer_group: str
    employees: int = Field(description="active employees")
    submitted: int = Field(description="of whom submitted preferences")


class ParticipationOut(BaseModel):
    """Aggregates only: how many active employees have submitted preferences."""

    period_id: str
    status: str
    employees: int
    submitted: int
    rate: float = Field(description="submitted / employees (0 when there are none)")
    peer_groups: list[GroupParticipation]
