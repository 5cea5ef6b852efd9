"""Life events: the period's family reasons, recording and confirming events, and the
event's preferences (the period's preference rules, limited to the allowed categories).

Services flush; the request's transaction commits (every write is audited).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from app.allocations.models import Run
from app.audit.service import record
from app.auth.principal import Principal
from app.db import utcnow
from app.employees import repository as people
from app.employees.models import Employee
from app.errors import Conflict, NotFound, Unprocessable, error_item
from app.ids import time_ordered_uuid
from app.life_events.models import LifeEvent, LifeEventReason
from app.life_events.schemas import (
    BUILT_IN_KINDS,
    EventPreferencesOut,
    LifeEventIn,
    LifeEventOut,
    MyLifeEventIn,
    ReasonIn,
    ReasonsIn,
    ReasonsOut,
)
from app.periods.models import Period
from app.preferences.rules import Checked, Entry, Issue, check_submission, submission_warnings
from app.preferences.schemas import Hint, PreferencesIn
from app.preferences.service import load_context, own_employee, visible_period

# A hire or a transfer may choose every benefit within this many days of its date.
JOINER_WINDOW_DAYS = 30


def _unprocessable(loc: list[str | int], msg: str) -> Unprocessable:
    return Unprocessable(msg, errors=[error_item(loc, msg)])


# ---------------------------------------------------------------- reasons


def reasons_out(session: Session, period: Period) -> ReasonsOut:
    rows = session.scalars(
        select(LifeEventReason)
        .where(LifeEventReason.period_id == period.id)
        .order_by(LifeEventReason.code)
    )
    return ReasonsOut(
        period_id=period.id,
        reasons=[
            ReasonIn(code=r.code, window_days=r.window_days, categories=r.categories) for r in rows
        ],
    )


def put_reasons(
    session: Session, period: Period, body: ReasonsIn, principal: Principal
) -> ReasonsOut:
    """Replace the period's family reasons (codes unique, never a built-in kind)."""
    seen: set[str] = set()
    for index, reason in enumerate(body.reasons):
        loc: list[str | int] = ["body", "reasons", index, "code"]
        if reason.code in BUILT_IN_KINDS:
            raise _unprocessable(loc, f"{reason.code!r} is a built-in kind, not a family reason")
        if reason.code in seen:
            raise _unprocessable(loc, f"reason {reason.code!r} is listed twice")
        seen.add(reason.code)
    before = reasons_out(session, period).model_dump(mode="json")
    session.execute(delete(LifeEventReason).where(LifeEventReason.period_id == period.id))
    for reason in body.reasons:
        session.add(
            LifeEventReason(
                period_id=period.id,
                code=reason.code,
                window_days=reason.window_days,
                categories=sorted(set(reason.categories)),
            )
        )
    session.flush()
    after = reasons_out(session, period)
    record(session, principal, "life_event_reasons.put", "period", period.id, before,
           after.model_dump(mode="json"))  # fmt: skip
    return after


# ---------------------------------------------------------------- events


def _window(
    session: Session, period: Period, kind: str, effective_date: date
) -> tuple[date, list[str] | None]:
    """(last day preferences may change, categories or None for all) of a kind."""
    if kind == "leave":
        return effective_date, []
    if kind in ("hire", "transfer"):
        return effective_date + timedelta(days=JOINER_WINDOW_DAYS), None
    reason = session.get(LifeEventReason, (period.id, kind))
    if reason is None:
        configured = sorted(
            session.scalars(
                select(LifeEventReason.code).where(LifeEventReason.period_id == period.id)
            )
        )
        allowed = ", ".join([*BUILT_IN_KINDS, *configured])
        raise _unprocessable(["body", "kind"], f"unknown kind {kind!r}; allowed: {allowed}")
    return effective_date + timedelta(days=reason.window_days), list(reason.categories)


def create_event(
    session: Session,
    period: Period,
    body: LifeEventIn,
    principal: Principal,
    *,
    self_reported: bool,
) -> LifeEvent:
    if period.status != "published":
        raise Conflict(
            f"the period is {period.status}: life events change a published allocation; "
            "before publication change the employee's preferences instead"
        )
    if not period.effective_from <= body.effective_date <= period.effective_to:
        raise _unprocessable(
            ["body", "effective_date"],
            f"must be inside the period, {period.effective_from} to {period.effective_to}",
        )
    employee = people.employee_by_external_id(session, body.employee)
    if employee is None:
        raise _unprocessable(["body", "employee"], f"no employee {body.employee!r}")
    window_closes, categories = _window(session, period, body.kind, body.effective_date)
    group = None
    if body.kind == "transfer":
        if body.peer_group is None:
            raise _unprocessable(["body", "peer_group"], "a transfer names its new peer group")
        group = people.peer_group_by_code(session, body.peer_group)
        if group is None:
            raise _unprocessable(["body", "peer_group"], f"no peer group {body.peer_group!r}")
        if group.id == employee.peer_group_id:
            raise _unprocessable(
                ["body", "peer_group"], f"{employee.external_id} is already in {group.code}"
            )
    elif body.peer_group is not None:
        raise _unprocessable(["body", "peer_group"], "only a transfer names a peer group")
    event = LifeEvent(
        id=time_ordered_uuid(),
        period_id=period.id,
        employee_id=employee.id,
        kind=body.kind,
        effective_date=body.effective_date,
        window_closes=window_closes,
        categories=categories,
        peer_group_id=None if group is None else group.id,
        note=body.reason,
        status="reported" if self_reported else "confirmed",
        self_reported=self_reported,
        reported_by=principal.id,
        confirmed_by=None if self_reported else principal.id,
        created_at=utcnow(),
        preferences=None,
        preferences_version=0,
    )
    session.add(event)
    session.flush()
    record(session, principal, "life_event.create", "life_event", event.id, None, event)
    return event


def report_own_event(session: Session, body: MyLifeEventIn, principal: Principal) -> LifeEvent:
    """An employee reports their own event (HR confirms it); hire and transfer are HR's."""
    employee = own_employee(session, principal)
    if body.kind in ("hire", "transfer"):
        msg = f"a {body.kind} is recorded by HR, not self-reported"
        raise _unprocessable(["body", "kind"], msg)
    period = visible_period(session, body.period_id)
    full = LifeEventIn(
        employee=employee.external_id,
        kind=body.kind,
        effective_date=body.effective_date,
        reason=body.reason,
    )
    return create_event(session, period, full, principal, self_reported=True)


def confirm_event(session: Session, event: LifeEvent, principal: Principal) -> LifeEvent:
    if event.status != "reported":
        raise Conflict(f"the event is {event.status}; only a reported event can be confirmed")
    before = event_out(event).model_dump(mode="json")
    event.status, event.confirmed_by = "confirmed", principal.id
    session.flush()
    record(session, principal, "life_event.confirm", "life_event", event.id, before, event)
    return event


def get_event(session: Session, event_id: str) -> LifeEvent:
    event = session.get(LifeEvent, event_id) if "\x00" not in event_id else None
    if event is None:
        raise NotFound(f"no life event with id {event_id!r}")
    return event


def own_event(session: Session, event_id: str, employee: Employee) -> LifeEvent:
    event = get_event(session, event_id)
    if event.employee_id != employee.id:  # someone else's event does not exist for them
        raise NotFound(f"no life event with id {event_id!r}")
    return event


def events_query(
    *,
    period_id: str | None = None,
    employee_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> Select[Any]:
    stmt = select(LifeEvent)
    for column, value in (
        (LifeEvent.period_id, period_id),
        (LifeEvent.employee_id, employee_id),
        (LifeEvent.kind, kind),
        (LifeEvent.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def event_out(event: LifeEvent) -> LifeEventOut:
    return LifeEventOut(
        id=event.id,
        period_id=event.period_id,
        employee=event.employee.external_id,
        kind=event.kind,
        effective_date=event.effective_date,
        window_closes=event.window_closes,
        categories=event.categories,
        peer_group=None if event.peer_group is None else event.peer_group.code,
        reason=event.note,
        status=event.status,
        self_reported=event.self_reported,
        reported_by=event.reported_by,
        confirmed_by=event.confirmed_by,
        created_at=event.created_at,
        preferences_version=event.preferences_version,
    )


# ---------------------------------------------------------------- event preferences


def preferences_out(event: LifeEvent, warnings: list[Hint] | None = None) -> EventPreferencesOut:
    points = event.preferences or {}
    return EventPreferencesOut(
        event_id=event.id,
        employee=event.employee.external_id,
        version=event.preferences_version,
        points={
            code: entry["points"] if entry["units"] == 1 else dict(entry)
            for code, entry in sorted(points.items())
        },
        total_points=sum(entry["points"] for entry in points.values()),
        window_closes=event.window_closes,
        warnings=warnings or [],
    )


def why_no_choice(event: LifeEvent) -> str | None:
    """Why the event's preferences may not change now (None: they may)."""
    if event.status == "published":
        return "the event's allocation is published; record a new event to change it"
    if event.kind == "leave":
        return "a leave takes no preferences: every line ends on its date"
    if utcnow().date() > event.window_closes:
        return f"the event's change window closed on {event.window_closes.isoformat()}"
    return None


def check_event_points(
    session: Session, period: Period, event: LifeEvent, points: Mapping[str, object]
) -> Checked:
    """The period's preference rules, then the event's categories: a benefit outside them
    is an error naming its category."""
    context = load_context(session, period, event.employee)
    checked = check_submission(
        points,
        offered=context.offered,
        ineligible=context.ineligible,
        points_per_employee=period.points_per_employee,
    )
    if event.categories is not None:
        category = {b.code: b.category for b in context.benefits}
        for entry in checked.entries:
            if category.get(entry.benefit) not in event.categories:
                checked.errors.append(
                    Issue(
                        ("body", "points", entry.benefit),
                        f"{entry.benefit} is in category {category.get(entry.benefit)!r}, "
                        f"which a {event.kind} event may not change "
                        f"(allowed: {', '.join(event.categories)})",
                    )
                )
    checked.warnings = submission_warnings(list(checked.entries), context.offered)
    return checked


def submit_preferences(
    session: Session,
    period: Period,
    event: LifeEvent,
    body: PreferencesIn,
    principal: Principal,
    *,
    on_behalf: bool,
) -> EventPreferencesOut:
    """The event's preferences: the period's rules, only the allowed categories, in the window."""
    refused = why_no_choice(event)
    if refused is not None:
        raise Conflict(refused)
    checked = check_event_points(session, period, event, body.points)
    if checked.errors:
        errors = [issue.as_dict() for issue in checked.errors]
        raise Unprocessable("; ".join(str(e["msg"]) for e in errors), errors=errors)
    before = {"version": event.preferences_version, "points": event.preferences}
    event.preferences = {e.benefit: {"points": e.points, "units": e.units} for e in checked.entries}
    event.preferences_version += 1
    session.flush()
    action = "life_event.preferences_on_behalf" if on_behalf else "life_event.preferences"
    after = {"version": event.preferences_version, "points": event.preferences}
    record(session, principal, action, "life_event", event.id, before, after)
    warnings = [Hint(loc=list(w.loc), msg=w.msg) for w in checked.warnings]
    return preferences_out(event, warnings)


def entries_of(points: dict[str, Any] | None) -> list[Entry]:
    return [
        Entry(code, entry["points"], entry["units"])
        for code, entry in sorted((points or {}).items())
    ]


def mark_published(session: Session, run: Run, principal: Principal) -> None:
    """The event's run was approved (in the approval's transaction)."""
    assert run.life_event_id is not None
    event = get_event(session, run.life_event_id)
    before = event_out(event).model_dump(mode="json")
    event.status = "published"
    session.flush()
    record(session, principal, "life_event.publish", "life_event", event.id, before, event)
