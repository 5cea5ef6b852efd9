"""Wiring of the job runner into the API process and the `flexben worker` command."""

from __future__ import annotations

import logging
import time
from typing import Protocol

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from app.allocations.execution import run_pending
from app.config import Settings
from app.jobs.embedded import EmbeddedRunner, worker_name
from app.jobs.settings import JobSettings, runner_mode

log = logging.getLogger(__name__)


class RunDispatcher(Protocol):
    def run_queued(self, run_id: str) -> None:
        """Called after a queued run was committed."""


class _Embedded:
    def __init__(self, runner: EmbeddedRunner) -> None:
        self.runner = runner

    def run_queued(self, run_id: str) -> None:
        self.runner.wake()


class _Queue:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def run_queued(self, run_id: str) -> None:
        from app.jobs.queue import enqueue_run

        try:
            enqueue_run(self.database_url, run_id)
        except Exception:  # the run stays queued; a worker's reaper defers it again
            log.exception("run %s: deferring its job failed; a worker will pick it up", run_id)


class _Manual:
    def run_queued(self, run_id: str) -> None:
        return None


def start_job_runner(app: FastAPI) -> EmbeddedRunner | None:
    """Attach `app.state.run_dispatcher`; start and return the embedded runner if any."""
    settings: Settings = app.state.settings
    jobs = JobSettings()
    mode = runner_mode(settings, jobs)
    if mode == "embedded":
        runner = EmbeddedRunner(app.state.session_factory, jobs)
        runner.start()
        app.state.run_dispatcher = _Embedded(runner)
        return runner
    app.state.run_dispatcher = _Queue(settings.database_url) if mode == "queue" else _Manual()
    return None


def dispatcher(app: FastAPI) -> RunDispatcher:
    found: RunDispatcher | None = getattr(app.state, "run_dispatcher", None)
    return found if found is not None else _Manual()


def work(settings: Settings, factory: sessionmaker[Session]) -> None:
    """`flexben worker`: procrastinate on PostgreSQL, a polling loop on SQLite."""
    jobs = JobSettings()
    if not settings.is_sqlite:
        from app.jobs.queue import run_worker

        run_worker(settings.database_url, factory, jobs)
        return
    from app.scenarios.jobs import run_pending_jobs

    name = worker_name("worker")
    log.info("SQLite: polling for queued runs and jobs every %s s", jobs.poll_seconds)
    while True:
        run_pending(
            factory, worker=name, lease_s=jobs.lease_seconds, max_attempts=jobs.max_attempts
        )
        run_pending_jobs(factory, worker=name)
        time.sleep(jobs.poll_seconds)
