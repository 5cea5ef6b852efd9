"""Routes of enrolment periods (thin: parse, authorise, call the service)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth.deps import SessionDep, require_roles
from app.auth.principal import Principal
from app.http import check_if_match, etag_of_version, set_etag
from app.pagination import Page, PageParams, keyset_page, page_params
from app.periods import repository as repo
from app.periods import service
from app.periods.models import Period
from app.periods.schemas import PeriodCreate, PeriodOut, PeriodPatch, Status

router = APIRouter(prefix="/api/v1", tags=["periods"])

HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]
Reader = Annotated[
    Principal, Depends(require_roles("hr_admin", "approver", "payroll", "finance", "auditor"))
]


def _respond(response: Response, period: Period) -> PeriodOut:
    set_etag(response, etag_of_version(period.version))
    return service.period_out(period)


@router.get("/periods", response_model=Page[PeriodOut])
def list_periods(
    session: SessionDep,
    _: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Status | None, Query(description="only periods in this status")] = None,
) -> Page[PeriodOut]:
    """Periods in order of creation."""
    periods, cursor = keyset_page(
        session,
        repo.periods_query(status=status),
        key_columns=[Period.id],
        key_of=lambda period: [period.id],
        params=page,
    )
    return Page(items=[service.period_out(p) for p in periods], next_cursor=cursor)


@router.post("/periods", status_code=201, response_model=PeriodOut)
def create_period(
    body: PeriodCreate, session: SessionDep, _: HrAdmin, response: Response
) -> PeriodOut:
    """Create a period in `draft`; references to groups and benefits must exist."""
    period = service.create_period(session, body)
    response.headers["Location"] = f"/api/v1/periods/{period.id}"
    return _respond(response, period)


@router.get("/periods/{period_id}", response_model=PeriodOut)
def get_period(period_id: str, session: SessionDep, _: Reader, response: Response) -> PeriodOut:
    return _respond(response, service.get_period(session, period_id))


@router.patch("/periods/{period_id}", response_model=PeriodOut)
def patch_period(
    period_id: str,
    body: PeriodPatch,
    request: Request,
    session: SessionDep,
    _: HrAdmin,
    response: Response,
) -> PeriodOut:
    """Everything may change in draft; while open only name and closes_at; closed: name."""
    period = service.patch_period(session, period_id, body, partial(check_if_match, request))
    return _respond(response, period)


@router.post("/periods/{period_id}/open", response_model=PeriodOut)
def open_period(
    period_id: str, request: Request, session: SessionDep, _: HrAdmin, response: Response
) -> PeriodOut:
    """draft -> open, after checking the period is complete (409 listing what is not)."""
    period = service.open_period(session, period_id, partial(check_if_match, request))
    return _respond(response, period)


@router.post("/periods/{period_id}/close", response_model=PeriodOut)
def close_period(
    period_id: str, request: Request, session: SessionDep, _: HrAdmin, response: Response
) -> PeriodOut:
    """open -> closed: preferences are frozen from now on."""
    period = service.close_period(session, period_id, partial(check_if_match, request))
    return _respond(response, period)
