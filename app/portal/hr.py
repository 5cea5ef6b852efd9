"""HR, approver, payroll and auditor pages: a period's participation and lifecycle, runs
with their progress, KPIs and groups, four-eyes approval, the payroll export, audit."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.allocations import service as runs
from app.allocations.models import Run
from app.allocations.router import summary_for
from app.allocations.schemas import RunCreate
from app.audit.models import AuditEvent
from app.auth.deps import SessionDep, SessionFactoryDep
from app.i18n import translator
from app.life_events import service as life_events
from app.payroll import repository as publications
from app.payroll import service as payroll
from app.periods import service as periods
from app.periods.models import Period
from app.portal.charts import Bar, bars_svg
from app.portal.web import (
    CheckedForm,
    PortalRoute,
    VisitorDep,
    language_of,
    render,
    role_guard,
    see_other,
)
from app.preferences import service as preferences

router = APIRouter(prefix="/portal/hr", route_class=PortalRoute, include_in_schema=False)
STAFF = ("hr_admin", "approver", "finance", "auditor")
IN_PROGRESS = ("queued", "running")
AUDIT_PAGE = 100


def _no_precondition(_etag: str) -> None:
    """Portal buttons act on the current state; the services still check it (409)."""


@router.get("/periods/{period_id}", response_class=HTMLResponse)
def period_page(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep
) -> Response:
    role_guard(*STAFF)(visitor)
    period = periods.get_period(session, period_id)
    participation = preferences.participation(session, period)
    t = translator(language_of(request))
    chart = bars_svg(
        [Bar(g.peer_group, g.submitted, g.employees) for g in participation.peer_groups],
        title=t("hr.participation"),
    )
    period_runs = session.scalars(runs.runs_of_period(period_id).limit(50)).all()
    return render(
        request,
        "hr_period.html",
        visitor=visitor,
        period=period,
        participation=participation,
        chart=Markup(chart),
        runs=[summary_for(visitor.principal, r) for r in period_runs],
        published=publications.current_publication(session, period.id),
    )


@router.post("/periods/{period_id}/{action}")
def period_action(
    period_id: str,
    action: str,
    request: Request,
    session: SessionDep,
    visitor: VisitorDep,
    _form: CheckedForm,
) -> Response:
    """open / close (hr_admin) or start a run (hr_admin)."""
    role_guard("hr_admin")(visitor)
    if action == "open":
        periods.open_period(session, period_id, _no_precondition)
    elif action == "close":
        periods.close_period(session, period_id, _no_precondition)
    elif action == "runs":
        run = runs.start_run(session, period_id, RunCreate(), visitor.principal)
        return see_other(f"/portal/hr/runs/{run.id}")
    else:
        return render(
            request,
            "error.html",
            visitor=visitor,
            status_code=404,
            status=404,
            message=f"unknown action {action[:40]!r}; allowed: open, close, runs",
        )
    return see_other(f"/portal/hr/periods/{period_id}")


def _approvable(session: Session, run: Run, period: Period) -> bool:
    """Whether to offer the approve button (the service still decides): a run of a closed
    period, or an event run not yet published."""
    if run.scenario_id is not None:
        return False
    if run.life_event_id is None:
        return period.status == "closed"
    current = publications.current_publication(session, period.id)
    return current is not None and current.run_id != run.id


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: str, request: Request, session: SessionDep, visitor: VisitorDep) -> Response:
    role_guard(*STAFF)(visitor)
    run = runs.get_run(session, run_id)
    out = summary_for(visitor.principal, run)
    period = periods.get_period(session, run.period_id)
    template = "_run_status.html" if "hx-request" in request.headers else "hr_run.html"
    event = None if run.life_event_id is None else life_events.get_event(session, run.life_event_id)
    response = render(
        request,
        template,
        visitor=visitor,
        run=out,
        period=period,
        event=event,
        approvable=_approvable(session, run, period),
        in_progress=out.status in IN_PROGRESS,
        approved=request.query_params.get("approved"),
    )
    if "hx-request" in request.headers and out.status not in IN_PROGRESS:
        response.headers["HX-Refresh"] = "true"  # finished: show the whole result
    return response


@router.post("/runs/{run_id}/approve")
def approve_run(
    run_id: str, session: SessionDep, visitor: VisitorDep, _form: CheckedForm
) -> Response:
    """Four-eyes: the services refuse the person who started the run (403 page)."""
    role_guard("approver")(visitor)
    publication = payroll.approve(session, run_id, visitor.principal)
    return see_other(f"/portal/hr/runs/{run_id}?approved={publication.version}")


@router.get("/periods/{period_id}/payroll.csv")
def payroll_csv(
    period_id: str, session: SessionDep, factory: SessionFactoryDep, visitor: VisitorDep
) -> Response:
    role_guard("payroll")(visitor)
    publication = payroll.csv_publication(session, period_id, None)
    name = f"payroll-{period_id}-v{publication.version if publication else 0}.csv"
    return StreamingResponse(
        payroll.csv_chunks(factory, publication),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, visitor: VisitorDep) -> Response:
    role_guard("auditor", "hr_admin")(visitor)
    events = session.scalars(
        select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE)
    ).all()
    return render(request, "audit.html", visitor=visitor, events=events)
