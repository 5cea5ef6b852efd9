"""Peer groups (the unit of fairness) and employees."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UtcDateTime, utcnow


class PeerGroup(Base):
    __tablename__ = "peer_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # None: the period policy's tolerance applies.
    equity_tolerance: Mapped[Decimal | None] = mapped_column(Numeric(8, 4))
    equity_absolute: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Employee(Base):
    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint("fte > 0 AND fte <= 1", name="fte_range"),
        CheckConstraint("need > 0", name="need_positive"),
        CheckConstraint("top_up_limit >= 0", name="top_up_limit_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    peer_group_id: Mapped[int] = mapped_column(ForeignKey("peer_groups.id"), index=True)
    grade: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(64))
    employment_type: Mapped[str] = mapped_column(String(32), default="full_time")
    hire_date: Mapped[date | None] = mapped_column(Date)
    fte: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal(1))
    need: Mapped[Decimal] = mapped_column(Numeric(8, 4), default=Decimal(1))
    need_reason: Mapped[str | None] = mapped_column(String(500))
    top_up_limit: Mapped[int] = mapped_column(BigInteger, default=0)
    allowance_override: Mapped[int | None] = mapped_column(BigInteger)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    peer_group: Mapped[PeerGroup] = relationship(lazy="joined", innerjoin=True)
