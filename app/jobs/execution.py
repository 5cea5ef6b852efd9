"""The one claim / heartbeat / finish / reap / retry policy, for every job kind.

- claim: `UPDATE jobs SET status='running', worker=me, attempts+1 WHERE id=? AND
  status='queued'` — of several workers only one changes the row; the kind's `started`
  hook runs in that transaction;
- the work runs outside any transaction; `progress` writes are committed one by one;
- embedded runner (`lease_s` given): a heartbeat thread extends the lease every lease/3
  seconds, so a long step never looks dead; on PostgreSQL procrastinate's worker
  heartbeats do that job (app.jobs.queue) and the lease stays empty;
- finish: the job's final status and the kind's `save` in ONE transaction, only `WHERE
  status='running' AND worker=me`; if saving raises, the job is failed with that error;
- a lost worker's job (expired lease, a stalled procrastinate job, or an orphan: running
  with no delivery pending) is re-queued while attempts remain, else failed —
  `lost_worker` is that one decision.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.jobs.models import Job
from app.jobs.registry import Finish, JobContext, LeaseLostError, kind_of

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session] | Callable[[], Session]


def _owned(job_id: str, worker: str) -> tuple[Any, ...]:
    return (Job.id == job_id, Job.status == "running", Job.worker == worker)


def claim(factory: SessionFactory, job_id: str, *, worker: str, lease_s: float | None) -> bool:
    """Take a queued job for `worker`; False when another worker has it (or it is done)."""
    now = utcnow()
    lease = None if lease_s is None else now + timedelta(seconds=lease_s)
    with factory() as session:
        kind = session.scalar(select(Job.kind).where(Job.id == job_id))
        claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(
                status="running",
                worker=worker,
                attempts=Job.attempts + 1,
                started_at=now,
                lease_expires_at=lease,
            )
        )
        if claimed.rowcount != 1 or kind is None:
            session.rollback()
            return False
        try:
            registered_kind = kind_of(kind)
        except LookupError as error:  # e.g. a newer release queued it: fail, do not spin
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status="failed", error=str(error), finished_at=now, lease_expires_at=None)
            )
            session.commit()
            return False
        registered_kind.started(session, job_id)
        session.commit()
    return True


class Heartbeat:
    """Extends a claimed job's lease every lease/3 seconds until stopped."""

    def __init__(self, factory: SessionFactory, job_id: str, *, worker: str, lease_s: float):
        self._factory, self._job_id, self._worker, self._lease_s = factory, job_id, worker, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._lease_s / 3):
            try:
                with self._factory() as session:
                    session.execute(
                        update(Job)
                        .where(*_owned(self._job_id, self._worker))
                        .values(lease_expires_at=utcnow() + timedelta(seconds=self._lease_s))
                    )
                    session.commit()
            except Exception:  # a missed beat is retried; the lease has slack for it
                log.exception("heartbeat of job %s failed", self._job_id)


def _progress(
    factory: SessionFactory, job_id: str, worker: str, observe: Callable[[int], None] | None
) -> Callable[[int], None]:
    def progress(done: int) -> None:
        with factory() as session:
            written: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Job).where(*_owned(job_id, worker)).values(progress_done=done)
            )
            session.commit()
        if written.rowcount != 1:
            raise LeaseLostError(job_id)
        if observe is not None:
            observe(done)

    return progress


def finish(factory: SessionFactory, job_id: str, *, worker: str, outcome: Finish) -> bool:
    """Write the outcome in one transaction, only if `worker` still holds the job.

    A failure while saving (e.g. a constraint the domain's rows break) is recorded as that
    failure, on the job and through the kind's `failed` hook."""
    values = {
        "status": outcome.status,
        "result": outcome.result,
        "error": outcome.error,
        "finished_at": utcnow(),
        "lease_expires_at": None,
    }
    try:
        with factory() as session:
            owned: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Job).where(*_owned(job_id, worker)).values(**values)
            )
            if owned.rowcount != 1:
                session.rollback()
                log.warning("job %s: lease lost before finishing; result discarded", job_id)
                return False
            if outcome.save is not None:
                outcome.save(session, job_id)
            session.commit()
    except Exception as error:
        log.exception("job %s: saving its result failed", job_id)
        return fail(factory, job_id, f"saving the result failed: {error!r}", worker=worker)
    return True


def fail(factory: SessionFactory, job_id: str, error: str, *, worker: str | None = None) -> bool:
    """Fail a running job (held by `worker` when given) and tell its kind."""
    now = utcnow()
    held = _owned(job_id, worker) if worker is not None else (Job.id == job_id,)
    with factory() as session:
        kind = session.scalar(select(Job.kind).where(Job.id == job_id))
        failed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Job)
            .where(*held, Job.status == "running")
            .values(status="failed", error=error, finished_at=now, lease_expires_at=None)
        )
        if failed.rowcount != 1 or kind is None:
            session.rollback()
            return False
        kind_of(kind).failed(session, job_id, error)
        session.commit()
    return True


def execute(
    factory: SessionFactory,
    job_id: str,
    *,
    worker: str,
    lease_s: float | None,
    observe: Callable[[int], None] | None = None,
) -> str | None:
    """Claim, execute and finish one job; its final status, or None when not ours to run.

    `lease_s` None: no lease (procrastinate watches the worker). `observe(done)` is called
    after each progress write is committed (tests watch a job from outside)."""
    if not claim(factory, job_id, worker=worker, lease_s=lease_s):
        return None
    with factory() as session:
        job = session.get_one(Job, job_id)
        kind = kind_of(job.kind)
        context = JobContext(
            job_id=job_id,
            session=factory,
            params=dict(job.params),
            problem=job.problem,
            attempt=job.attempts,
            progress=_progress(factory, job_id, worker, observe),
        )
        session.rollback()
    beating = (
        Heartbeat(factory, job_id, worker=worker, lease_s=lease_s)
        if lease_s is not None
        else nullcontext()
    )
    with beating:
        try:
            outcome = kind.execute(context)
        except LeaseLostError:
            log.warning("job %s: lease lost while executing; stopped", job_id)
            return None
        except Exception as error:  # recorded on the job; the worker carries on
            log.exception("job %s failed", job_id)
            outcome = Finish(status="failed", error=f"the job failed unexpectedly: {error!r}")
    if not finish(factory, job_id, worker=worker, outcome=outcome):
        return None
    with factory() as session:
        status = session.scalar(select(Job.status).where(Job.id == job_id))
        session.rollback()
    return status


def lost_worker(session: Session, job_id: str, *, max_attempts: int) -> str | None:
    """The one retry rule for a job whose worker died: `queued` again while attempts remain,
    else `failed`; the new status (None if the job was not running). Caller commits."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or job.status != "running":
        return None
    kind = kind_of(job.kind)
    log.warning("job %s: its worker stopped responding (attempt %s)", job_id, job.attempts)
    if job.attempts < max_attempts:
        job.status, job.worker, job.lease_expires_at = "queued", None, None
        kind.requeued(session, job_id)
        return "queued"
    error = (
        f"the worker executing this job stopped responding (attempt {job.attempts} of "
        f"{max_attempts}); start it again"
    )
    job.status, job.error = "failed", error
    job.finished_at, job.lease_expires_at = utcnow(), None
    session.flush()
    kind.failed(session, job_id, error)
    return "failed"


def settle_lost(factory: SessionFactory, job_id: str, *, max_attempts: int) -> str | None:
    """`lost_worker` in a transaction of its own (PostgreSQL: a stalled procrastinate job)."""
    with factory() as session:
        decided = lost_worker(session, job_id, max_attempts=max_attempts)
        session.commit()
    return decided


def settle_orphan(
    factory: SessionFactory,
    job_id: str,
    *,
    max_attempts: int,
    delivery_pending: Callable[[Session, str], bool],
) -> str | None:
    """`lost_worker` for a job executed without a lease (procrastinate's) that is still
    `running` though no delivery of it is pending: its execution raised before finishing
    it. The new status, or None when it is no orphan."""
    with factory() as session:
        # Locked first, its deliveries read after: a claim committed meanwhile (its delivery
        # `doing` before it) is seen, so a job being executed is never taken for an orphan.
        job = session.get(Job, job_id, with_for_update=True)
        orphan = (
            job is not None
            and job.status == "running"
            and job.lease_expires_at is None
            and not delivery_pending(session, job_id)
        )
        decided = lost_worker(session, job_id, max_attempts=max_attempts) if orphan else None
        session.commit()
    return decided


def reap_expired(factory: SessionFactory, *, max_attempts: int) -> list[str]:
    """Embedded runner: running jobs whose lease expired; the ids re-queued."""
    now = utcnow()
    requeued: list[str] = []
    with factory() as session:
        expired = session.scalars(
            select(Job.id).where(Job.status == "running", Job.lease_expires_at < now)
        ).all()
        for job_id in expired:
            if lost_worker(session, job_id, max_attempts=max_attempts) == "queued":
                requeued.append(job_id)
        session.commit()
    return requeued


def next_queued(factory: SessionFactory, kind: str | None = None) -> str | None:
    """The oldest queued job not locked by another worker (PostgreSQL: SKIP LOCKED)."""
    stmt = select(Job.id).where(Job.status == "queued")
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    with factory() as session:
        job_id = session.scalar(
            stmt.order_by(Job.created_at, Job.id).limit(1).with_for_update(skip_locked=True)
        )
        session.rollback()
    return job_id


def execute_pending(
    factory: SessionFactory,
    *,
    worker: str = "inline",
    lease_s: float = 60.0,
    max_attempts: int = 2,
    kind: str | None = None,
) -> list[str]:
    """Reap, then execute queued jobs (of `kind`, or all) until none is left; the ids.

    One step of the embedded runner's loop, also what tests and `flexben worker` on SQLite
    call."""
    reap_expired(factory, max_attempts=max_attempts)
    executed: list[str] = []
    while (job_id := next_queued(factory, kind)) is not None:
        if execute(factory, job_id, worker=worker, lease_s=lease_s) is not None:
            executed.append(job_id)
    return executed
