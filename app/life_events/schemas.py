"""Bodies of the life-events routes (API.md "life-events")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.employees.schemas import StrictRequest
from app.preferences.schemas import Hint

BUILT_IN_KINDS = ("hire", "leave", "transfer")
Code = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_-]*$")


class ReasonIn(StrictRequest):
    code: str = Code
    window_days: int = Field(ge=1, le=366, description="days from the event's date to change")
    categories: list[str] = Field(
        min_length=1, max_length=50, description="benefit categories the event may change"
    )


class ReasonsIn(StrictRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reasons": [{"code": "birth", "window_days": 30, "categories": ["health"]}]}
            ]
        }
    )

    reasons: list[ReasonIn] = Field(max_length=50)


class ReasonsOut(BaseModel):
    period_id: str
    reasons: list[ReasonIn]


class LifeEventIn(StrictRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"employee": "E00042", "kind": "birth", "effective_date": "2027-05-10"}]
        }
    )

    employee: str = Field(min_length=1, max_length=64)
    kind: str = Code
    effective_date: date
    peer_group: str | None = Field(default=None, max_length=64, description="transfer only")
    reason: str | None = Field(default=None, max_length=500, description="a note in words")


class MyLifeEventIn(StrictRequest):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "birth", "effective_date": "2027-05-10"}]}
    )

    period_id: str = Field(min_length=1, max_length=64)
    kind: str = Code
    effective_date: date
    reason: str | None = Field(default=None, max_length=500)


class LifeEventOut(BaseModel):
    id: str
    period_id: str
    employee: str
    kind: str
    effective_date: date
    window_closes: date
    categories: list[str] | None = Field(description="null: every category may change")
    peer_group: str | None
    reason: str | None
    status: Literal["reported", "confirmed", "published"]
    self_reported: bool
    reported_by: str
    confirmed_by: str | None
    created_at: datetime
    preferences_version: int


class EventPreferencesOut(BaseModel):
    event_id: str
    employee: str
    version: int
    points: dict[str, int | dict[str, int]]
    total_points: int
    window_closes: date
    warnings: list[Hint] = []
