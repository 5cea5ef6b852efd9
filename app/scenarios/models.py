"""Finance scenarios: overrides on a period's inputs.

A scenario never changes the period: its overrides are applied to a copy of the period's
problem document when a scenario run or a budget curve is built (budget curves are jobs:
app.jobs.models).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, utcnow


class Scenario(Base):
    __tablename__ = "scenarios"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID text
    period_id: Mapped[str] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The validated overrides document (app.scenarios.schemas.Overrides, JSON mode).
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    applied_by: Mapped[str | None] = mapped_column(String(200))
