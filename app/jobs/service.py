"""Enqueue and read jobs. A domain enqueues inside its transaction (flush only); the
runner is told once that transaction commits (`after_commit`), never before: a worker can
never see a job whose row is not there yet, and a rolled-back request queues nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from app.errors import NotFound
from app.ids import time_ordered_uuid
from app.jobs.models import Job

QUEUED_KEY = "flexben.queued_jobs"


def enqueue(
    session: Session,
    *,
    kind: str,
    period_id: str,
    created_by: str,
    job_id: str | None = None,
    scenario_id: str | None = None,
    params: dict[str, Any] | None = None,
    problem: str | None = None,
    progress_total: int = 0,
) -> Job:
    """Add a queued job of a registered `kind` (flushed); dispatched after commit."""
    job = Job(
        id=job_id or time_ordered_uuid(),
        kind=kind,
        period_id=period_id,
        scenario_id=scenario_id,
        status="queued",
        created_by=created_by,
        attempts=0,
        progress_done=0,
        progress_total=progress_total,
        params=params or {},
        problem=problem,
    )
    session.add(job)
    session.flush()
    session.info.setdefault(QUEUED_KEY, []).append(job.id)
    return job


def get_job(session: Session, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id!r}")
    return job


def dispatch_after_commit(
    factory: sessionmaker[Session], job_queued: Callable[[str], None]
) -> None:
    """Call `job_queued(id)` for each job a session of `factory` enqueued, once it commits."""

    @event.listens_for(factory, "after_commit")
    def _queued(session: Session) -> None:
        for job_id in session.info.pop(QUEUED_KEY, []):
            job_queued(job_id)

    @event.listens_for(factory, "after_rollback")
    def _dropped(session: Session) -> None:
        session.info.pop(QUEUED_KEY, None)
