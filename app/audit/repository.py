"""Queries of the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from app.audit.models import AuditEvent


@dataclass(frozen=True)
class EventFilter:
    actor: str | None = None
    entity_type: str | None = None
    entity_key: str | None = None
    action: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def events_query(where: EventFilter) -> Select[AuditEvent]:
    stmt = select(AuditEvent)
    if where.actor is not None:
        stmt = stmt.where(AuditEvent.actor == where.actor)
    if where.entity_type is not None:
        stmt = stmt.where(AuditEvent.entity_type == where.entity_type)
    if where.entity_key is not None:
        stmt = stmt.where(AuditEvent.entity_key == where.entity_key)
    if where.action is not None:
        stmt = stmt.where(AuditEvent.action == where.action)
    if where.since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AuditEvent.occurred_at < where.until)
    return stmt
