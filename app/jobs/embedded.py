"""The in-process runner: a daemon thread executing queued jobs of every kind, one at a
time, with leases (app.jobs.execution) — the SQLite deployment's worker."""

from __future__ import annotations

import logging
import os
import socket
import threading

from sqlalchemy.orm import Session, sessionmaker

from app.jobs.execution import execute_pending
from app.jobs.settings import JobSettings

log = logging.getLogger(__name__)


def worker_name(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class EmbeddedRunner:
    """Polls every `poll_seconds`, or at once when `wake()` is called (a job was queued)."""

    def __init__(self, factory: sessionmaker[Session], jobs: JobSettings) -> None:
        self._factory, self._jobs = factory, jobs
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="flexben-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        name = worker_name("embedded")
        while not self._stop.is_set():
            try:
                execute_pending(
                    self._factory,
                    worker=name,
                    lease_s=self._jobs.lease_seconds,
                    max_attempts=self._jobs.max_attempts,
                )
            except Exception:  # the database may be briefly unavailable; keep polling
                log.exception("embedded runner: a cycle failed")
            self._wake.wait(self._jobs.poll_seconds)
            self._wake.clear()
