"""The durable PostgreSQL queue: procrastinate jobs consumed by `flexben worker`.

Each queued run gets one procrastinate job (`flexben.run_allocation`, queue `runs`,
queueing lock = the run id, so a run is never waiting twice); each queued analysis job
(budget curve) one `flexben.run_analysis_job` (same queue, lock `job:<id>`), claimed the
same way by `app.scenarios.jobs.execute_job`; the reaper fails analysis jobs whose lease
expired and defers again those queued long ago. procrastinate hands a job
to one worker (`FOR UPDATE SKIP LOCKED`); the run's own claim (app.allocations.execution)
makes execution exactly-once even if a job were delivered twice.

A worker killed mid-run leaves its procrastinate job `doing` and the run `running` with a
lease that stops being extended. Every worker runs a reaper thread: expired runs are
re-queued (and deferred again) or failed, and stalled procrastinate jobs of dead workers
are marked failed so they do not linger. Runs queued long ago whose job is missing (the
API crashed between commit and defer) are deferred again: the queueing lock makes that
harmless.

procrastinate's tables live in the PostgreSQL schema `procrastinate` (migration 0003_runs);
its connections use that search path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from datetime import timedelta
from functools import lru_cache

import procrastinate
from procrastinate import exceptions as procrastinate_errors
from procrastinate.jobs import Status
from sqlalchemy import make_url, select
from sqlalchemy.orm import Session, sessionmaker

from app.allocations.execution import execute_run, reap_expired_runs
from app.allocations.models import Run
from app.db import utcnow
from app.jobs.embedded import worker_name
from app.jobs.settings import JobSettings
from app.scenarios.jobs import execute_job, fail_expired_jobs
from app.scenarios.models import Job

log = logging.getLogger(__name__)

TASK = "flexben.run_allocation"
JOB_TASK = "flexben.run_analysis_job"  # budget curves (app.scenarios.jobs), same queue
QUEUE = "runs"
SCHEMA = "procrastinate"
# A queued run older than this without its worker having taken it gets deferred again.
REDEFER_AFTER_S = 30.0


def conninfo(database_url: str) -> str:
    """libpq connection string of a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def make_app(database_url: str) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(database_url),
        kwargs={"options": f"-c search_path={SCHEMA}"},
        min_size=1,
        max_size=4,
    )
    return procrastinate.App(connector=connector)


@lru_cache(maxsize=4)
def _deferring_app(database_url: str) -> procrastinate.App:
    """A process-wide app opened synchronously (its own small pool) for deferring."""
    return make_app(database_url).open()


def enqueue_run(database_url: str, run_id: str) -> None:
    """Defer the job of a committed queued run (no-op when its job is already waiting)."""
    deferrer = _deferring_app(database_url).configure_task(TASK, queue=QUEUE, queueing_lock=run_id)
    with contextlib.suppress(procrastinate_errors.AlreadyEnqueued):
        deferrer.defer(run_id=run_id)


def enqueue_job(database_url: str, job_id: str) -> None:
    """Defer the procrastinate job of a committed queued analysis job (budget curve)."""
    deferrer = _deferring_app(database_url).configure_task(
        JOB_TASK, queue=QUEUE, queueing_lock=f"job:{job_id}"
    )
    with contextlib.suppress(procrastinate_errors.AlreadyEnqueued):
        deferrer.defer(job_id=job_id)


def _stale_queued_jobs(factory: sessionmaker[Session]) -> list[str]:
    cutoff = utcnow() - timedelta(seconds=REDEFER_AFTER_S)
    with factory() as session:
        ids = list(
            session.scalars(select(Job.id).where(Job.status == "queued", Job.created_at < cutoff))
        )
        session.rollback()
    return ids


def _stale_queued_runs(factory: sessionmaker[Session]) -> list[str]:
    cutoff = utcnow() - timedelta(seconds=REDEFER_AFTER_S)
    with factory() as session:
        ids = list(
            session.scalars(select(Run.id).where(Run.status == "queued", Run.created_at < cutoff))
        )
        session.rollback()
    return ids


async def _fail_stalled_jobs(database_url: str, seconds: float) -> None:
    """Jobs left `doing` by workers that stopped beating: their runs are reaped separately."""
    async with make_app(database_url).open_async() as app:
        stalled = await app.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=seconds
        )
        for job in stalled:
            await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)


class Reaper:
    """Every lease/2 seconds: re-queue or fail runs of dead workers, defer what needs it."""

    def __init__(
        self, factory: sessionmaker[Session], database_url: str, jobs: JobSettings
    ) -> None:
        self._factory, self._url, self._jobs = factory, database_url, jobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="flexben-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def cycle(self) -> None:
        requeued = reap_expired_runs(self._factory, max_attempts=self._jobs.max_attempts)
        for run_id in {*requeued, *_stale_queued_runs(self._factory)}:
            enqueue_run(self._url, run_id)
        fail_expired_jobs(self._factory)  # analysis jobs of dead workers are failed
        for job_id in _stale_queued_jobs(self._factory):
            enqueue_job(self._url, job_id)

    def _loop(self) -> None:
        while not self._stop.wait(self._jobs.lease_seconds / 2):
            try:
                self.cycle()
                asyncio.run(_fail_stalled_jobs(self._url, max(self._jobs.lease_seconds, 5.0)))
            except Exception:
                log.exception("reaper: a cycle failed")


def run_worker(database_url: str, factory: sessionmaker[Session], jobs: JobSettings) -> None:
    """Consume the `runs` queue until SIGINT/SIGTERM (procrastinate's own signal handling)."""
    app = make_app(database_url)
    name = worker_name("worker")

    @app.task(name=TASK, queue=QUEUE)
    def run_allocation(run_id: str) -> None:
        status = execute_run(factory, run_id, worker=name, lease_s=jobs.lease_seconds)
        log.info("run %s: %s", run_id, status or "not executed here (already taken)")

    @app.task(name=JOB_TASK, queue=QUEUE)
    def run_analysis_job(job_id: str) -> None:
        status = execute_job(factory, job_id, worker=name)
        log.info("job %s: %s", job_id, status or "not executed here (already taken)")

    reaper = Reaper(factory, database_url, jobs)
    reaper.cycle()  # catch up at once with what dead workers left behind
    reaper.start()
    try:
        app.run_worker(
            queues=[QUEUE],
            concurrency=1,
            update_heartbeat_interval=max(jobs.lease_seconds / 4, 0.5),
            stalled_worker_timeout=max(jobs.lease_seconds, 5.0),
        )
    finally:
        reaper.stop()
