"""Finance pages: a period's scenarios (create, edit with version check, run), the
comparison table of runs, and the budget curve with the current cap and the price of
fairness — all through app.scenarios and app.allocations services."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.allocations import service as runs
from app.allocations.models import Run
from app.allocations.schemas import RunCreate
from app.auth.deps import SessionDep
from app.errors import PreconditionFailed, Unprocessable
from app.http import etag_of_version
from app.jobs.service import get_job
from app.periods.service import get_period
from app.portal import dispatch
from app.portal.web import (
    CheckedForm,
    PortalRoute,
    Visitor,
    VisitorDep,
    ends_transaction,
    render,
    role_guard,
    see_other,
)
from app.scenarios import compare as comparison
from app.scenarios import curve
from app.scenarios import service as scenarios
from app.scenarios.chart import curve_svg
from app.scenarios.schemas import BudgetCurveCreate, ScenarioCreate, ScenarioPatch

router = APIRouter(prefix="/portal/finance", route_class=PortalRoute, include_in_schema=False)
ANALYSTS = ("finance", "hr_admin")
MAX_OVERRIDES_TEXT = 20_000
MAX_COMPARED = 8


def _analyst(visitor: Visitor) -> Visitor:
    return role_guard(*ANALYSTS)(visitor)


def _problems(exc: ValidationError | Unprocessable) -> list[str]:
    if isinstance(exc, Unprocessable):
        return [str(e["msg"]) for e in exc.errors or []] or [exc.detail]
    return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:30]]


def _overrides(text: str) -> Any:
    try:
        return json.loads(text[:MAX_OVERRIDES_TEXT] or "{}")
    except json.JSONDecodeError as exc:
        raise Unprocessable(f"overrides: not JSON ({exc.msg} at character {exc.pos})") from None


def _page(
    request: Request,
    session: Session,
    visitor: Visitor,
    period_id: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    period = get_period(session, period_id)
    period_scenarios = session.scalars(scenarios.scenarios_of_period(period_id).limit(100)).all()
    finished = session.scalars(
        select(Run)
        .where(Run.period_id == period_id, Run.status == "succeeded")
        .order_by(Run.created_at, Run.id)
        .limit(100)
    ).all()
    names = {s.id: s.name for s in period_scenarios}
    budgets = [b["id"] for b in period.budgets or []]
    return render(
        request,
        "finance.html",
        visitor=visitor,
        status_code=status_code,
        period=period,
        scenarios=period_scenarios,
        runs=finished,
        names=names,
        budgets=budgets,
        **context,
    )


@router.get("/periods/{period_id}", response_class=HTMLResponse)
@ends_transaction
def finance_page(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep
) -> Response:
    chosen = [r for r in request.query_params.getlist("runs")[:MAX_COMPARED] if r]
    compared = (
        comparison.compare(session, period_id, comparison.parse_run_ids(",".join(chosen)))
        if chosen
        else None
    )
    return _page(request, session, _analyst(visitor), period_id, compared=compared)


@router.post("/periods/{period_id}/scenarios", response_class=HTMLResponse)
@ends_transaction
def create_scenario(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    me = _analyst(visitor)
    try:
        body = ScenarioCreate.model_validate(
            {
                "name": form.get("name", ""),
                "description": form.get("description", ""),
                "overrides": _overrides(form.get("overrides", "")),
            }
        )
        scenario = scenarios.create_scenario(session, period_id, body, me.principal)
    except (ValidationError, Unprocessable) as exc:
        session.rollback()
        return _page(
            request, session, me, period_id, status_code=422, problems=_problems(exc), draft=form
        )
    return see_other(f"/portal/finance/scenarios/{scenario.id}")


def _scenario_page(
    request: Request,
    session: Session,
    visitor: Visitor,
    scenario_id: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    scenario = scenarios.get_scenario(session, scenario_id)
    return render(
        request,
        "scenario.html",
        visitor=visitor,
        status_code=status_code,
        scenario=scenario,
        period=get_period(session, scenario.period_id),
        overrides_text=json.dumps(scenario.overrides, indent=2, sort_keys=True),
        **context,
    )


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
@ends_transaction
def scenario_page(
    scenario_id: str, request: Request, session: SessionDep, visitor: VisitorDep
) -> Response:
    return _scenario_page(
        request, session, _analyst(visitor), scenario_id, saved=request.query_params.get("saved")
    )


@router.post("/scenarios/{scenario_id}", response_class=HTMLResponse)
@ends_transaction
def edit_scenario(
    scenario_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    """Save with the version the form was built from; a stale one is a kind 409 page."""
    me = _analyst(visitor)
    version = form.get("version", "")

    def precondition(current: str) -> None:
        if not version.isdigit() or etag_of_version(int(version)) != current:
            raise PreconditionFailed("stale version")

    try:
        body = ScenarioPatch.model_validate(
            {
                "name": form.get("name", ""),
                "description": form.get("description", ""),
                "overrides": _overrides(form.get("overrides", "")),
            }
        )
        scenario = scenarios.patch_scenario(session, scenario_id, body, precondition)
    except PreconditionFailed:
        session.rollback()
        return _scenario_page(request, session, me, scenario_id, status_code=409, conflict=True)
    except (ValidationError, Unprocessable) as exc:
        session.rollback()
        return _scenario_page(
            request, session, me, scenario_id, status_code=422, problems=_problems(exc)
        )
    return see_other(f"/portal/finance/scenarios/{scenario.id}?saved={scenario.version}")


@router.post("/scenarios/{scenario_id}/runs")
@ends_transaction
def run_scenario(
    scenario_id: str, request: Request, session: SessionDep, visitor: VisitorDep, _f: CheckedForm
) -> Response:
    me = _analyst(visitor)
    scenario = scenarios.get_scenario(session, scenario_id)
    run = runs.start_run(
        session, scenario.period_id, RunCreate(scenario_id=scenario.id), me.principal
    )
    session.commit()
    dispatch.run_queued(request.app, run.id)
    return see_other(f"/portal/hr/runs/{run.id}")


@router.post("/periods/{period_id}/curves", response_class=HTMLResponse)
@ends_transaction
def start_curve(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    me = _analyst(visitor)
    try:
        body = BudgetCurveCreate.model_validate(
            {
                "budget_id": form.get("budget_id", ""),
                "from": form.get("from", ""),
                "to": form.get("to", ""),
                "steps": form.get("steps", ""),
                "scenario_id": form.get("scenario_id") or None,
            }
        )
        job = curve.start_curve(session, period_id, body, me.principal)
        session.commit()
    except (ValidationError, Unprocessable) as exc:
        session.rollback()
        return _page(request, session, me, period_id, status_code=422, problems=_problems(exc))
    dispatch.job_queued(request.app, job.id)
    return see_other(f"/portal/finance/curves/{job.id}")


@router.get("/curves/{job_id}", response_class=HTMLResponse)
@ends_transaction
def curve_page(job_id: str, request: Request, session: SessionDep, visitor: VisitorDep) -> Response:
    me = _analyst(visitor)
    job = curve.job_out(get_job(session, job_id))
    if job.status == "queued":
        dispatch.job_queued(request.app, job_id)
    fragment = "hx-request" in request.headers
    response = render(
        request,
        "_curve_status.html" if fragment else "curve.html",
        visitor=me,
        job=job,
        period=get_period(session, job.period_id),
        in_progress=job.status in ("queued", "running"),
    )
    if fragment and job.status not in ("queued", "running"):
        response.headers["HX-Refresh"] = "true"
    return response


@router.get("/curves/{job_id}/curve.svg")
@ends_transaction
def curve_chart(job_id: str, session: SessionDep, visitor: VisitorDep) -> Response:
    _analyst(visitor)
    result = curve.finished_curve(session, job_id)
    exponent = curve.MINOR_EXPONENT.get(result["currency"], 2)
    svg = curve_svg(result, title=f"Budget curve: {result['budget_id']}", exponent=exponent)
    return Response(svg, media_type="image/svg+xml")
