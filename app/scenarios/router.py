"""Routes of finance scenarios, run comparison, budget curves and analysis jobs.

Roles: finance and hr_admin create, change, list and read scenarios, compare runs and
sweep budgets (aggregates only: no route here returns an individual's data); hr_admin
alone applies a scenario to its period.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from app.auth.deps import SessionDep, require_roles
from app.auth.principal import Principal
from app.http import check_if_match, etag_of_version, file_responses, set_etag
from app.idempotency.service import IdempotencyDep
from app.jobs import service as jobs
from app.money import minor_exponent
from app.pagination import Page, PageParams, keyset_page, page_params
from app.periods.service import get_period
from app.scenarios import compare as comparison
from app.scenarios import curve, service
from app.scenarios.chart import curve_csv, curve_svg
from app.scenarios.models import Scenario
from app.scenarios.schemas import (
    AppliedOut,
    BudgetCurveCreate,
    ComparisonOut,
    JobOut,
    ScenarioCreate,
    ScenarioOut,
    ScenarioPatch,
)

router = APIRouter(prefix="/api/v1", tags=["scenarios"])

Analyst = Annotated[Principal, Depends(require_roles("finance", "hr_admin"))]
HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]
CSV_TYPE = "text/csv; charset=utf-8"


def _respond(response: Response, scenario: Scenario) -> ScenarioOut:
    set_etag(response, etag_of_version(scenario.version))
    return service.scenario_out(scenario)


@router.get("/periods/{period_id}/scenarios", response_model=Page[ScenarioOut])
def list_scenarios(
    period_id: str,
    session: SessionDep,
    _: Analyst,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ScenarioOut]:
    """The period's scenarios, oldest first."""
    get_period(session, period_id)
    scenarios, cursor = keyset_page(
        session,
        service.scenarios_of_period(period_id),
        key_columns=[Scenario.id],
        key_of=lambda scenario: [scenario.id],
        params=page,
    )
    return Page(items=[service.scenario_out(s) for s in scenarios], next_cursor=cursor)


@router.post("/periods/{period_id}/scenarios", status_code=201, response_model=ScenarioOut)
def create_scenario(
    period_id: str,
    body: ScenarioCreate,
    session: SessionDep,
    principal: Analyst,
    response: Response,
) -> ScenarioOut:
    """A what-if on the period's inputs; 422 names every override that refers to nothing."""
    scenario = service.create_scenario(session, period_id, body, principal)
    response.headers["Location"] = f"/api/v1/scenarios/{scenario.id}"
    return _respond(response, scenario)


@router.get("/scenarios/{scenario_id}", response_model=ScenarioOut)
def get_scenario(
    scenario_id: str, session: SessionDep, _: Analyst, response: Response
) -> ScenarioOut:
    return _respond(response, service.get_scenario(session, scenario_id))


@router.patch("/scenarios/{scenario_id}", response_model=ScenarioOut)
def patch_scenario(
    scenario_id: str,
    body: ScenarioPatch,
    request: Request,
    session: SessionDep,
    _: Analyst,
    response: Response,
) -> ScenarioOut:
    """Change name, description or the whole `overrides` (If-Match: 412 when stale)."""
    scenario = service.patch_scenario(session, scenario_id, body, partial(check_if_match, request))
    return _respond(response, scenario)


@router.post("/scenarios/{scenario_id}/apply", response_model=AppliedOut)
def apply_scenario(scenario_id: str, session: SessionDep, principal: HrAdmin) -> AppliedOut:
    """Copy the overrides into the period's settings (audited). 409 unless the period is
    draft, and for catalogue-level overrides (costs, capacities)."""
    return service.apply_scenario(session, scenario_id, principal)


@router.get(
    "/periods/{period_id}/compare",
    response_model=ComparisonOut,
    responses=file_responses("text/csv"),
)
def compare_runs(
    period_id: str,
    request: Request,
    session: SessionDep,
    _: Analyst,
    runs: Annotated[str, Query(description="run ids, comma-separated; the first is the base")],
) -> Response:
    """KPIs side by side with differences to the first run; `Accept: text/csv` for CSV.
    Aggregates only: peer groups under 5 participants are folded into "other"."""
    result = comparison.compare(session, period_id, comparison.parse_run_ids(runs))
    if "text/csv" in request.headers.get("accept", ""):
        return Response(
            comparison.comparison_csv(result),
            media_type=CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="compare-{period_id}.csv"'},
        )
    return JSONResponse(result.model_dump(mode="json"))


@router.post("/periods/{period_id}/budget-curve", status_code=202, response_model=JobOut)
def start_budget_curve(  # noqa: PLR0917 (FastAPI passes what the route declares)
    period_id: str,
    body: BudgetCurveCreate,
    request: Request,
    session: SessionDep,
    principal: Analyst,
    idem: IdempotencyDep,
) -> Response:
    """Sweep one budget's cap from..to in `steps` (a job; poll `Location`). Each step:
    cost used, total / mean / min satisfaction, marginal satisfaction per 1,000 currency
    units (finite differences); plus the price of fairness at the current cap.
    Honours `Idempotency-Key`."""
    if (replay := idem.replay()) is not None:
        return replay
    job = curve.start_curve(session, period_id, body, principal)
    out = curve.job_out(job).model_dump(mode="json")
    location = f"/api/v1/jobs/{job.id}"
    idem.record(status_code=202, body=out, headers={"Location": location})
    return JSONResponse(out, status_code=202, headers={"Location": location})


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, session: SessionDep, _: Analyst) -> JobOut:
    """Status, progress (done / total) and, once succeeded, the result and its links."""
    return curve.job_out(jobs.get_job(session, job_id))


@router.get(
    "/jobs/{job_id}/curve.csv",
    response_class=Response,
    responses=file_responses("text/csv"),
)
def get_curve_csv(job_id: str, session: SessionDep, _: Analyst) -> Response:
    """The curve, one row per step (money in minor units); 409 until the job succeeded."""
    return Response(
        curve_csv(curve.finished_curve(session, job_id)),
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="budget-curve-{job_id}.csv"'},
    )


@router.get(
    "/jobs/{job_id}/curve.svg",
    response_class=Response,
    responses=file_responses("image/svg+xml"),
)
def get_curve_svg(job_id: str, session: SessionDep, _: Analyst) -> Response:
    """The curve as an SVG chart: satisfaction and budget used against the cap (currency
    units), the current cap marked, the price of fairness in the title."""
    result = curve.finished_curve(session, job_id)
    exponent = minor_exponent(result["currency"])
    title = f"Budget curve: {result['budget_id']}"
    return Response(curve_svg(result, title=title, exponent=exponent), media_type="image/svg+xml")
