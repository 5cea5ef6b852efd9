"""Routes of runs, their results and explanations, and the employee's options.

Roles: hr_admin starts runs and reads every line; approver, finance and auditor read run
summaries (status, solver, KPIs: aggregates only); hr_admin, approver and auditor read the
exact problem (it holds individual preferences, needed to reproduce and review a run).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from app.allocations import service
from app.allocations.models import Run, RunLine
from app.allocations.schemas import LineOut, RunCreate, RunEmployeeOut, RunOut
from app.allocations.seams import carried_over_to
from app.allocations.solver_adapter import DEFAULT_TIME_LIMIT_S
from app.audit.service import record
from app.auth.deps import SessionDep, require_employee, require_roles
from app.auth.principal import Principal
from app.db import writes
from app.errors import Unprocessable, error_item
from app.http import AnswerLanguage, etag_of_json, set_etag
from app.idempotency.service import IdempotencyDep
from app.pagination import Page, PageParams, keyset_page, page_params
from app.periods.service import get_period
from app.preferences import service as preferences
from app.preferences.schemas import OptionsOut
from app.security.disclosure import (
    aggregates_only,
    suppress_small_budgets,
    suppress_small_groups,
)

router = APIRouter(prefix="/api/v1", tags=["runs"])
me_router = APIRouter(prefix="/api/v1", tags=["me"])

HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]
# finance may start scenario runs (app.allocations.service checks which kind).
RunStarter = Annotated[Principal, Depends(require_roles("hr_admin", "finance"))]
SummaryReader = Annotated[
    Principal, Depends(require_roles("hr_admin", "approver", "finance", "auditor"))
]
ProblemReader = Annotated[Principal, Depends(require_roles("hr_admin", "approver", "auditor"))]
Me = Annotated[Principal, Depends(require_employee())]
Page_ = Annotated[PageParams, Depends(page_params)]


def summary_for(principal: Principal, run: Run) -> RunOut:
    """Finance sees aggregates only: peer groups and budgets describing fewer than 5
    participants are withheld (app/security/disclosure.py)."""
    out = service.run_out(run)
    if not aggregates_only(principal):
        return out
    if run.life_event_id is not None:
        # One person's re-allocation: its objective, KPIs (who, which event) and the change
        # in budget use are that person's data, not an aggregate.
        withheld: dict[str, Any] = {
            "kpis": {},
            "budgets": [],
            "groups": [],
            "objective": None,
            "bound": None,
            "gap": None,
        }
        return out.model_copy(update=withheld)
    small = service.small_budgets_of(run) if out.budgets else set()
    return out.model_copy(
        update={
            "groups": suppress_small_groups(out.groups),
            "budgets": suppress_small_budgets(out.budgets, small),
        }
    )


def capped_time_limit(body: RunCreate, max_seconds: int) -> RunCreate:
    """The deployment's cap (FLEXBEN_MAX_SOLVER_SECONDS) on a run's time limit: 422 above
    it; a run without one gets the solver default, lowered to the cap if needed."""
    if body.time_limit_s is not None and body.time_limit_s > max_seconds:
        raise Unprocessable(
            f"time_limit_s {body.time_limit_s:g} exceeds this deployment's cap of {max_seconds} s",
            errors=[error_item(["body", "time_limit_s"], f"at most {max_seconds} (seconds)")],
        )
    if body.time_limit_s is None and max_seconds < DEFAULT_TIME_LIMIT_S:
        return body.model_copy(update={"time_limit_s": float(max_seconds)})
    return body


@router.post("/periods/{period_id}/runs", status_code=202, response_model=RunOut)
def start_run(  # noqa: PLR0917 (FastAPI passes what the route declares)
    period_id: str,
    body: RunCreate,
    request: Request,
    session: SessionDep,
    principal: RunStarter,
    idem: IdempotencyDep,
) -> Response:
    """Queue a run of the period's current inputs (open: a preview; closed: approvable).
    With `scenario_id` (finance or hr_admin) the scenario's overrides are applied and the
    run is never approvable.

    The exact problem document is stored with its SHA-256; poll `Location` for the result.
    Honours `Idempotency-Key`."""
    if (replay := idem.replay()) is not None:
        return replay
    body = capped_time_limit(body, request.app.state.settings.max_solver_seconds)
    run = service.start_run(session, period_id, body, principal)
    out = service.run_out(run).model_dump(mode="json")
    location = f"/api/v1/runs/{run.id}"
    idem.record(status_code=202, body=out, headers={"Location": location})
    return JSONResponse(out, status_code=202, headers={"Location": location})


@router.get("/periods/{period_id}/runs", response_model=Page[RunOut])
def list_runs(
    period_id: str, session: SessionDep, principal: SummaryReader, page: Page_
) -> Page[RunOut]:
    """The period's runs, oldest first."""
    get_period(session, period_id)
    runs, cursor = keyset_page(
        session,
        service.runs_of_period(period_id),
        key_columns=[Run.id],
        key_of=lambda run: [run.id],
        params=page,
    )
    items = [summary_for(principal, run) for run in runs]
    return Page(items=items, next_cursor=cursor)


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(
    run_id: str, session: SessionDep, principal: SummaryReader, response: Response
) -> RunOut:
    """Status, solver, objective, bound, gap, KPIs, peer-group and budget figures."""
    out = summary_for(principal, service.get_run(session, run_id))
    set_etag(response, etag_of_json(out.model_dump(mode="json")))
    return out


@router.get("/runs/{run_id}/allocations", response_model=Page[LineOut])
def run_allocations(run_id: str, session: SessionDep, _: HrAdmin, page: Page_) -> Page[LineOut]:
    """The run's lines in (employee, benefit) order."""
    service.get_run(session, run_id)
    lines, cursor = keyset_page(
        session,
        service.lines_query(run_id),
        key_columns=[RunLine.employee, RunLine.benefit, RunLine.effective_from],
        key_of=lambda line: [line.employee, line.benefit, line.effective_from.isoformat()],
        params=page,
    )
    return Page(items=[service.line_out(line) for line in lines], next_cursor=cursor)


@router.get("/runs/{run_id}/employees/{external_id}", response_model=RunEmployeeOut)
@writes  # an audited read
def run_employee(
    run_id: str, external_id: str, session: SessionDep, principal: HrAdmin, language: AnswerLanguage
) -> RunEmployeeOut:
    """One person's lines, satisfaction and explanations (with full figures), the
    explanations' texts in the Accept-Language's language (English or French)."""
    out = service.run_employee(session, run_id, external_id, reader=principal, language=language)
    # It shows the person's preferences: a read by someone else, audited (issue 5).
    record(
        session,
        principal,
        "run.employee.read",
        "run_employee",
        f"{run_id}/{external_id}",
        None,
        None,
    )
    return out


@router.get(
    "/runs/{run_id}/problem",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
@writes  # an audited read
def run_problem(run_id: str, session: SessionDep, principal: ProblemReader) -> Response:
    """The exact `flexben.problem/v1` input of the run, byte for byte (`flexben solve` on it
    reproduces the run's allocation); `X-Problem-SHA256` carries its hash."""
    run = service.get_run(session, run_id)
    text, digest = service.stored_problem(run)
    # The problem holds everyone's preferences: its reads are audited (issue 5).
    record(session, principal, "run.problem.read", "run", run.id, None, None)
    return Response(
        content=text.encode("utf-8"),
        media_type="application/json",
        headers={"X-Problem-SHA256": digest, "ETag": f'"{digest}"'},
    )


@me_router.get("/me/periods/{period_id}/options", response_model=OptionsOut)
def my_options(
    period_id: str,
    session: SessionDep,
    principal: Me,
    include_ineligible: Annotated[
        bool, Query(description="also list the benefits you are not eligible for, and why")
    ] = False,
) -> OptionsOut:
    """Offered benefits you may choose with their cost, your allowance (what runs give:
    carried-over amount included) and your points."""
    period = preferences.visible_period(session, period_id)
    employee = preferences.own_employee(session, principal)
    carried = carried_over_to(session, period, employee.external_id)
    return preferences.options(
        session, period, employee, include_ineligible=include_ineligible, carried_over=carried
    )
