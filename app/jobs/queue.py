"""The durable PostgreSQL queue: one procrastinate job per queued job, consumed by
`flexben worker`.

procrastinate does the delivery and the watching, app.jobs.execution the bookkeeping:
- each queued job gets one procrastinate job (task `flexben.job`, queue `jobs`, queueing
  lock = the job id, so a job never waits twice); procrastinate hands it to one worker
  (`FOR UPDATE SKIP LOCKED`) and the claim makes execution exactly-once even if it were
  delivered twice;
- no lease on our row: procrastinate workers beat (`update_heartbeat_interval`), and a
  job of a worker silent for the lease time is a *stalled* job (`get_stalled_jobs`). Every
  worker's reaper asks for them and applies the one retry rule (`lost_worker`): attempts
  left, procrastinate retries that same job (`retry_job`); none, it is finished `failed`
  and our job failed with the reason;
- an exception escaping a task (the database unreachable while claiming) is retried by
  procrastinate's retry strategy;
- jobs queued long ago without a waiting procrastinate job (the API died between commit
  and defer) are deferred again; the queueing lock makes that harmless;
- a job still `running` once all its procrastinate jobs are over is an orphan: its
  execution raised before finishing it (the database went away while saving the result,
  and procrastinate's retry found it taken). The same retry rule applies to it.

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
from sqlalchemy import make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.jobs.embedded import worker_name
from app.jobs.execution import execute, settle_lost, settle_orphan
from app.jobs.models import Job
from app.jobs.settings import JobSettings

log = logging.getLogger(__name__)

TASK = "flexben.job"
QUEUE = "jobs"
SCHEMA = "procrastinate"
# A queued job older than this without its worker having taken it gets deferred again.
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


def enqueue(database_url: str, job_id: str) -> None:
    """Defer the procrastinate job of a committed queued job (no-op when one is waiting)."""
    deferrer = _deferring_app(database_url).configure_task(TASK, queue=QUEUE, queueing_lock=job_id)
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


async def _settle_stalled(
    factory: sessionmaker[Session], database_url: str, jobs: JobSettings
) -> None:
    """Stalled procrastinate jobs (their worker stopped beating): retry or fail each."""
    async with make_app(database_url).open_async() as app:
        stalled = await app.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=stall_seconds(jobs)
        )
        for stalled_job in stalled:
            job_id = str(stalled_job.task_kwargs.get("job_id", ""))
            decided = settle_lost(factory, job_id, max_attempts=jobs.max_attempts)
            if decided == "queued":
                await app.job_manager.retry_job(stalled_job)
            else:  # failed now, or not running (finished meanwhile): nothing left to deliver
                await app.job_manager.finish_job(
                    stalled_job, status=Status.FAILED, delete_job=False
                )


# A procrastinate job to do or being done may still finish the job it delivers.
PENDING_DELIVERY = text(
    f"""
    SELECT EXISTS (
        SELECT 1 FROM {SCHEMA}.procrastinate_jobs
        WHERE args ->> 'job_id' = :job_id AND status IN ('todo', 'doing')
    )
    """
)


def _delivery_pending(session: Session, job_id: str) -> bool:
    return bool(session.scalar(PENDING_DELIVERY, {"job_id": job_id}))


def _settle_orphans(factory: sessionmaker[Session], database_url: str, jobs: JobSettings) -> None:
    """Running jobs nothing will deliver again: re-queued (and deferred) or failed."""
    with factory() as session:
        running = list(session.scalars(select(Job.id).where(Job.status == "running")))
        session.rollback()
    for job_id in running:
        decided = settle_orphan(
            factory, job_id, max_attempts=jobs.max_attempts, delivery_pending=_delivery_pending
        )
        if decided == "queued":
            enqueue(database_url, job_id)


def stall_seconds(jobs: JobSettings) -> float:
    return max(jobs.lease_seconds, 5.0)


class Reaper:
    """Every lease/2 seconds: settle stalled jobs and orphans, defer what has no waiting
    job."""

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
        asyncio.run(_settle_stalled(self._factory, self._url, self._jobs))
        _settle_orphans(self._factory, self._url, self._jobs)
        for job_id in _stale_queued_jobs(self._factory):
            enqueue(self._url, job_id)

    def _loop(self) -> None:
        while not self._stop.wait(self._jobs.lease_seconds / 2):
            try:
                self.cycle()
            except Exception:
                log.exception("reaper: a cycle failed")


def run_worker(database_url: str, factory: sessionmaker[Session], jobs: JobSettings) -> None:
    """Consume the `jobs` queue until SIGINT/SIGTERM (procrastinate's own signal handling)."""
    app = make_app(database_url)
    name = worker_name("worker")
    retry = procrastinate.RetryStrategy(max_attempts=jobs.max_attempts, wait=1)

    @app.task(name=TASK, queue=QUEUE, retry=retry)
    def run_job(job_id: str) -> None:
        status = execute(factory, job_id, worker=name, lease_s=None)
        log.info("job %s: %s", job_id, status or "not executed here (already taken)")

    reaper = Reaper(factory, database_url, jobs)
    try:
        reaper.cycle()  # catch up at once with what dead workers left behind
    except Exception:
        log.exception("reaper: the first cycle failed")
    reaper.start()
    try:
        app.run_worker(
            queues=[QUEUE],
            concurrency=1,
            update_heartbeat_interval=max(jobs.lease_seconds / 4, 0.5),
            stalled_worker_timeout=stall_seconds(jobs),
        )
    finally:
        reaper.stop()
