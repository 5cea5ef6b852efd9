"""The budget curve as a job kind (`budget_curve`): sweep a budget's cap over the problem
frozen when the request was accepted, one progress step per cap (then the price of
fairness); the curve is the job's `result`."""

from __future__ import annotations

from typing import Any

from app.allocations import solver_adapter
from app.jobs.registry import Finish, JobContext, JobKind, register
from app.scenarios.curve import KIND, sweep_curve


def execute_curve(context: JobContext) -> Finish:
    def progress(index: int, _figures: dict[str, Any]) -> None:
        context.progress(index + 1)

    if context.problem is None:
        return Finish(status="failed", error="the job has no problem document")
    try:
        result = sweep_curve(context.problem, context.params, progress)
    except solver_adapter.ProblemError as error:
        return Finish(status="failed", error=solver_adapter.problem_issues(error))
    return Finish(status="succeeded", result=result)


BUDGET_CURVE = register(JobKind(name=KIND, execute=execute_curve))
