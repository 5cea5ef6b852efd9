"""Employee pages: periods, choosing (meter, warnings, kind conflicts), the result with
its reasons and fairness receipt, and the likely-outcome hint from a preview run.

Every figure comes from the API's services (preferences, allocations); only the
signed-in person's own rows are ever read, plus aggregates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.allocations.models import Run, RunEmployee, RunLine
from app.auth.deps import SessionDep
from app.benefits.models import Benefit
from app.errors import PreconditionFailed, Unprocessable
from app.http import etag_of_version
from app.payroll import repository as publications
from app.payroll.my_allocation import my_allocation
from app.periods import repository as periods_repo
from app.periods.models import Period
from app.portal.web import (
    CheckedForm,
    PortalRoute,
    Visitor,
    VisitorDep,
    language_of,
    render,
    role_guard,
)
from app.preferences import service as preferences
from app.preferences.rules import check_submission
from app.preferences.schemas import PreferencesIn

router = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)
MAX_POINTS_TEXT = 12


@router.get("/periods", response_class=HTMLResponse)
def periods_page(request: Request, session: SessionDep, visitor: VisitorDep) -> Response:
    """Employees see open and closed periods; HR and the other roles every period."""
    staff = visitor.has("hr_admin", "approver", "payroll", "finance", "auditor")
    query = periods_repo.periods_query(status=None).order_by(Period.created_at, Period.id)
    if not staff:
        query = query.where(Period.status != "draft")
    periods = session.scalars(query.limit(200)).all()
    return render(request, "periods.html", visitor=visitor, periods=periods, staff=staff)


def _me(visitor: Visitor) -> Visitor:
    return role_guard("employee")(visitor)


def form_points(form: dict[str, str], codes: list[str]) -> dict[str, Any]:
    """The posted points as the API's request body: blank or 0 means not wanted; text that
    is not a number is passed on, so the preferences rules name it."""
    points: dict[str, Any] = {}
    for code in codes:
        raw = form.get(f"points.{code}", "").strip()[:MAX_POINTS_TEXT]
        if raw in ("", "0"):
            continue
        value: Any = int(raw) if raw.isdigit() else raw
        units_raw = form.get(f"units.{code}", "1").strip()[:MAX_POINTS_TEXT] or "1"
        units: Any = int(units_raw) if units_raw.isdigit() else units_raw
        points[code] = value if units == 1 else {"points": value, "units": units}
    return points


def shown_points(points: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{code: (points, units)} for re-displaying the form."""
    return {
        code: (v["points"], v["units"]) if isinstance(v, dict) else (v, 1)
        for code, v in points.items()
    }


def _choose(
    request: Request,
    session: Session,
    visitor: Visitor,
    period_id: str,
    *,
    entered: dict[str, Any] | None = None,
    status_code: int = 200,
    **notice: Any,
) -> Response:
    period = preferences.visible_period(session, period_id)
    employee = preferences.own_employee(session, visitor.principal)
    options = preferences.options(session, period, employee, include_ineligible=True)
    current = preferences.read_preferences(session, period, employee)
    shown = shown_points(entered if entered is not None else current.points)
    published = publications.current_publication(session, period.id) is not None
    return render(
        request,
        "choose.html",
        visitor=visitor,
        status_code=status_code,
        period=period,
        options=options,
        current=current,
        shown=shown,
        published=published,
        form_action=f"/portal/me/periods/{period.id}",
        check_action=f"/portal/me/periods/{period.id}/check",
        editable=period.status == "open",
        version=current.version,
        total_points=current.total_points,
        locked={},
        save_label="choose.save",
        hint=likely_outcome(session, period, employee.external_id)
        if period.status == "open"
        else None,
        **notice,
    )


@router.get("/me/periods/{period_id}", response_class=HTMLResponse)
def choose_page(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep
) -> Response:
    return _choose(
        request, session, _me(visitor), period_id, saved=request.query_params.get("saved")
    )


@router.post("/me/periods/{period_id}/check", response_class=HTMLResponse)
def check_choice(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    """The warnings and problems of the choice being made (htmx, as the person types)."""
    period = preferences.visible_period(session, period_id)
    employee = preferences.own_employee(session, _me(visitor).principal)
    context = preferences.load_context(session, period, employee)
    checked = check_submission(
        form_points(form, sorted(context.offered)),
        offered=context.offered,
        ineligible=context.ineligible,
        points_per_employee=period.points_per_employee,
    )
    return render(
        request,
        "_warnings.html",
        visitor=visitor,
        errors=checked.errors,
        warnings=checked.warnings,
    )


@router.post("/me/periods/{period_id}", response_class=HTMLResponse)
def save_choice(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep, form: CheckedForm
) -> Response:
    """Save with the version the form was built from: a stale one is shown kindly (409
    page with the entries kept), never silently overwritten."""
    me = _me(visitor)
    period = preferences.visible_period(session, period_id)
    employee = preferences.own_employee(session, me.principal)
    codes = sorted(preferences.load_context(session, period, employee).offered)
    points = form_points(form, codes)
    version = form.get("version", "")

    def precondition(current_etag: str) -> None:
        if not version.isdigit() or etag_of_version(int(version)) != current_etag:
            raise PreconditionFailed("stale version")

    try:
        out = preferences.submit_preferences(
            session,
            period,
            employee,
            PreferencesIn(points=points),
            principal=me.principal,
            on_behalf=False,
            precondition=precondition,
            if_match_given=True,
        )
    except PreconditionFailed:
        session.rollback()
        return _choose(
            request, session, me, period_id, entered=points, status_code=409, conflict=True
        )
    except Unprocessable as exc:
        session.rollback()
        return _choose(
            request,
            session,
            me,
            period_id,
            entered=points,
            status_code=422,
            problems=[e["msg"] for e in exc.errors or []] or [exc.detail],
        )
    return _choose(request, session, me, period_id, saved=out.version, warnings=out.warnings)


@router.get("/me/periods/{period_id}/result", response_class=HTMLResponse)
def result_page(
    period_id: str, request: Request, session: SessionDep, visitor: VisitorDep
) -> Response:
    me = _me(visitor)
    out = my_allocation(session, period_id, me.principal, language=language_of(request))
    period = preferences.visible_period(session, period_id)
    publication = publications.current_publication(session, period.id)
    assert publication is not None  # my_allocation answered
    run = session.get_one(Run, publication.run_id)
    employee = preferences.own_employee(session, me.principal)
    names = _benefit_names(session)
    return render(
        request,
        "result.html",
        visitor=visitor,
        period=period,
        out=out,
        run=run,
        names=names,
        receipt=_receipt(period, run, employee.need, out),
    )


def _benefit_names(session: Session) -> dict[str, str]:
    return {row.code: row.name for row in session.execute(select(Benefit.code, Benefit.name))}


def _receipt(period: Period, run: Run, need: Any, out: Any) -> dict[str, Any]:
    """Value/need against the group's band; the band's figures only with >= 5 participants
    (out.peer_group is None otherwise)."""
    need_f = float(need or 1) or 1.0
    receipt: dict[str, Any] = {"hash": run.problem_sha256, "ratio": out.allowance_used / need_f}
    if out.peer_group is not None and out.peer_group.mean_value is not None:
        policy = period.policy or {}
        tolerance = float(policy.get("equity_tolerance", 0.15))
        absolute = int(policy.get("equity_absolute", 0))
        group = next((g for g in run.groups or [] if g.get("id") == out.peer_group.code), {})
        tolerance = float(group.get("equity_tolerance", tolerance))
        absolute = int(group.get("equity_absolute", absolute))
        receipt["limit"] = (1 + tolerance) * out.peer_group.mean_value + absolute
    return receipt


# ---------------------------------------------------------------- the likely-outcome hint


def _latest_preview(session: Session, period_id: str) -> Run | None:
    return session.scalars(
        select(Run)
        .where(Run.period_id == period_id, Run.scenario_id.is_(None), Run.status == "succeeded")
        .order_by(Run.finished_at.desc(), Run.id.desc())
        .limit(1)
    ).first()


def likely_outcome(session: Session, period: Period, external_id: str) -> dict[str, Any] | None:
    """From the latest preview run: what this person would likely receive, and how
    contested the limited benefits they want are. Nobody else's data is shown."""
    run = _latest_preview(session, period.id)
    if run is None:
        return None
    mine = session.get(RunEmployee, (run.id, external_id))
    if mine is None:
        return None
    lines = session.scalars(
        select(RunLine).where(RunLine.run_id == run.id, RunLine.employee == external_id)
    ).all()
    benefits = {b.code: b for b in session.scalars(select(Benefit))}
    received = [
        (benefits[line.benefit].name if line.benefit in benefits else line.benefit, line.units)
        for line in lines
        if line.kind == "benefit" and line.benefit in benefits and not benefits[line.benefit].core
    ]
    limited = tuple(
        sorted(
            (code, benefits[code].capacity or 0)
            for code in mine.preferences
            if code in benefits and benefits[code].capacity
        )
    )
    demand: list[tuple[str, float]] = []
    if limited:
        ratios = _demand(session, run.id, limited)
        demand = [(benefits[code].name, ratios[code]) for code, _ in limited if code in ratios]
    return {"run": run, "received": received, "demand": demand}


def _demand(
    session: Session, run_id: str, limited: tuple[tuple[str, int], ...]
) -> dict[str, float]:
    key = (run_id, limited)
    cached = _DEMAND.get(key)
    if cached is not None:
        return cached
    wanted = dict.fromkeys((code for code, _ in limited), 0)
    for prefs in session.scalars(
        select(RunEmployee.preferences).where(RunEmployee.run_id == run_id)
    ):
        for code in wanted:
            if code in prefs:
                wanted[code] += 1
    ratios = {code: wanted[code] / cap for code, cap in limited if cap > 0}
    if len(_DEMAND) > 256:
        _DEMAND.clear()
    _DEMAND[key] = ratios
    return ratios


_DEMAND: dict[tuple[str, tuple[tuple[str, int], ...]], dict[str, float]] = {}
