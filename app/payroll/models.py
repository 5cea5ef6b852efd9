"""Publications (approved runs) and their payroll lines, and carried-over allowance.

A publication copies its run's lines with the payroll facts of that moment (payroll code,
taxable, effective dates), so what payroll pulls never changes when the catalogue does.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, utcnow


class Publication(Base):
    __tablename__ = "publications"
    # One version number per period: two concurrent approvals cannot both create version N.
    __table_args__ = (UniqueConstraint("period_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[str] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    approved_by: Mapped[str] = mapped_column(String(200))  # the API key's public id
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    currency: Mapped[str] = mapped_column(String(3))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date] = mapped_column(Date)


class PayrollLine(Base):
    __tablename__ = "payroll_lines"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
    )
    employee: Mapped[str] = mapped_column(String(64), primary_key=True)
    benefit: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    effective_to: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    units: Mapped[int] = mapped_column(Integer)
    employer_cost: Mapped[int] = mapped_column(BigInteger)
    employee_cost: Mapped[int] = mapped_column(BigInteger)
    payroll_code: Mapped[str | None] = mapped_column(String(64))
    taxable: Mapped[bool] = mapped_column(Boolean)


class CarryOver(Base):
    """Unused allowance of a published `carry_over` period, per employee; the next period
    (the first starting after this one ends) adds it to the employee's allowance."""

    __tablename__ = "carry_overs"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
    )
    employee: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
