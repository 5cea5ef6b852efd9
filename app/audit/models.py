"""Audit events: append-only rows; no route updates or deletes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, utcnow
from app.ids import time_ordered_uuid


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_key"),)

    # Time-ordered UUID text: the keyset order of ids is the order of recording.
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=time_ordered_uuid)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)  # principal id, never a name
    roles: Mapped[list[str]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the canonical JSON of the entity before / after; None: did not exist.
    before_digest: Mapped[str | None] = mapped_column(String(64))
    after_digest: Mapped[str | None] = mapped_column(String(64))
    # Names of the fields that changed (never their values: no personal data here).
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
