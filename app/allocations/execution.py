"""Execute queued runs: claim, solve outside any transaction, finish atomically; reap.

The run row is the job record. Exactly-once execution does not depend on the queue:
- claim: `UPDATE runs SET status='running', worker=me, lease=now+L WHERE id=? AND
  status='queued'` — of several workers only one changes the row;
- while solving, a heartbeat thread extends the lease;
- finish: the final status, lines and explanations are written in ONE transaction, and only
  `WHERE status='running' AND worker=me`: a worker that lost its lease writes nothing;
- reap: a `running` run whose lease expired (its worker died: SIGKILL, OOM, power) is put
  back to `queued` while attempts remain, else marked `failed` with the reason.
So a run is never half-written and never `running` forever.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.allocations import solver_adapter
from app.allocations.models import Run, RunEmployee, RunLine
from app.allocations.results import RunOutcome, failed_outcome, outcome_of
from app.audit.service import record
from app.db import utcnow
from app.periods.models import Period

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session] | Callable[[], Session]
INSERT_BATCH = 5000


def claim_run(factory: SessionFactory, run_id: str, *, worker: str, lease_s: float) -> bool:
    """Take a queued run for `worker`; False when another worker has it (or it is done)."""
    now = utcnow()
    with factory() as session:
        claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Run)
            .where(Run.id == run_id, Run.status == "queued")
            .values(
                status="running",
                worker=worker,
                attempts=Run.attempts + 1,
                started_at=now,
                lease_expires_at=now + timedelta(seconds=lease_s),
            )
        )
        session.commit()
    return claimed.rowcount == 1


def next_queued_run(factory: SessionFactory) -> str | None:
    """The oldest queued run not locked by another worker (PostgreSQL: SKIP LOCKED)."""
    with factory() as session:
        stmt = (
            select(Run.id)
            .where(Run.status == "queued")
            .order_by(Run.created_at, Run.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        run_id = session.scalar(stmt)
        session.rollback()
    return run_id


class Heartbeat:
    """Extends a claimed run's lease every lease/3 seconds until stopped."""

    def __init__(self, factory: SessionFactory, run_id: str, *, worker: str, lease_s: float):
        self._factory, self._run_id, self._worker, self._lease_s = factory, run_id, worker, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

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
                        update(Run)
                        .where(
                            Run.id == self._run_id,
                            Run.status == "running",
                            Run.worker == self._worker,
                        )
                        .values(lease_expires_at=utcnow() + timedelta(seconds=self._lease_s))
                    )
                    session.commit()
            except Exception:  # a missed beat is retried; the lease has slack for it
                log.exception("heartbeat of run %s failed", self._run_id)


def solve_problem_text(
    problem_text: str, time_limit_s: float | None, leftover_policy: str
) -> RunOutcome:
    problem: dict[str, Any] = json.loads(problem_text)
    try:
        result = solver_adapter.solve(problem, time_limit_s=time_limit_s)
    except solver_adapter.ProblemError as error:
        return failed_outcome(
            "the problem built from the database is invalid:\n"
            + solver_adapter.problem_issues(error)
        )
    return outcome_of(problem, result, leftover_policy=leftover_policy)


def _insert_batches(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(table), rows[start : start + INSERT_BATCH])


def finish_run(factory: SessionFactory, run_id: str, *, worker: str, outcome: RunOutcome) -> bool:
    """Write the outcome in one transaction, only if `worker` still holds the run."""
    with factory() as session:
        values = {**outcome.values, "finished_at": utcnow(), "lease_expires_at": None}
        owned: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Run)
            .where(Run.id == run_id, Run.status == "running", Run.worker == worker)
            .values(**values)
        )
        if owned.rowcount != 1:
            session.rollback()
            log.warning("run %s: lease lost before finishing; result discarded", run_id)
            return False
        _insert_batches(session, RunLine, [{"run_id": run_id, **line} for line in outcome.lines])
        _insert_batches(
            session, RunEmployee, [{"run_id": run_id, **row} for row in outcome.employees]
        )
        # The worker acts for nobody: the system actor; the digest covers the outcome.
        result = {**outcome.values, "lines": len(outcome.lines)}
        record(session, None, "run.finish", "run", run_id, None, result)
        session.commit()
    return True


def execute_run(factory: SessionFactory, run_id: str, *, worker: str, lease_s: float) -> str | None:
    """Claim, solve and finish one run; its final status, or None when not ours to run."""
    if not claim_run(factory, run_id, worker=worker, lease_s=lease_s):
        return None
    with factory() as session:
        run = session.get_one(Run, run_id)
        period = session.get_one(Period, run.period_id)
        problem_text, time_limit_s = run.problem, run.time_limit_s
        leftover_policy = period.leftover_policy
        session.rollback()
    with Heartbeat(factory, run_id, worker=worker, lease_s=lease_s):
        try:
            outcome = solve_problem_text(problem_text, time_limit_s, leftover_policy)
        except Exception as error:  # recorded on the run; the worker carries on
            log.exception("run %s failed", run_id)
            outcome = failed_outcome(f"the run failed unexpectedly: {error!r}")
    finished = finish_run(factory, run_id, worker=worker, outcome=outcome)
    return str(outcome.values["status"]) if finished else None


def reap_expired_runs(factory: SessionFactory, *, max_attempts: int) -> list[str]:
    """Runs whose worker stopped beating: re-queued (returned) or failed when out of tries."""
    now = utcnow()
    requeued: list[str] = []
    with factory() as session:
        expired = session.execute(
            select(Run.id, Run.attempts).where(Run.status == "running", Run.lease_expires_at < now)
        ).all()
        for run_id, attempts in expired:
            still_expired = (Run.id == run_id, Run.status == "running", Run.lease_expires_at < now)
            if attempts < max_attempts:
                session.execute(
                    update(Run)
                    .where(*still_expired)
                    .values(status="queued", worker=None, lease_expires_at=None)
                )
                requeued.append(run_id)
            else:
                session.execute(
                    update(Run)
                    .where(*still_expired)
                    .values(
                        status="failed",
                        finished_at=now,
                        lease_expires_at=None,
                        error=(
                            f"the worker executing this run stopped responding "
                            f"(attempt {attempts} of {max_attempts}); start a new run"
                        ),
                    )
                )
            log.warning("run %s: worker lease expired (attempt %s)", run_id, attempts)
        session.commit()
    return requeued


def run_pending(
    factory: SessionFactory, *, worker: str = "inline", lease_s: float = 60.0, max_attempts: int = 2
) -> list[str]:
    """Reap, then execute queued runs until none is left; the ids executed.

    One step of the embedded runner's loop, also what tests and `flexben worker` on SQLite
    call.
    """
    reap_expired_runs(factory, max_attempts=max_attempts)
    executed: list[str] = []
    while (run_id := next_queued_run(factory)) is not None:
        if execute_run(factory, run_id, worker=worker, lease_s=lease_s) is not None:
            executed.append(run_id)
    return executed
