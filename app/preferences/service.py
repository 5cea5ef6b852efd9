"""Preferences: validation against the period and the employee, versioned writes with
compare-and-set (one of two concurrent writers wins, the other gets 412), and the
employee's options (eligible offered benefits, allowance, points)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.audit.service import record, record_many
from app.auth.persons import is_that_employee
from app.auth.principal import Principal
from app.benefits.eligibility import employee_facts, evaluate
from app.benefits.models import Benefit
from app.db import utcnow
from app.employees.models import Employee
from app.employees.service import employee_out, get_employee
from app.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from app.http import etag_of_version
from app.periods import repository as periods
from app.periods.allowance import with_carry_over
from app.periods.models import Period
from app.periods.service import get_period, period_allowance
from app.preferences import repository as repo
from app.preferences.models import Preference
from app.preferences.rules import (
    Entry,
    OfferedBenefit,
    check_submission,
    proposed_from,
    submission_warnings,
)
from app.preferences.schemas import (
    GroupParticipation,
    Hint,
    OptionOut,
    OptionsOut,
    ParticipationOut,
    PreferencesIn,
    PreferencesOut,
    VersionOut,
)

Precondition = Callable[[str], None]


@dataclass(frozen=True)
class Context:
    """A period seen by one employee."""

    period: Period
    employee: Employee
    benefits: list[Benefit]  # active offered benefits, by code
    ineligible: dict[str, str]  # code -> why not, in plain words

    @property
    def offered(self) -> dict[str, OfferedBenefit]:
        return offered_of(self.benefits)


def offered_of(benefits: list[Benefit]) -> dict[str, OfferedBenefit]:
    """What the preference rules need to know of benefits, by code."""
    return {
        b.code: OfferedBenefit(
            code=b.code,
            name=b.name,
            max_units=b.max_units,
            core=b.core,
            active=b.active,
            exclusive_group=b.exclusive_group,
            requires=tuple(b.requires or ()),
        )
        for b in benefits
    }


def previous_choices(session: Session, period: Period) -> dict[int, dict[str, Any]]:
    """employee id -> their points in the previous published period, when `period` proposes
    them to non-submitters (empty otherwise)."""
    if period.non_submitters != "previous_choices":
        return {}
    previous = periods.previous_period(session, period)
    if previous is None:
        return {}
    rows = session.execute(
        select(Preference.employee_id, Preference.points).where(Preference.period_id == previous.id)
    )
    return {employee_id: points for employee_id, points in rows}  # noqa: C416 (Result)


def load_context(
    session: Session,
    period: Period,
    employee: Employee,
    *,
    offered: list[Benefit] | None = None,
) -> Context:
    """`offered`: the period's offered benefits when the caller already has them (bulk)."""
    benefits = offered if offered is not None else list(periods.offered_benefits(session, period))
    fields = employee_out(employee).model_dump(mode="json")
    facts = employee_facts(fields, effective_from=period.effective_from)
    ineligible: dict[str, str] = {}
    for benefit in benefits:
        result = evaluate(benefit.eligibility, facts)
        if not result.ok:
            ineligible[benefit.code] = result.reason or "not eligible"
    return Context(period, employee, benefits, ineligible)


def visible_period(session: Session, period_id: str) -> Period:
    """A period as an employee may see it: drafts do not exist for them."""
    period = get_period(session, period_id)
    if period.status == "draft":
        raise NotFound(f"no period with id {period_id!r}")
    return period


def own_employee(session: Session, principal: Principal) -> Employee:
    assert principal.employee_external_id is not None  # guaranteed by require_employee()
    try:
        return get_employee(session, principal.employee_external_id)
    except NotFound:
        raise NotFound(
            f"this key is bound to employee {principal.employee_external_id!r}, "
            "who does not exist (yet)"
        ) from None


# ---------------------------------------------------------------- reading


def _compact(points: dict[str, Any]) -> dict[str, Any]:
    """Stored {code: {points, units}} back to the request form (plain int when 1 unit)."""
    return {
        code: entry["points"] if entry["units"] == 1 else dict(entry)
        for code, entry in sorted(points.items())
    }


def _entries(points: dict[str, Any]) -> list[Entry]:
    return [Entry(code, entry["points"], entry["units"]) for code, entry in sorted(points.items())]


def preferences_out(
    period: Period,
    employee: Employee,
    current: Preference | None,
    warnings: list[Hint],
) -> PreferencesOut:
    points = current.points if current is not None else {}
    return PreferencesOut(
        period_id=period.id,
        employee=employee.external_id,
        version=current.version if current is not None else 0,
        points=_compact(points),
        total_points=sum(entry["points"] for entry in points.values()),
        points_per_employee=period.points_per_employee,
        submitted_at=current.submitted_at if current is not None else None,
        submitted_by=current.submitted_by if current is not None else None,
        on_behalf=current.on_behalf if current is not None else False,
        warnings=warnings,
    )


def read_preferences(session: Session, period: Period, employee: Employee) -> PreferencesOut:
    current = repo.current(session, period.id, employee.id)
    warnings: list[Hint] = []
    if current is None and (previous := previous_choices(session, period).get(employee.id)):
        context = load_context(session, period, employee)
        points = proposed_from(
            previous,
            offered=context.offered,
            eligible=lambda code: code not in context.ineligible,
            points_per_employee=period.points_per_employee,
        )
        out = preferences_out(period, employee, None, warnings)
        return out.model_copy(
            update={
                "points": _compact(points),
                "total_points": sum(entry["points"] for entry in points.values()),
                "proposed": True,
            }
        )
    if current is not None:
        offered = load_context(session, period, employee).offered
        entries = [e for e in _entries(current.points) if e.benefit in offered]
        warnings = [Hint(loc=list(w.loc), msg=w.msg) for w in submission_warnings(entries, offered)]
    return preferences_out(period, employee, current, warnings)


def preferences_key(period: Period, employee: Employee) -> str:
    """The audit log's key of one person's preferences in one period."""
    return f"{period.id}/{employee.external_id}"


def record_read_by_other(
    session: Session, principal: Principal, period: Period, employees: list[Employee]
) -> None:
    """Audit a read of these people's preferences by someone else."""
    others = [e for e in employees if e.external_id != principal.employee_external_id]
    if others:
        record_many(
            session,
            principal,
            "preferences.read",
            "preferences",
            [(preferences_key(period, e), None, None) for e in others],
        )
        session.flush()


def etag_of(out: PreferencesOut) -> str:
    return etag_of_version(out.version)


# ---------------------------------------------------------------- writing


def submit_preferences(
    session: Session,
    period: Period,
    employee: Employee,
    body: PreferencesIn,
    *,
    principal: Principal,
    on_behalf: bool,
    precondition: Precondition,
    if_match_given: bool,
) -> PreferencesOut:
    """Store a new version of the employee's preferences (the whole submission)."""
    now = utcnow()
    status, closes_at = periods.share_lock_state(session, period.id) or (period.status, None)
    if status != "open":
        raise Conflict(f"the period is {status}; preferences change only while it is open")
    if closes_at is not None and closes_at <= now:
        raise Conflict(f"the period closed for submissions at {closes_at.isoformat()}")
    if not employee.active:
        raise Conflict(f"employee {employee.external_id} is inactive")
    current = repo.current(session, period.id, employee.id)
    precondition(etag_of_version(current.version if current is not None else 0))
    before = None if current is None else {"version": current.version, "points": current.points}
    context = load_context(session, period, employee)
    checked = check_submission(
        body.points,
        offered=context.offered,
        ineligible=context.ineligible,
        points_per_employee=period.points_per_employee,
    )
    if checked.errors:
        raise Unprocessable(
            "; ".join(issue.msg for issue in checked.errors),
            errors=[issue.as_dict() for issue in checked.errors],
        )
    points = {e.benefit: {"points": e.points, "units": e.units} for e in checked.entries}
    on_behalf = on_behalf or not is_that_employee(principal, employee.id)
    values = {
        "points": points,
        "submitted_by": principal.id,
        "on_behalf": on_behalf,
        "submitted_at": now,
    }
    stale = PreconditionFailed if if_match_given else Conflict
    stale_message = "the preferences were changed by a concurrent request; reload and retry"
    if current is None:
        current = Preference(period_id=period.id, employee_id=employee.id, version=1, **values)
        session.add(current)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise stale(stale_message, headers={"ETag": etag_of_version(1)}) from None
    else:
        expected = current.version
        if not repo.compare_and_set(session, current.id, expected_version=expected, values=values):
            session.rollback()
            raise stale(stale_message)
        # The row now holds what was written: mirror it without another SELECT.
        for name, value in {**values, "version": expected + 1}.items():
            set_committed_value(current, name, value)
    repo.add_version(
        session,
        period_id=period.id,
        employee_id=employee.id,
        version=current.version,
        points=points,
        submitted_by=principal.id,
        on_behalf=on_behalf,
        submitted_at=now,
    )
    after = {"version": current.version, "points": points}
    action = "preferences.submit_on_behalf" if on_behalf else "preferences.submit"
    record(
        session, principal, action, "preferences", preferences_key(period, employee), before, after
    )
    session.flush()
    warnings = [Hint(loc=list(w.loc), msg=w.msg) for w in checked.warnings]
    return preferences_out(period, employee, current, warnings)


# ---------------------------------------------------------------- options


def options(
    session: Session,
    period: Period,
    employee: Employee,
    *,
    include_ineligible: bool,
    carried_over: int = 0,
) -> OptionsOut:
    """`carried_over`: what the previous period carried into this one for the employee."""
    context = load_context(session, period, employee)
    # The allowance runs give: the period's plus what the previous period carried over.
    allowance = with_carry_over(period_allowance(period, employee), carried_over)
    benefits = [
        OptionOut(
            code=b.code,
            name=b.name,
            description=b.description,
            category=b.category,
            cost=b.cost,
            max_units=b.max_units,
            core=b.core,
            exclusive_group=b.exclusive_group,
            requires=list(b.requires or ()),
            capacity=b.capacity,
            taxable=b.taxable,
            sensitive=b.sensitive,
            eligible=b.code not in context.ineligible,
            reason=context.ineligible.get(b.code),
        )
        for b in context.benefits
        if include_ineligible or b.code not in context.ineligible
    ]
    return OptionsOut(
        period_id=period.id,
        period_name=period.name,
        status=period.status,
        currency=period.currency,
        closes_at=period.closes_at,
        points_per_employee=period.points_per_employee,
        allowance=allowance,
        employee=employee_out(employee),
        benefits=benefits,
    )


def history(session: Session, period: Period, employee: Employee) -> list[VersionOut]:
    return [
        VersionOut(
            version=v.version,
            points=_compact(v.points),
            submitted_by=v.submitted_by,
            on_behalf=v.on_behalf,
            submitted_at=v.submitted_at,
        )
        for v in repo.versions(session, period.id, employee.id)
    ]


def participation(session: Session, period: Period) -> ParticipationOut:
    groups = [
        GroupParticipation(peer_group=code, employees=employees, submitted=submitted)
        for code, employees, submitted in repo.participation_by_group(session, period.id)
    ]
    employees = sum(group.employees for group in groups)
    submitted = sum(group.submitted for group in groups)
    return ParticipationOut(
        period_id=period.id,
        status=period.status,
        employees=employees,
        submitted=submitted,
        rate=submitted / employees if employees else 0.0,
        peer_groups=groups,
    )
