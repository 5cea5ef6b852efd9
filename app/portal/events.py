"""Life-event pages. Employees list and report their own events and choose within an
event's categories and window; HR lists, filters, records and confirms a period's events
and starts their runs (progress and four-eyes approval: the run pages of app.portal.hr).

Every rule is app.life_events' (the API's services); an employee only ever reaches their
own events (another person's event id is 404, as in the API)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.allocations.models import Run
from app.auth.deps import SessionDep
from app.employees import repository as people
from app.employees.models import Employee
from app.errors import Unprocessable
from app.life_events import service
from app.life_events.models import EVENT_STATUSES, LifeEvent
from app.life_events.runs import start_event_run
from app.life_events.schemas import BUILT_IN_KINDS, LifeEventIn, MyLifeEventIn
from app.pagination import PageParams, keyset_page
from app.periods.models import Period
from app.periods.service import get_period
from app.portal.employee import form_points, shown_points
from app.portal.web import (
    CheckedForm,
    PortalRoute,
    Visitor,
    VisitorDep,
    render,
    role_guard,
    see_other,
)
from app.preferences import service as preferences
from app.preferences.schemas import OptionsOut, PreferencesIn

router = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)
MY_EVENTS_SHOWN = 200
HR_PAGE = 50
MAX_FILTER_TEXT = 64
MAX_NOTE_TEXT = 500


def _problems(exc: ValidationError | Unprocessable) -> list[str]:
    if isinstance(exc, Unprocessable):
        return [str(e["msg"]) for e in exc.errors or []] or [exc.detail]
    return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:20]]


def _event_form(form: dict[str, str]) -> dict[str, Any]:
    """The fields an event form shares with the API's bodies (blank optional text: None)."""
    return {
        "kind": form.get("kind", "")[:MAX_FILTER_TEXT],
        "effective_date": form.get("effective_date", "")[:MAX_FILTER_TEXT],
        "reason": form.get("note", "").strip()[:MAX_NOTE_TEXT] or None,
    }


# ---------------------------------------------------------------- the employee


def _me(visitor: Visitor) -> Visitor:
    return role_guard("employee")(visitor)


def _my_events(
    request: Request,
    session: Session,
    visitor: Visitor,
    period_id: str,
    *,
    status_code: int = 200,
    **notice: Any,
) -> Response:
    period = preferences.visible_period(session, period_id)
    employee = preferences.own_employee(session, visitor.principal)
    events = session.scalars(
        service.events_query(period_id=period.id, employee_id=employee.id)
        .order_by(LifeEvent.effective_date, LifeEvent.id)
        .limit(MY_EVENTS_SHOWN)
    ).all()
    return render(
        request,
        "my_events.html",
        visitor=visitor,
        status_code=status_code,
        period=period,
        events=events,
        reasons=service.reasons_out(session, period).reasons,
        **notice,
    )


@router.get("/me/periods/{period_id}/events", response_class=HTMLResponse)
def my_events_page(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep
) -> Response:
    reported = request.query_params.get("reported")
    return _my_events(request, session, _me(visitor), period_id, reported=reported)


@router.post("/me/periods/{period_id}/events", response_class=HTMLResponse)
def report_event(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    """Self-report (HR confirms); a refused report keeps what was entered."""
    me = _me(visitor)
    try:
        body = MyLifeEventIn.model_validate({"period_id": period_id, **_event_form(form)})
        service.report_own_event(session, body, me.principal)
    except (ValidationError, Unprocessable) as exc:
        session.rollback()
        return _my_events(
            request, session, me, period_id, status_code=422, problems=_problems(exc), entered=form
        )
    return see_other(f"/portal/me/periods/{period_id}/events?reported=1")


def _own_event(session: Session, visitor: Visitor, event_id: str) -> LifeEvent:
    employee = preferences.own_employee(session, visitor.principal)
    return service.own_event(session, event_id[:MAX_FILTER_TEXT], employee)


def _locked(options: OptionsOut, event: LifeEvent) -> dict[str, str | None]:
    """{code: category} of the offered benefits the event may not change."""
    if event.categories is None:
        return {}
    return {b.code: b.category for b in options.benefits if b.category not in event.categories}


def _event_choice(
    request: Request,
    session: Session,
    visitor: Visitor,
    event: LifeEvent,
    *,
    entered: dict[str, Any] | None = None,
    status_code: int = 200,
    **notice: Any,
) -> Response:
    """The period's choice form (meter, live warnings), limited to the event's categories."""
    period = get_period(session, event.period_id)
    options = preferences.options(session, period, event.employee, include_ineligible=True)
    current = service.preferences_out(event)
    refused = service.why_no_choice(event)
    return render(
        request,
        "event_choose.html",
        visitor=visitor,
        status_code=status_code,
        period=period,
        event=event,
        options=options,
        refused=refused,
        shown=shown_points(entered if entered is not None else current.points),
        form_action=f"/portal/me/events/{event.id}",
        check_action=f"/portal/me/events/{event.id}/check",
        editable=refused is None,
        version=None,
        total_points=current.total_points,
        locked=_locked(options, event),
        save_label="event.save",
        **notice,
    )


@router.get("/me/events/{event_id}", response_class=HTMLResponse)
def event_choice_page(
    event_id: str, request: Request, session: SessionDep, visitor: VisitorDep
) -> Response:
    me = _me(visitor)
    return _event_choice(request, session, me, _own_event(session, me, event_id))


def _posted_points(
    session: Session, period: Period, event: LifeEvent, form: dict[str, str]
) -> dict[str, Any]:
    """Every offered benefit is read, so a change outside the categories reaches the rule
    that names it."""
    codes = sorted(preferences.load_context(session, period, event.employee).offered)
    return form_points(form, codes)


@router.post("/me/events/{event_id}/check", response_class=HTMLResponse)
def check_event_choice(
    event_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    """The warnings and problems of the event's choice being made (htmx, as the person types)."""
    event = _own_event(session, _me(visitor), event_id)
    period = get_period(session, event.period_id)
    checked = service.check_event_points(
        session, period, event, _posted_points(session, period, event, form)
    )
    return render(
        request,
        "_warnings.html",
        visitor=visitor,
        errors=checked.errors,
        warnings=checked.warnings,
    )


@router.post("/me/events/{event_id}", response_class=HTMLResponse)
def save_event_choice(
    event_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    me = _me(visitor)
    event = _own_event(session, me, event_id)
    period = get_period(session, event.period_id)
    points = _posted_points(session, period, event, form)
    try:
        out = service.submit_preferences(
            session, period, event, PreferencesIn(points=points), me.principal, on_behalf=False
        )
    except Unprocessable as exc:
        session.rollback()
        event = _own_event(session, me, event_id)
        return _event_choice(
            request,
            session,
            me,
            event,
            entered=points,
            status_code=422,
            problems=_problems(exc),
        )
    return _event_choice(request, session, me, event, saved=out.version, warnings=out.warnings)


# ---------------------------------------------------------------- HR


def _hr(visitor: Visitor) -> Visitor:
    return role_guard("hr_admin")(visitor)


def _filters(request: Request) -> dict[str, str]:
    """The list's filters as given (blank: any)."""
    names = ("status", "kind", "employee")
    values = {name: request.query_params.get(name, "").strip()[:MAX_FILTER_TEXT] for name in names}
    return {name: value for name, value in values.items() if value}


def _period_events(
    session: Session, period: Period, filters: dict[str, str], cursor: str | None
) -> tuple[list[LifeEvent], str | None]:
    employee_id = None
    if "employee" in filters:
        found: Employee | None = people.employee_by_external_id(session, filters["employee"])
        if found is None:
            return [], None
        employee_id = found.id
    query = service.events_query(
        period_id=period.id,
        employee_id=employee_id,
        kind=filters.get("kind"),
        status=filters.get("status"),
    )
    return keyset_page(
        session,
        query,
        key_columns=[LifeEvent.id],
        key_of=lambda event: [event.id],
        params=PageParams(cursor=cursor, limit=HR_PAGE),
    )


def _latest_runs(session: Session, events: list[LifeEvent]) -> dict[str, Run]:
    """Each listed event's latest run."""
    rows = session.scalars(
        select(Run)
        .where(Run.life_event_id.in_([e.id for e in events]))
        .order_by(Run.created_at, Run.id)
    )
    return {run.life_event_id: run for run in rows if run.life_event_id is not None}


def _hr_events(
    request: Request,
    session: Session,
    visitor: Visitor,
    period_id: str,
    *,
    status_code: int = 200,
    **notice: Any,
) -> Response:
    period = get_period(session, period_id)
    filters = _filters(request)
    events, next_cursor = _period_events(
        session, period, filters, request.query_params.get("cursor") or None
    )
    reasons = [r.code for r in service.reasons_out(session, period).reasons]
    return render(
        request,
        "hr_events.html",
        visitor=visitor,
        status_code=status_code,
        period=period,
        events=events,
        runs=_latest_runs(session, events),
        next_page=None
        if next_cursor is None
        else f"?{urlencode({**filters, 'cursor': next_cursor})}",
        filters=filters,
        kinds=[*BUILT_IN_KINDS, *reasons],
        statuses=EVENT_STATUSES,
        **notice,
    )


@router.get("/hr/periods/{period_id}/events", response_class=HTMLResponse)
def hr_events_page(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep
) -> Response:
    return _hr_events(
        request,
        session,
        _hr(visitor),
        period_id,
        recorded=request.query_params.get("recorded"),
        confirmed=request.query_params.get("confirmed"),
    )


# Not /periods/{id}/events: app.portal.hr's POST /periods/{id}/{action} would take it.
@router.post("/hr/periods/{period_id}/events/record", response_class=HTMLResponse)
def record_event(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    """HR records an event for an employee (confirmed at once)."""
    hr = _hr(visitor)
    period = get_period(session, period_id)
    try:
        body = LifeEventIn.model_validate(
            {
                **_event_form(form),
                "employee": form.get("employee", "").strip()[:MAX_FILTER_TEXT],
                "peer_group": form.get("peer_group", "").strip()[:MAX_FILTER_TEXT] or None,
            }
        )
        service.create_event(session, period, body, hr.principal, self_reported=False)
    except (ValidationError, Unprocessable) as exc:
        session.rollback()
        return _hr_events(
            request, session, hr, period_id, status_code=422, problems=_problems(exc), entered=form
        )
    return see_other(f"/portal/hr/periods/{period_id}/events?recorded=1")


@router.post("/hr/events/{event_id}/confirm")
def confirm_event(
    event_id: str, session: SessionDep, visitor: VisitorDep, _form: CheckedForm
) -> Response:
    hr = _hr(visitor)
    event = service.confirm_event(session, service.get_event(session, event_id), hr.principal)
    return see_other(f"/portal/hr/periods/{event.period_id}/events?confirmed=1")


@router.post("/hr/events/{event_id}/runs")
def start_run(
    event_id: str, session: SessionDep, visitor: VisitorDep, _form: CheckedForm
) -> Response:
    """Its progress and approval: the run page (another person approves)."""
    hr = _hr(visitor)
    run = start_event_run(session, service.get_event(session, event_id), hr.principal)
    return see_other(f"/portal/hr/runs/{run.id}")
