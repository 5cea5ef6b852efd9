"""Runs: start (build and store the problem), read results, one employee's view."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.allocations.explanations import worded
from app.allocations.jobs import enqueue_run
from app.allocations.models import FINISHED, Run, RunEmployee, RunLine
from app.allocations.schemas import (
    LineOut,
    RunCreate,
    RunEmployeeOut,
    RunOut,
    SolverOut,
)
from app.allocations.seams import scenario_runs
from app.audit.service import record
from app.auth.principal import Principal
from app.errors import Conflict, Forbidden, NotFound
from app.ids import time_ordered_uuid
from app.jobs.waiting import waiting_hint
from app.periods.models import Period
from app.periods.service import get_period
from app.security.disclosure import peer_figures_shown, small_budgets

RUNNABLE = ("open", "closed")
# Scenario runs never publish, so finance may simulate on a published period too.
SCENARIO_RUNNABLE = ("open", "closed", "published")


def _check_may_start(
    session: Session, period: Period, body: RunCreate, principal: Principal
) -> None:
    """Baseline runs need hr_admin; a scenario run names a scenario of this period."""
    if body.scenario_id is None:
        if not principal.has_any(("hr_admin",)):
            raise Forbidden(
                "finance may start scenario runs only: give the scenario_id of a scenario "
                "of this period (baseline runs need the hr_admin role)"
            )
        return
    scenario_runs().check(session, period, body.scenario_id)


def start_run(session: Session, period_id: str, body: RunCreate, principal: Principal) -> Run:
    """Queue a run of the period's current inputs (flushed; executed once committed)."""
    # Scenario runs lock the period row so that the quota check below cannot be raced.
    period = get_period(session, period_id, for_update=body.scenario_id is not None)
    runnable = SCENARIO_RUNNABLE if body.scenario_id is not None else RUNNABLE
    if period.status not in runnable:
        hint = {
            "draft": "open it first",
            "published": "re-open it (POST /periods/{id}/open) to correct and run again, "
            "or run a scenario of it (scenario runs never publish)",
        }
        raise Conflict(
            f"the period is {period.status}: runs need an open (preview) or closed period; "
            f"{hint.get(period.status, '')}".rstrip("; ")
        )
    if body.scenario_id is not None:
        _check_scenario_quota(session, period.id)
    _check_may_start(session, period, body, principal)
    # The problem is built by the run's job (app.allocations.jobs), not in this request.
    run = Run(
        id=time_ordered_uuid(),
        period_id=period.id,
        status="queued",
        created_by=principal.id,
        created_by_person=principal.person,
        time_limit_s=body.time_limit_s,
        scenario_id=body.scenario_id,
        attempts=0,
    )
    session.add(run)
    session.flush()
    enqueue_run(session, run)
    record(session, principal, "run.start", "run", run.id, None, run)
    return run


class RunQuotaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLEXBEN_", extra="ignore")

    # Unfinished scenario runs per period: what-ifs must not delay HR's final run.
    max_queued_scenario_runs: int = Field(default=4, ge=1)


def _check_scenario_quota(session: Session, period_id: str) -> None:
    limit = RunQuotaSettings().max_queued_scenario_runs
    waiting = session.scalar(
        select(func.count())
        .select_from(Run)
        .where(
            Run.period_id == period_id,
            Run.scenario_id.is_not(None),
            Run.status.in_(("queued", "running")),
        )
    )
    if (waiting or 0) >= limit:
        raise Conflict(
            f"{waiting} scenario runs of this period have not finished (at most {limit}, "
            "FLEXBEN_MAX_QUEUED_SCENARIO_RUNS); start another once one has, so that the "
            "period's own runs are not delayed"
        )


def small_budgets_of(run: Run) -> set[str]:
    """The run's budgets whose use describes fewer than 5 participants."""
    if run.small_budgets is not None:
        return set(run.small_budgets)
    if run.problem is None:  # not built yet: no budget use to withhold
        return set()
    return small_budgets(json.loads(run.problem))


def stored_problem(run: Run) -> tuple[str, str]:
    """The run's problem text and SHA-256 (409 while its job has not built it)."""
    if run.problem is None or run.problem_sha256 is None:
        state = "failed before building it" if run.status in FINISHED else "is building it"
        raise Conflict(
            f"run {run.id} has no problem: a run's job builds its problem when it starts, "
            f"and this one {state}; GET /runs/{run.id} tells when it has"
        )
    return run.problem, run.problem_sha256


def get_run(session: Session, run_id: str) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run with id {run_id!r}")
    return run


def run_out(run: Run) -> RunOut:
    solver = None
    if run.solver_status is not None:
        solver = SolverOut(
            name=run.solver_name,
            version=run.solver_version,
            seconds=run.solver_seconds,
            status=run.solver_status,
        )
    return RunOut(
        id=run.id,
        period_id=run.period_id,
        scenario_id=run.scenario_id,
        status=run.status,
        created_by=run.created_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        attempts=run.attempts,
        time_limit_s=run.time_limit_s,
        problem_sha256=run.problem_sha256,
        solver=solver,
        objective=run.objective,
        bound=run.bound,
        gap=run.gap,
        kpis=run.kpis or {},
        groups=run.groups or [],
        budgets=run.budgets or [],
        error=run.error,
        hint=waiting_hint(run.status, run.created_at),
    )


def runs_of_period(period_id: str) -> Select[Any]:
    return select(Run).where(Run.period_id == period_id)


def lines_query(run_id: str) -> Select[Any]:
    return select(RunLine).where(RunLine.run_id == run_id)


def line_out(line: RunLine) -> LineOut:
    return LineOut(
        employee=line.employee,
        benefit=line.benefit,
        kind=line.kind,
        units=line.units,
        employer_cost=line.employer_cost,
        employee_cost=line.employee_cost,
        effective_from=line.effective_from,
        effective_to=line.effective_to,
    )


def run_employee(
    session: Session, run_id: str, external_id: str, *, reader: Principal, language: str
) -> RunEmployeeOut:
    """One person's result, explanations worded for `reader` in `language`."""
    run = get_run(session, run_id)
    row = session.get(RunEmployee, (run.id, external_id))
    if row is None:
        detail = (
            f"run {run_id!r} is {run.status}: it has no per-employee results"
            if run.status != "succeeded"
            else f"employee {external_id!r} is not in run {run_id!r}"
        )
        raise NotFound(detail)
    lines = session.scalars(
        select(RunLine)
        .where(RunLine.run_id == run.id, RunLine.employee == external_id)
        .order_by(RunLine.benefit, RunLine.effective_from)
    ).all()
    return RunEmployeeOut(
        employee=row.employee,
        peer_group=row.peer_group,
        satisfaction=row.satisfaction,
        value=row.value,
        top_up=row.top_up,
        allowance=row.allowance,
        leftover=row.leftover,
        preferences=row.preferences,
        lines=[line_out(line) for line in lines],
        explanations=worded(
            session,
            row.explanations,
            currency=session.get_one(Period, run.period_id).currency,
            band_figures=peer_figures_shown(group_participants(run, row.peer_group), reader=reader),
            language=language,
        ),
    )


def group_participants(run: Run, group: str) -> int:
    """Participants of a peer group in the run (0 when it has no such group)."""
    figures = next((g for g in run.groups or [] if g.get("id") == group), None)
    return int(figures.get("participants") or 0) if figures else 0
