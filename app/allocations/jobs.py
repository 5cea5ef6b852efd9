"""The allocation run as a job kind (`allocation_run`): the run's job has the run's id.

The job system (app.jobs) claims, watches, retries and finishes; this module says what a
run does: solve its stored problem outside any transaction, then write the final status,
lines and explanations in the job's finishing transaction — a run is never half-written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.allocations import solver_adapter
from app.allocations.models import Run, RunEmployee, RunLine
from app.allocations.problem import leftover_policy_of
from app.allocations.results import RunOutcome, failed_outcome, outcome_of
from app.allocations.seams import run_problem
from app.audit.service import record
from app.bulk import insert_rows
from app.db import utcnow
from app.errors import DomainError
from app.jobs.registry import Finish, JobContext, JobKind, register
from app.jobs.service import enqueue
from app.periods.models import Period
from app.security.disclosure import small_budgets

log = logging.getLogger(__name__)

KIND = "allocation_run"


def enqueue_run(session: Session, run: Run) -> None:
    """Queue the job of a new run (flushed; executed once the transaction commits)."""
    enqueue(
        session,
        kind=KIND,
        job_id=run.id,
        period_id=run.period_id,
        scenario_id=run.scenario_id,
        created_by=run.created_by,
    )


def solve_problem(problem: dict[str, Any], time_limit_s: float | None) -> RunOutcome:
    """Solve a run's problem; leftover allowance is settled by the problem's own policy."""
    try:
        result = solver_adapter.solve(problem, time_limit_s=time_limit_s)
    except solver_adapter.ProblemError as error:
        return failed_outcome(
            "the problem built from the database is invalid:\n"
            + solver_adapter.problem_issues(error)
        )
    with solver_adapter.collector_paused():
        return outcome_of(problem, result, leftover_policy=leftover_policy_of(problem))


@dataclass(frozen=True)
class BuiltProblem:
    """A problem the run's job built when it started: saved with the run's result."""

    text: str
    sha256: str
    small_budgets: list[str]

    def columns(self) -> dict[str, Any]:
        return {
            "problem": self.text,
            "problem_sha256": self.sha256,
            "small_budgets": self.small_budgets,
        }


def save_outcome(
    session: Session,
    run_id: str,
    outcome: RunOutcome,
    span: tuple[date, date],
    built: BuiltProblem | None = None,
) -> None:
    """The run's final columns (and its problem, when its job built it), lines (covering
    `span` unless a line gives its own dates) and employees (in the caller's transaction)."""
    values = {**outcome.columns, "finished_at": utcnow()}
    if built is not None:
        values |= built.columns()
    session.execute(update(Run).where(Run.id == run_id, Run.status == "running").values(**values))
    dates = {"effective_from": span[0], "effective_to": span[1]}
    with solver_adapter.collector_paused():
        if any("effective_from" in line for line in outcome.lines):  # an event's amended lines
            lines = [{**dates, **line} for line in outcome.lines]
            insert_rows(session, RunLine, lines, constants={"run_id": run_id})
        else:
            insert_rows(session, RunLine, outcome.lines, constants={"run_id": run_id, **dates})
        insert_rows(session, RunEmployee, outcome.employees, constants={"run_id": run_id})
    # The worker acts for nobody: the system actor; the digest covers the outcome.
    result = {**outcome.columns, "lines": len(outcome.lines)}
    record(session, None, "run.finish", "run", run_id, None, result)


def _problem_of(
    session: Session, run: Run, period: Period
) -> tuple[dict[str, Any], BuiltProblem | None]:
    """The run's stored problem, or (a run from POST /runs) the one built now; parsed."""
    if run.problem is not None:
        return json.loads(run.problem), None
    text, digest = run_problem(session, period, run.scenario_id)
    problem = json.loads(text)
    return problem, BuiltProblem(text, digest, sorted(small_budgets(problem)))


def execute_run(context: JobContext) -> Finish:
    with context.session() as session:
        run = session.get_one(Run, context.job_id)
        period = session.get_one(Period, run.period_id)
        span = (period.effective_from, period.effective_to)
        time_limit_s = run.time_limit_s
        try:
            with solver_adapter.collector_paused():
                problem, built = _problem_of(session, run, period)
        except DomainError as error:  # e.g. its scenario was deleted before the run started
            return finish_run(failed_outcome(f"the run's problem: {error.detail}"), span)
        finally:
            session.rollback()
    try:
        outcome = solve_problem(problem, time_limit_s)
    except Exception as error:  # recorded on the run; the worker carries on
        log.exception("run %s failed", context.job_id)
        outcome = failed_outcome(f"the run failed unexpectedly: {error!r}")
    return finish_run(outcome, span, built)


def finish_run(
    outcome: RunOutcome, span: tuple[date, date], built: BuiltProblem | None = None
) -> Finish:
    """How a run's job ends: its outcome (and the problem its job built) saved in the job's
    finishing transaction."""
    failed = outcome.status == "failed"
    return Finish(
        status="failed" if failed else "succeeded",
        error=outcome.error if failed else None,
        save=lambda session, run_id: save_outcome(session, run_id, outcome, span, built),
    )


def _started(session: Session, run_id: str) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(status="running", attempts=Run.attempts + 1, started_at=utcnow())
    )


def _requeued(session: Session, run_id: str) -> None:
    session.execute(update(Run).where(Run.id == run_id).values(status="queued"))


def _failed(session: Session, run_id: str, error: str) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(("queued", "running")))
        .values(status="failed", error=error, finished_at=utcnow())
    )


ALLOCATION_RUN = register(
    JobKind(
        name=KIND,
        execute=execute_run,
        started=_started,
        requeued=_requeued,
        failed=_failed,
    )
)
