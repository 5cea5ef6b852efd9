"""The one table of durable jobs: every kind of background work is a row here.

A job is claimed by exactly one worker (`UPDATE ... WHERE status='queued'`), carries its
attempts and (embedded runner) a lease its worker keeps extending, its progress, and its
outcome. What a kind computes lives in its domain's tables (a run's lines) or in `result`
(a budget curve); `problem` and `params` are the kind's inputs. An allocation run's job has
the run's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, utcnow

JOB_STATUSES = ("queued", "running", "succeeded", "failed")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="status_known"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID text
    kind: Mapped[str] = mapped_column(String(32))  # a registered JobKind's name
    period_id: Mapped[str] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"), index=True)
    scenario_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Executions begun (the first included); a lost worker's job is retried below the cap.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    # Embedded runner only: PostgreSQL workers are watched by procrastinate's heartbeats.
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    problem: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
