"""Response body of /api/v1/audit-events."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AuditEventOut(BaseModel):
    id: str
    occurred_at: datetime
    actor: str = Field(description="id of the acting principal (API key id or OIDC subject id)")
    roles: list[str]
    action: str = Field(examples=["benefit.update"])
    entity_type: str = Field(examples=["benefit"])
    entity_key: str = Field(examples=["GYM"])
    request_id: str | None
    before_digest: str | None = Field(description="SHA-256 of the entity's JSON before")
    after_digest: str | None = Field(description="SHA-256 of the entity's JSON after")
    changed: list[str] = Field(description="names of the fields that changed")
