"""Life events after publication: the reasons a period allows, and the events themselves.

An event changes one employee from `effective_date`; its preferences (within the window,
only for the allowed categories) are stored on the event, and its run (`runs.life_event_id`)
re-allocates that employee alone. Built-in kinds `hire`, `leave`, `transfer`; family
reasons are configured per period (`LifeEventReason`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UtcDateTime, utcnow
from app.employees.models import Employee, PeerGroup

EVENT_STATUSES = ("reported", "confirmed", "published")


class LifeEventReason(Base):
    """A family reason of a period (birth, marriage, ...): window and categories it opens."""

    __tablename__ = "life_event_reasons"

    period_id: Mapped[str] = mapped_column(
        ForeignKey("periods.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_days: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)


class LifeEvent(Base):
    __tablename__ = "life_events"
    __table_args__ = (
        CheckConstraint("status IN ('reported', 'confirmed', 'published')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID text
    period_id: Mapped[str] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # hire, leave, transfer or a reason code
    effective_date: Mapped[date] = mapped_column(Date)
    window_closes: Mapped[date] = mapped_column(Date)  # last day preferences may change
    # Benefit categories the event may change (None: every category).
    categories: Mapped[list[str] | None] = mapped_column(JSON)
    peer_group_id: Mapped[int | None] = mapped_column(ForeignKey("peer_groups.id"))  # transfer
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="reported")
    self_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_by: Mapped[str] = mapped_column(String(200))
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The event's preferences: {"GYM": {"points": 40, "units": 1}} (None: none submitted).
    preferences: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    preferences_version: Mapped[int] = mapped_column(Integer, default=0)

    employee: Mapped[Employee] = relationship(lazy="joined")
    peer_group: Mapped[PeerGroup | None] = relationship(lazy="joined")
