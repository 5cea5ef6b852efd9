"""Budget-curve jobs: accept (validate, freeze the problem), execute (sweep), read.

The problem document (the period's current inputs, or a scenario's) is built and stored
when the request is accepted, so the curve describes exactly the inputs of that moment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.allocations import solver_adapter
from app.allocations.problem import canonical_json, document
from app.allocations.seams import current_inputs
from app.auth.principal import Principal
from app.errors import Conflict, NotFound, Unprocessable, error_item
from app.jobs.models import Job
from app.jobs.service import enqueue, get_job
from app.money import minor_units_per_1000
from app.periods.models import Period
from app.periods.service import get_period
from app.scenarios.problem import overrides_of, scenario_inputs
from app.scenarios.schemas import BudgetCurveCreate, JobOut, Progress
from app.scenarios.service import scenario_of_period
from app.security.disclosure import MIN_GROUP_SIZE, budget_participants

KIND = "budget_curve"
# Periods with preferences to sweep: open (a preview), closed, published.
CURVE_STATES = ("open", "closed", "published")


def _problem(session: Session, period: Period, scenario_id: str | None) -> dict[str, Any]:
    """The problem document the curve sweeps: the period's current one, or a scenario's."""
    if scenario_id is None:
        return document(current_inputs(session, period))
    scenario = scenario_of_period(session, scenario_id, period.id)
    return document(scenario_inputs(session, period, overrides_of(scenario)))


def start_curve(
    session: Session, period_id: str, body: BudgetCurveCreate, principal: Principal
) -> Job:
    """Queue a budget-curve job (flushed; executed once the transaction commits)."""
    period = get_period(session, period_id)
    if period.status not in CURVE_STATES:
        raise Conflict(
            f"the period is {period.status}: a budget curve needs preferences, so an open, "
            "closed or published period"
        )
    problem = _problem(session, period, body.scenario_id)
    budgets = {budget["id"]: budget["cap"] for budget in problem["budgets"]}
    if body.budget_id not in budgets:
        allowed = ", ".join(sorted(budgets)) or "none"
        raise Unprocessable(
            f"budget_id: no budget {body.budget_id!r} constrains this period's problem "
            f"(budgets: {allowed}; a budget whose filters match nothing is left out)",
            errors=[error_item(["body", "budget_id"], f"must be one of: {allowed}")],
        )
    covered = budget_participants(problem)[body.budget_id]
    if covered < MIN_GROUP_SIZE:  # its use and satisfaction would describe individuals
        raise Unprocessable(
            f"budget_id: budget {body.budget_id!r} covers {covered} participants; a curve "
            f"needs at least {MIN_GROUP_SIZE} (fewer would describe individuals)",
            errors=[
                error_item(
                    ["body", "budget_id"], f"covers fewer than {MIN_GROUP_SIZE} participants"
                )
            ],
        )
    caps = sweep_caps(body.cap_from, body.cap_to, body.steps)
    params = {
        "budget_id": body.budget_id,
        "from": body.cap_from,
        "to": body.cap_to,
        "steps": body.steps,
        "caps": caps,
        "current_cap": budgets[body.budget_id],
        "currency": period.currency,
        "scenario_id": body.scenario_id,
        "time_limit_s": body.time_limit_s,
    }
    return enqueue(
        session,
        kind=KIND,
        period_id=period.id,
        scenario_id=body.scenario_id,
        created_by=principal.id,
        progress_total=len(caps) + 1,  # the steps, then the price of fairness
        params=params,
        problem=canonical_json(problem),
    )


def sweep_caps(cap_from: int, cap_to: int, steps: int) -> list[int]:
    """`steps` evenly spaced integer caps, both ends included (distinct, ascending)."""
    return sorted({cap_from + (cap_to - cap_from) * i // (steps - 1) for i in range(steps)})


def sweep_curve(
    job_problem: str,
    params: dict[str, Any],
    on_progress: Callable[[int, dict[str, Any]], None] | None,
) -> dict[str, Any]:
    """Execute the sweep of a job; the result document stored on the job."""
    problem = json.loads(job_problem)
    result = solver_adapter.budget_curve(
        problem,
        budget_id=params["budget_id"],
        caps=list(params["caps"]),
        time_limit_s=params.get("time_limit_s"),
        minor_units_per_1000=minor_units_per_1000(params["currency"]),
        on_step=on_progress,
    )
    return {
        "budget_id": params["budget_id"],
        "currency": params["currency"],
        "current_cap": params["current_cap"],
        "marginal_method": (
            "finite differences between neighbouring steps of the integer allocations "
            "(forward at the first step, backward after), per 1,000 currency units"
        ),
        **result,
    }


def job_out(job: Job) -> JobOut:
    links = {"self": f"/api/v1/jobs/{job.id}"}
    if job.kind == KIND and job.status == "succeeded":
        links["csv"] = f"/api/v1/jobs/{job.id}/curve.csv"
        links["svg"] = f"/api/v1/jobs/{job.id}/curve.svg"
    return JobOut(
        id=job.id,
        kind=job.kind,
        period_id=job.period_id,
        scenario_id=job.scenario_id,
        status=job.status,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        progress=Progress(done=job.progress_done, total=job.progress_total),
        params=job.params,
        result=job.result,
        error=job.error,
        links=links,
    )


def finished_curve(session: Session, job_id: str) -> dict[str, Any]:
    """The result of a succeeded budget-curve job (409 while it is not done)."""
    job = get_job(session, job_id)
    if job.kind != KIND:
        raise NotFound(f"job {job_id!r} is not a budget curve")
    if job.status != "succeeded" or job.result is None:
        raise Conflict(f"the job is {job.status}; the curve is available once it succeeded")
    return job.result
