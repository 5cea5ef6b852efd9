"""Enrolment periods: rules (allowance, budgets, policy, offered benefits) and status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, utcnow

STATUSES = ("draft", "open", "closed", "published")


class Period(Base):
    __tablename__ = "periods"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed', 'published')", name="status_known"),
        CheckConstraint("effective_from <= effective_to", name="effective_order"),
        CheckConstraint("points_per_employee > 0", name="points_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID text
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    opens_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date] = mapped_column(Date)
    points_per_employee: Mapped[int] = mapped_column(Integer)
    # The JSON documents below are the API's objects, validated by app.periods.schemas.
    allowance: Mapped[dict[str, Any]] = mapped_column(JSON)
    budgets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    benefits: Mapped[list[str] | None] = mapped_column(JSON)  # None: every active benefit
    leftover_policy: Mapped[str] = mapped_column(String(16), default="forfeit")
    non_submitters: Mapped[str] = mapped_column(String(16), default="core_only")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
