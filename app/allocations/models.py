"""Allocation runs and their immutable results.

A run is executed by its job (app.jobs, kind `allocation_run`, the run's id), which keeps
`status`, `attempts`, `started_at` and `finished_at` in step. Lines and explanations are
written in the same transaction as the final status, so a run is either finished with all
its rows or has none.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, utcnow

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "infeasible")
FINISHED = ("succeeded", "failed", "infeasible")


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'infeasible')",
            name="status_known",
        ),
        Index("ix_runs_status_created_at", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID text
    period_id: Mapped[str] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_by: Mapped[str] = mapped_column(String(200))  # the API key's public id
    # The person who started it (app/auth/persons.py): four-eyes compares persons.
    created_by_person: Mapped[str] = mapped_column(String(36))
    # Budgets whose use describes fewer than 5 participants (app/security/disclosure.py),
    # found when the run starts; None for runs older than that (found from `problem`).
    small_budgets: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The exact flexben.problem/v1 input, canonical JSON text, and its SHA-256 (hex); built
    # by the run's job and saved with its result (None until then, or if building failed).
    problem: Mapped[str | None] = mapped_column(Text)
    problem_sha256: Mapped[str | None] = mapped_column(String(64))
    time_limit_s: Mapped[float | None] = mapped_column(Float)
    # A finance scenario's run (app.scenarios): never approvable, never published.
    scenario_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # A life event's run (app.life_events): re-allocates one employee of a publication.
    life_event_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Execution bookkeeping (the job).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The result (immutable once finished).
    solver_status: Mapped[str | None] = mapped_column(String(16))
    solver_name: Mapped[str | None] = mapped_column(String(100))
    solver_version: Mapped[str | None] = mapped_column(String(100))
    solver_seconds: Mapped[float | None] = mapped_column(Float)
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    kpis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    groups: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    budgets: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class RunLine(Base):
    """One allocation line; `kind` is "benefit" (the solver's line) or "leftover_cash"."""

    __tablename__ = "run_lines"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    employee: Mapped[str] = mapped_column(String(64), primary_key=True)  # external_id
    benefit: Mapped[str] = mapped_column(String(64), primary_key=True)  # benefit code
    # Inside the period; an amended line ends the day before its replacement starts.
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    effective_to: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="benefit")
    units: Mapped[int] = mapped_column(Integer)
    employer_cost: Mapped[int] = mapped_column(BigInteger)
    employee_cost: Mapped[int] = mapped_column(BigInteger)


class RunEmployee(Base):
    """Per-employee result: satisfaction, value, explanations, and the inputs shown back."""

    __tablename__ = "run_employees"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    employee: Mapped[str] = mapped_column(String(64), primary_key=True)  # external_id
    peer_group: Mapped[str] = mapped_column(String(64))
    satisfaction: Mapped[float | None] = mapped_column(Float)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    top_up: Mapped[int] = mapped_column(BigInteger, default=0)
    allowance: Mapped[int | None] = mapped_column(BigInteger)
    leftover: Mapped[int] = mapped_column(BigInteger, default=0)
    # The points the employee gave, as the solver saw them: {"GYM": {"points": 40, "units": 1}}.
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    explanations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
