"""Benefits catalogue. `code` is the public key; benefits are retired, never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, utcnow


class Benefit(Base):
    __tablename__ = "benefits"
    __table_args__ = (
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("max_units >= 1", name="max_units_positive"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    cost: Mapped[int] = mapped_column(BigInteger)
    max_units: Mapped[int] = mapped_column(default=1)
    capacity: Mapped[int | None]
    core: Mapped[bool] = mapped_column(default=False)
    exclusive_group: Mapped[str | None] = mapped_column(String(64))
    requires: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payroll_code: Mapped[str | None] = mapped_column(String(64))
    taxable: Mapped[bool] = mapped_column(default=False)
    sensitive: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    # Optimistic locking: UPDATE ... WHERE version = <read>; a lost race raises
    # StaleDataError, rendered as 412 like a stale If-Match.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
