"""Request and response bodies of /api/v1/api-keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.auth.principal import Role


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "payroll export", "roles": ["payroll"]},
                {"name": "Ana's portal key", "roles": ["employee"], "employee": "E00042"},
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    employee: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="external_id of the employee an `employee` key acts as",
    )
    expires_at: datetime | None = Field(default=None, description="RFC 3339, in the future")


class ApiKeyOut(BaseModel):
    id: str
    name: str
    roles: list[str]
    employee: str | None
    person: str = Field(description="The person the key belongs to (four-eyes compares persons)")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret token; shown this once, never again")
