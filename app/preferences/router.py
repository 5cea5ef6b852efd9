"""Routes of preferences: hr_admin on behalf of anyone, employees only for themselves."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from app.auth.deps import SessionDep, require_employee, require_roles
from app.auth.principal import Principal
from app.db import writes
from app.employees.models import Employee
from app.employees.schemas import EmployeeOut
from app.employees.service import employee_out, get_employee
from app.http import check_if_match, set_etag
from app.pagination import Page, PageParams, keyset_page, page_params
from app.periods.models import Period
from app.periods.service import get_period
from app.preferences import repository as repo
from app.preferences import service
from app.preferences.schemas import (
    MyPeriodOut,
    ParticipationOut,
    PreferencesIn,
    PreferencesOut,
    VersionOut,
)

router = APIRouter(prefix="/api/v1", tags=["preferences"])

HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]
Me = Annotated[Principal, Depends(require_employee())]
Aggregates = Annotated[
    Principal, Depends(require_roles("hr_admin", "approver", "finance", "auditor"))
]


def _respond(response: Response, out: PreferencesOut) -> PreferencesOut:
    set_etag(response, service.etag_of(out))
    return out


# ---------------------------------------------------------------- hr_admin


@router.get("/periods/{period_id}/preferences", response_model=Page[PreferencesOut])
@writes  # an audited read
def list_preferences(
    period_id: str,
    session: SessionDep,
    principal: HrAdmin,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[PreferencesOut]:
    """Current preferences of every employee who submitted, by external_id."""
    period = get_period(session, period_id)
    rows, cursor = keyset_page(
        session,
        repo.listing(period.id),
        key_columns=[Employee.external_id],
        key_of=lambda row: [row.employee.external_id],
        params=page,
    )
    items = [service.preferences_out(period, row.employee, row, []) for row in rows]
    service.record_read_by_other(session, principal, period, [row.employee for row in rows])
    return Page(items=items, next_cursor=cursor)


@router.get("/periods/{period_id}/participation", response_model=ParticipationOut)
def period_participation(period_id: str, session: SessionDep, _: Aggregates) -> ParticipationOut:
    """How many active employees submitted preferences, overall and by peer group."""
    return service.participation(session, get_period(session, period_id))


@router.get("/periods/{period_id}/preferences/{external_id}", response_model=PreferencesOut)
@writes  # an audited read
def get_preferences_of(
    period_id: str, external_id: str, session: SessionDep, principal: HrAdmin, response: Response
) -> PreferencesOut:
    period = get_period(session, period_id)
    employee = get_employee(session, external_id)
    out = service.read_preferences(session, period, employee)
    service.record_read_by_other(session, principal, period, [employee])
    return _respond(response, out)


@router.put("/periods/{period_id}/preferences/{external_id}", response_model=PreferencesOut)
def put_preferences_of(
    period_id: str,
    external_id: str,
    *,
    body: PreferencesIn,
    request: Request,
    session: SessionDep,
    principal: HrAdmin,
    response: Response,
) -> PreferencesOut:
    """Submit on behalf of an employee (recorded as such). Honours If-Match (412)."""
    period = get_period(session, period_id)
    employee = get_employee(session, external_id)
    out = service.submit_preferences(
        session,
        period,
        employee,
        body,
        principal=principal,
        on_behalf=True,
        precondition=partial(check_if_match, request),
        if_match_given="if-match" in request.headers,
    )
    return _respond(response, out)


@router.get(
    "/periods/{period_id}/preferences/{external_id}/versions", response_model=list[VersionOut]
)
@writes  # an audited read
def preference_versions(
    period_id: str, external_id: str, session: SessionDep, principal: HrAdmin
) -> list[VersionOut]:
    """Every submission, oldest first, with who made it and when."""
    period = get_period(session, period_id)
    employee = get_employee(session, external_id)
    versions = service.history(session, period, employee)
    service.record_read_by_other(session, principal, period, [employee])
    return versions


# ---------------------------------------------------------------- the employee


@router.get("/me", response_model=EmployeeOut, tags=["me"])
def me(session: SessionDep, principal: Me) -> EmployeeOut:
    """The caller as an employee."""
    return employee_out(service.own_employee(session, principal))


@router.get("/me/periods", response_model=Page[MyPeriodOut], tags=["me"])
def my_periods(
    session: SessionDep,
    principal: Me,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[MyPeriodOut]:
    """Open and closed periods, oldest first (drafts are HR's work in progress)."""
    service.own_employee(session, principal)
    periods, cursor = keyset_page(
        session,
        select(Period).where(Period.status != "draft"),
        key_columns=[Period.id],
        key_of=lambda period: [period.id],
        params=page,
    )
    items = [MyPeriodOut.model_validate(p, from_attributes=True) for p in periods]
    return Page(items=items, next_cursor=cursor)


@router.get("/me/periods/{period_id}/preferences", response_model=PreferencesOut, tags=["me"])
def my_preferences(
    period_id: str, session: SessionDep, principal: Me, response: Response
) -> PreferencesOut:
    period = service.visible_period(session, period_id)
    employee = service.own_employee(session, principal)
    return _respond(response, service.read_preferences(session, period, employee))


@router.put("/me/periods/{period_id}/preferences", response_model=PreferencesOut, tags=["me"])
def put_my_preferences(
    period_id: str,
    *,
    body: PreferencesIn,
    request: Request,
    session: SessionDep,
    principal: Me,
    response: Response,
) -> PreferencesOut:
    """Replace your preferences (a new version). Send If-Match with the ETag you read:
    if someone changed them meanwhile you get 412 instead of overwriting their change."""
    period = service.visible_period(session, period_id)
    employee = service.own_employee(session, principal)
    out = service.submit_preferences(
        session,
        period,
        employee,
        body,
        principal=principal,
        on_behalf=False,
        precondition=partial(check_if_match, request),
        if_match_given="if-match" in request.headers,
    )
    return _respond(response, out)
