"""Bodies of publications and the payroll pull."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class PublicationOut(BaseModel):
    period_id: str
    version: int
    run_id: str
    approved_by: str
    approved_at: datetime
    lines: int = Field(description="number of payroll lines in this version")


class PayrollLineOut(BaseModel):
    employee: str
    benefit: str
    kind: Literal["benefit", "leftover_cash"]
    units: int
    employer_cost: int = Field(description="minor units paid by the employer")
    employee_cost: int = Field(description="minor units deducted from the salary")
    payroll_code: str | None
    taxable: bool
    effective_from: date
    effective_to: date
    version: int
    currency: str


class PayrollPage(BaseModel):
    items: list[PayrollLineOut]
    next_cursor: str | None = None
    version: int | None = Field(description="the publication version read; null before any")


class ChangedLine(BaseModel):
    before: PayrollLineOut
    after: PayrollLineOut


class ChangesOut(BaseModel):
    period_id: str
    since_version: int
    version: int
    added: list[PayrollLineOut]
    changed: list[ChangedLine]
    removed: list[PayrollLineOut]
