"""Wiring of the job system into the API process and the `flexben worker` command."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.jobs.embedded import EmbeddedRunner, worker_name
from app.jobs.execution import execute_pending
from app.jobs.service import dispatch_after_commit
from app.jobs.settings import JobSettings, runner_mode

log = logging.getLogger(__name__)


def _deferrer(database_url: str) -> Callable[[str], None]:
    def defer(job_id: str) -> None:
        from app.jobs.queue import enqueue

        try:
            enqueue(database_url, job_id)
        except Exception:  # the job stays queued; a worker's reaper defers it again
            log.exception("job %s: deferring it failed; a worker will pick it up", job_id)

    return defer


def _nobody(_job_id: str) -> None:
    return None


def install_dispatch(app: FastAPI) -> None:
    """Once per app: every job a request's session enqueued is handed, after commit, to
    `app.state.job_queued` (nobody until the runner starts; `manual` mode: nobody)."""
    app.state.job_queued = _nobody

    def job_queued(job_id: str) -> None:  # looked up per call: the mode is set at startup
        app.state.job_queued(job_id)

    dispatch_after_commit(app.state.session_factory, job_queued)


def start_job_runner(app: FastAPI) -> EmbeddedRunner | None:
    """Point `app.state.job_queued` at this mode's runner; start and return the embedded
    runner if this process executes jobs (`embedded` mode)."""
    settings: Settings = app.state.settings
    jobs = JobSettings()
    mode = runner_mode(settings, jobs)
    if mode == "embedded":
        runner = EmbeddedRunner(app.state.session_factory, jobs)
        runner.start()
        app.state.job_queued = lambda _job_id: runner.wake()
        return runner
    app.state.job_queued = _deferrer(settings.database_url) if mode == "queue" else _nobody
    return None


def stop_job_runner(app: FastAPI, runner: EmbeddedRunner | None) -> None:
    app.state.job_queued = _nobody
    if runner is not None:
        runner.stop()


def work(settings: Settings, factory: sessionmaker[Session]) -> None:
    """`flexben worker`: procrastinate on PostgreSQL, a polling loop on SQLite."""
    jobs = JobSettings()
    if not settings.is_sqlite:
        from app.jobs.queue import run_worker

        run_worker(settings.database_url, factory, jobs)
        return
    name = worker_name("worker")
    log.info("SQLite: polling for queued jobs every %s s", jobs.poll_seconds)
    while True:
        try:
            execute_pending(
                factory, worker=name, lease_s=jobs.lease_seconds, max_attempts=jobs.max_attempts
            )
        except SQLAlchemyError as exc:  # "database is locked", a blip: poll again, not die
            log.warning("polling for jobs failed (%s); retrying", str(exc).splitlines()[0])
        time.sleep(jobs.poll_seconds)
