"""Request and response bodies of peer groups and employees."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from app.employees.fields import (
    EMAIL_MAX,
    EMAIL_PATTERN,
    EXTERNAL_ID_PATTERN,
    MONEY_MAX,
    NAME_MAX,
    NEED_MAX,
    NUL_MESSAGE,
    REASON_MAX,
    SHORT_TEXT_MAX,
    contains_nul,
)

# Ratios travel as JSON numbers; they are stored as exact decimals (never money).
Ratio = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["HQ-L2"])]
Money = Annotated[int, Field(ge=0, le=MONEY_MAX, description="integer minor units (cents)")]
EmploymentType = Literal["full_time", "part_time", "fixed_term", "contractor", "intern"]
Tolerance = Annotated[Decimal, Field(ge=0, le=10, decimal_places=4)]


class StrictRequest(BaseModel):
    """Base of request bodies: unknown fields refused, text trimmed, NUL characters refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if contains_nul(data):
            raise ValueError(NUL_MESSAGE)
        return data


# ---------------------------------------------------------------- peer groups

PEER_GROUP_EXAMPLE: dict[str, Any] = {
    "code": "HQ-L2",
    "name": "HQ, level 2",
    "equity_tolerance": None,
    "equity_absolute": None,
}


class PeerGroupCreate(StrictRequest):
    model_config = ConfigDict(json_schema_extra={"examples": [PEER_GROUP_EXAMPLE]})

    code: Code
    name: str = Field(min_length=1, max_length=NAME_MAX)
    equity_tolerance: Tolerance | None = Field(
        default=None, description="relative band; null: the period policy's"
    )
    equity_absolute: Money | None = Field(
        default=None, description="absolute band in minor units; null: the period policy's"
    )


class PeerGroupPatch(StrictRequest):
    model_config = ConfigDict(json_schema_extra={"examples": [{"equity_tolerance": 0.1}]})

    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    equity_tolerance: Tolerance | None = None
    equity_absolute: Money | None = None


class PeerGroupOut(BaseModel):
    code: str
    name: str
    equity_tolerance: Ratio | None
    equity_absolute: int | None
    employees: int | None = Field(default=None, description="active employees in the group")
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- employees

EMPLOYEE_EXAMPLE: dict[str, Any] = {
    "external_id": "E00042",
    "email": "ana@example.com",
    "display_name": "Ana",
    "peer_group": "HQ-L2",
    "grade": "L2",
    "location": "HQ",
    "employment_type": "full_time",
    "hire_date": "2021-03-01",
    "fte": 1.0,
    "need": 1.0,
    "need_reason": None,
    "top_up_limit": 0,
    "allowance_override": None,
    "attributes": {"union_member": True},
}


class _EmployeeFields(StrictRequest):
    email: str | None = Field(default=None, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN)
    display_name: str | None = Field(default=None, max_length=NAME_MAX)
    grade: str | None = Field(default=None, max_length=SHORT_TEXT_MAX)
    location: str | None = Field(default=None, max_length=SHORT_TEXT_MAX)
    need_reason: str | None = Field(default=None, max_length=REASON_MAX)
    hire_date: date | None = None
    allowance_override: Money | None = None


class EmployeeCreate(_EmployeeFields):
    model_config = ConfigDict(json_schema_extra={"examples": [EMPLOYEE_EXAMPLE]})

    external_id: str = Field(pattern=EXTERNAL_ID_PATTERN)
    peer_group: Code
    employment_type: EmploymentType = "full_time"
    fte: Decimal = Field(default=Decimal(1), gt=0, le=1, decimal_places=4)
    need: Decimal = Field(default=Decimal(1), gt=0, le=NEED_MAX, decimal_places=4)
    top_up_limit: Money = 0
    attributes: dict[str, Any] = Field(default_factory=dict)
    active: bool = True


class EmployeePatch(_EmployeeFields):
    """Only the fields given change; `null` clears an optional field."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"peer_group": "HQ-L3", "fte": 0.8}]})

    peer_group: Code | None = None
    employment_type: EmploymentType | None = None
    fte: Decimal | None = Field(default=None, gt=0, le=1, decimal_places=4)
    need: Decimal | None = Field(default=None, gt=0, le=NEED_MAX, decimal_places=4)
    top_up_limit: Money | None = None
    attributes: dict[str, Any] | None = None
    active: bool | None = None


class EmployeeOut(BaseModel):
    external_id: str
    email: str | None
    display_name: str | None
    peer_group: str
    grade: str | None
    location: str | None
    employment_type: str
    hire_date: date | None
    fte: Ratio
    need: Ratio
    need_reason: str | None
    top_up_limit: int
    allowance_override: int | None
    attributes: dict[str, Any]
    active: bool
    created_at: datetime
    updated_at: datetime


class ImportRowError(BaseModel):
    row: int
    column: str | None
    message: str


class ImportReport(BaseModel):
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    created_ids: list[str] = Field(
        default_factory=list, description="external_ids created (first 1000)"
    )
    updated_ids: list[str] = Field(
        default_factory=list, description="external_ids updated (first 1000)"
    )
