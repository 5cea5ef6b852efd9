"""Preference submissions: every submission is kept as a version; the latest is current.

`preferences` holds one row per (period, employee) with the current points and its version
number (the ETag; updated by compare-and-set so concurrent writers cannot both win);
`preference_versions` keeps every submission with who made it and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UtcDateTime, utcnow
from app.employees.models import Employee


class Preference(Base):
    __tablename__ = "preferences"
    __table_args__ = (UniqueConstraint("period_id", "employee_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[str] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # {"GYM": {"points": 40, "units": 1}, ...}, sorted by benefit code.
    points: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[str] = mapped_column(String(200))  # the API key's public id
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)  # by hr_admin
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    employee: Mapped[Employee] = relationship(lazy="raise")


class PreferenceVersion(Base):
    __tablename__ = "preference_versions"
    __table_args__ = (UniqueConstraint("period_id", "employee_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[str] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    points: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[str] = mapped_column(String(200))  # the API key's public id
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)  # by hr_admin
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
