"""Routes of life events (API.md): hr_admin records, confirms, submits on behalf and runs;
employees self-report their own events and submit their own event preferences."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from app.allocations.service import run_out
from app.auth.deps import SessionDep, require_employee, require_roles
from app.auth.principal import Principal
from app.employees import repository as people
from app.life_events import service
from app.life_events.models import LifeEvent
from app.life_events.runs import start_event_run
from app.life_events.schemas import (
    EventPreferencesOut,
    LifeEventIn,
    LifeEventOut,
    MyLifeEventIn,
    ReasonsIn,
    ReasonsOut,
)
from app.pagination import Page, PageParams, keyset_page, page_params
from app.periods.service import get_period
from app.preferences.schemas import PreferencesIn
from app.preferences.service import own_employee

router = APIRouter(prefix="/api/v1", tags=["life-events"])

HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]
Me = Annotated[Principal, Depends(require_employee())]
Page_ = Annotated[PageParams, Depends(page_params)]
Status = Literal["reported", "confirmed", "published"]


def _created(event: LifeEvent, location: str) -> JSONResponse:
    out = service.event_out(event).model_dump(mode="json")
    return JSONResponse(out, status_code=201, headers={"Location": location})


@router.get("/periods/{period_id}/life-event-reasons", response_model=ReasonsOut)
def get_reasons(period_id: str, session: SessionDep, _: HrAdmin) -> ReasonsOut:
    """The period's family reasons: change window in days and the categories each opens."""
    return service.reasons_out(session, get_period(session, period_id))


@router.put("/periods/{period_id}/life-event-reasons", response_model=ReasonsOut)
def put_reasons(
    period_id: str, body: ReasonsIn, session: SessionDep, principal: HrAdmin
) -> ReasonsOut:
    """Replace the period's family reasons (hire, leave and transfer are built in)."""
    out = service.put_reasons(session, get_period(session, period_id), body, principal)
    return out


@router.get("/periods/{period_id}/life-events", response_model=Page[LifeEventOut])
def list_events(  # noqa: PLR0917 (FastAPI passes what the route declares)
    period_id: str,
    session: SessionDep,
    _: HrAdmin,
    page: Page_,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    status: Status | None = None,
    employee: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[LifeEventOut]:
    """The period's events, oldest first; filter by kind, status, employee."""
    period = get_period(session, period_id)
    employee_id = None
    if employee is not None:
        found = people.employee_by_external_id(session, employee)
        if found is None:
            return Page(items=[], next_cursor=None)
        employee_id = found.id
    rows, cursor = keyset_page(
        session,
        service.events_query(
            period_id=period.id, employee_id=employee_id, kind=kind, status=status
        ),
        key_columns=[LifeEvent.id],
        key_of=lambda event: [event.id],
        params=page,
    )
    return Page(items=[service.event_out(e) for e in rows], next_cursor=cursor)


@router.post("/periods/{period_id}/life-events", status_code=201, response_model=LifeEventOut)
def create_event(
    period_id: str, body: LifeEventIn, session: SessionDep, principal: HrAdmin
) -> JSONResponse:
    """Record an event (confirmed at once: HR records it)."""
    period = get_period(session, period_id)
    event = service.create_event(session, period, body, principal, self_reported=False)
    return _created(event, f"/api/v1/life-events/{event.id}")


@router.get("/life-events/{event_id}", response_model=LifeEventOut)
def get_event(event_id: str, session: SessionDep, _: HrAdmin) -> LifeEventOut:
    return service.event_out(service.get_event(session, event_id))


@router.post("/life-events/{event_id}/confirm", response_model=LifeEventOut)
def confirm_event(event_id: str, session: SessionDep, principal: HrAdmin) -> LifeEventOut:
    """Confirm an event an employee reported."""
    event = service.confirm_event(session, service.get_event(session, event_id), principal)
    out = service.event_out(event)
    return out


@router.get("/life-events/{event_id}/preferences", response_model=EventPreferencesOut)
def get_event_preferences(event_id: str, session: SessionDep, _: HrAdmin) -> EventPreferencesOut:
    return service.preferences_out(service.get_event(session, event_id))


@router.put("/life-events/{event_id}/preferences", response_model=EventPreferencesOut)
def put_event_preferences(
    event_id: str, body: PreferencesIn, session: SessionDep, principal: HrAdmin
) -> EventPreferencesOut:
    """The event's preferences on the employee's behalf (only the allowed categories)."""
    event = service.get_event(session, event_id)
    period = get_period(session, event.period_id)
    out = service.submit_preferences(session, period, event, body, principal, on_behalf=True)
    return out


@router.post("/life-events/{event_id}/runs", status_code=202)
def start_run(event_id: str, session: SessionDep, principal: HrAdmin) -> JSONResponse:
    """Re-allocate the event's employee, every other line fixed (approve with
    POST /runs/{id}/approve: publication N+1)."""
    run = start_event_run(session, service.get_event(session, event_id), principal)
    out = run_out(run).model_dump(mode="json")
    return JSONResponse(out, status_code=202, headers={"Location": f"/api/v1/runs/{run.id}"})


# ---------------------------------------------------------------- the employee


@router.get("/me/life-events", response_model=Page[LifeEventOut])
def my_events(session: SessionDep, principal: Me, page: Page_) -> Page[LifeEventOut]:
    employee = own_employee(session, principal)
    rows, cursor = keyset_page(
        session,
        service.events_query(employee_id=employee.id),
        key_columns=[LifeEvent.id],
        key_of=lambda event: [event.id],
        params=page,
    )
    return Page(items=[service.event_out(e) for e in rows], next_cursor=cursor)


@router.post("/me/life-events", status_code=201, response_model=LifeEventOut)
def report_event(body: MyLifeEventIn, session: SessionDep, principal: Me) -> JSONResponse:
    """Report your own event (HR confirms it). hire and transfer are HR's to record."""
    event = service.report_own_event(session, body, principal)
    return _created(event, f"/api/v1/me/life-events/{event.id}")


@router.get("/me/life-events/{event_id}/preferences", response_model=EventPreferencesOut)
def my_event_preferences(event_id: str, session: SessionDep, principal: Me) -> EventPreferencesOut:
    employee = own_employee(session, principal)
    return service.preferences_out(service.own_event(session, event_id, employee))


@router.put("/me/life-events/{event_id}/preferences", response_model=EventPreferencesOut)
def put_my_event_preferences(
    event_id: str, body: PreferencesIn, session: SessionDep, principal: Me
) -> EventPreferencesOut:
    employee = own_employee(session, principal)
    event = service.own_event(session, event_id, employee)
    period = get_period(session, event.period_id)
    out = service.submit_preferences(session, period, event, body, principal, on_behalf=False)
    return out
