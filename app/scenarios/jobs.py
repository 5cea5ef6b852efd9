"""Execute analysis jobs: claim one queued job, write progress as it goes, finish.

Like runs, a job is claimed with `UPDATE ... WHERE status='queued'` so exactly one worker
executes it; each progress write extends its lease, and a job whose lease expired (its
worker died) is failed by the next executor rather than left `running` forever.

Where jobs execute: like runs (app.jobs). `queue` mode: a procrastinate job consumed by
`flexben worker` (app.jobs.queue); `embedded`: in the process that accepted them, on a
background thread (`JobThreads`); `manual`: nowhere (tests call `run_pending_jobs`). A
SQLite `flexben worker` also executes queued jobs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.allocations import solver_adapter
from app.db import utcnow
from app.jobs.embedded import worker_name
from app.jobs.settings import JobSettings, runner_mode
from app.scenarios.curve import run_curve
from app.scenarios.models import Job

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session] | Callable[[], Session]
LEASE_S = 600.0  # a step of a large sweep may take minutes; progress extends the lease


def _claim(factory: SessionFactory, job_id: str, worker: str) -> bool:
    now = utcnow()
    with factory() as session:
        claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(
                status="running",
                worker=worker,
                started_at=now,
                lease_expires_at=now + timedelta(seconds=LEASE_S),
            )
        )
        session.commit()
    return claimed.rowcount == 1


def _write(factory: SessionFactory, job_id: str, worker: str, **values: Any) -> None:
    with factory() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running", Job.worker == worker)
            .values(**values)
        )
        session.commit()


def fail_expired_jobs(factory: SessionFactory) -> int:
    """Running jobs whose worker stopped extending the lease become `failed`."""
    now = utcnow()
    with factory() as session:
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Job)
            .where(Job.status == "running", Job.lease_expires_at < now)
            .values(
                status="failed",
                finished_at=now,
                error="the worker executing this job stopped responding; start it again",
            )
        )
        session.commit()
    return result.rowcount


def execute_job(
    factory: SessionFactory,
    job_id: str,
    *,
    worker: str,
    observe: Callable[[int], None] | None = None,
) -> str | None:
    """Claim and execute one job; its final status, or None when not ours to run.

    `observe(done)` is called after each progress write is committed."""
    if not _claim(factory, job_id, worker):
        return None
    with factory() as session:
        job = session.get_one(Job, job_id)
        problem, params = job.problem, dict(job.params)
        session.rollback()

    def progress(index: int, _figures: dict[str, Any]) -> None:
        lease = utcnow() + timedelta(seconds=LEASE_S)
        _write(factory, job_id, worker, progress_done=index + 1, lease_expires_at=lease)
        if observe is not None:
            observe(index + 1)

    try:
        result = run_curve(problem, params, progress)
        values: dict[str, Any] = {"status": "succeeded", "result": result}
    except solver_adapter.ProblemError as error:
        values = {"status": "failed", "error": solver_adapter.problem_issues(error)}
    except Exception as error:  # recorded on the job; the executor carries on
        log.exception("job %s failed", job_id)
        values = {"status": "failed", "error": f"the job failed unexpectedly: {error!r}"}
    _write(factory, job_id, worker, finished_at=utcnow(), lease_expires_at=None, **values)
    return str(values["status"])


def run_pending_jobs(factory: SessionFactory, *, worker: str = "inline") -> list[str]:
    """Fail expired jobs, then execute queued jobs oldest first; the ids executed."""
    fail_expired_jobs(factory)
    executed: list[str] = []
    while True:
        with factory() as session:
            job_id = session.scalar(
                select(Job.id)
                .where(Job.status == "queued")
                .order_by(Job.created_at, Job.id)
                .limit(1)
            )
            session.rollback()
        if job_id is None:
            return executed
        if execute_job(factory, job_id, worker=worker) is not None:
            executed.append(job_id)


class JobThreads:
    """Runs pending jobs on a background thread of the API process, one at a time."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def wake(self) -> None:
        with self._lock:
            self._again = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._drain, name="flexben-jobs", daemon=True
                )
                self._thread.start()

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._again:
                    self._thread = None  # decided under the lock: a wake() starts a new one
                    return
                self._again = False
            try:
                run_pending_jobs(self._factory, worker=worker_name("jobs"))
            except Exception:
                log.exception("analysis jobs: a cycle failed")


def dispatch_job(app: FastAPI, job_id: str) -> None:
    """After a job was committed: in `queue` mode, defer it for a `flexben worker`; in
    `embedded` mode, execute it on a thread of this process; nothing in `manual` mode."""
    mode = runner_mode(app.state.settings, JobSettings())
    if mode == "manual":
        return
    if mode == "queue":
        from app.jobs.queue import enqueue_job

        try:
            enqueue_job(app.state.settings.database_url, job_id)
        except Exception:  # the job stays queued; a worker's reaper defers it again
            log.exception("job %s: deferring it failed; a worker will pick it up", job_id)
        return
    threads: JobThreads | None = getattr(app.state, "analysis_jobs", None)
    if threads is None:
        threads = JobThreads(app.state.session_factory)
        app.state.analysis_jobs = threads
    threads.wake()
