"""Business rules of enrolment periods: validation against the catalogue and people,
and the transitions draft -> open -> closed.

What may change when (PATCH):
- draft: everything;
- open: `name` and `closes_at` only (employees are choosing: points, offered benefits,
  allowances and budgets stay what they were shown);
- closed: `name` only.
Anything else is a 409 naming the fields.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.audit.service import record, snapshot
from app.db import utcnow
from app.employees import repository as people
from app.employees.models import Employee
from app.errors import Conflict, NotFound, Unprocessable, error_item
from app.http import etag_of_version
from app.ids import time_ordered_uuid
from app.periods import repository as repo
from app.periods.allowance import AllowanceRules, employee_allowance
from app.periods.models import Period
from app.periods.schemas import (
    Allowance,
    Budget,
    PeriodCreate,
    PeriodOut,
    PeriodPatch,
    PolicyOut,
    check_period_shape,
)

Precondition = Callable[[str], None]
# One invalid field: (its loc, a message), an item of a 422's `errors`.
FieldIssue = tuple[list[str | int], str]
# Closed: preferences are frozen, but the allocation's settings may still be tuned (e.g. a
# decided finance scenario applied) before the run that gets approved; approval compares the
# current inputs, so every such change retires the earlier runs for approval.
CLOSED_SETTINGS = frozenset({"allowance", "budgets", "policy", "leftover_policy", "non_submitters"})
EDITABLE = {
    "draft": None,
    "open": {"name", "closes_at"},
    "closed": {"name", *CLOSED_SETTINGS},
    "published": {"name"},
}
RULE_FIELDS = (
    "name",
    "currency",
    "opens_at",
    "closes_at",
    "effective_from",
    "effective_to",
    "points_per_employee",
    "allowance",
    "budgets",
    "policy",
    "benefits",
    "leftover_policy",
    "non_submitters",
)


def period_out(period: Period) -> PeriodOut:
    return PeriodOut(
        id=period.id,
        status=period.status,
        name=period.name,
        currency=period.currency,
        opens_at=period.opens_at,
        closes_at=period.closes_at,
        effective_from=period.effective_from,
        effective_to=period.effective_to,
        points_per_employee=period.points_per_employee,
        allowance=Allowance.model_validate(period.allowance),
        budgets=[Budget.model_validate(budget) for budget in period.budgets],
        policy=PolicyOut.model_validate(period.policy),
        benefits=period.benefits,
        leftover_policy=period.leftover_policy,
        non_submitters=period.non_submitters,
        created_at=period.created_at,
        updated_at=period.updated_at,
        opened_at=period.opened_at,
        closed_at=period.closed_at,
    )


def allowance_rules(period: Period) -> AllowanceRules:
    rules = Allowance.model_validate(period.allowance)
    return AllowanceRules(
        default=rules.default,
        by_group=rules.by_group,
        prorate_fte=rules.prorate_fte,
        prorate_start=rules.prorate_start,
    )


def period_allowance(
    period: Period, employee: Employee, rules: AllowanceRules | None = None
) -> int | None:
    """The employee's allowance for the period (None: no individual cap); pass `rules` when
    computing it for many employees of one period."""
    return employee_allowance(
        rules or allowance_rules(period),
        peer_group=employee.peer_group.code,
        fte=employee.fte,
        hire_date=employee.hire_date,
        allowance_override=employee.allowance_override,
        effective_from=period.effective_from,
        effective_to=period.effective_to,
    )


def get_period(session: Session, period_id: str, *, for_update: bool = False) -> Period:
    if "\x00" in period_id:  # cannot exist; PostgreSQL would refuse the query
        raise NotFound(f"no period with id {period_id!r}")
    period = repo.period_by_id(session, period_id, for_update=for_update)
    if period is None:
        raise NotFound(f"no period with id {period_id!r}")
    return period


# ---------------------------------------------------------------- validation


def budget_reference_issues(
    budget: Any, loc: list[str | int], *, groups: Collection[str], benefits: Mapping[str, Any]
) -> list[FieldIssue]:
    """The peer groups, benefits and categories a budget's filters name that do not exist;
    `benefits` maps codes to (active, category) as `repo.benefit_facts` returns them."""
    categories = {category for _active, category in benefits.values() if category}
    return [
        *(
            ([*loc, "groups"], f"no peer group {code!r}")
            for code in budget.groups or ()
            if code not in groups
        ),
        *(
            ([*loc, "benefits"], f"no benefit {code!r}")
            for code in budget.benefits or ()
            if code not in benefits
        ),
        *(
            ([*loc, "categories"], f"no benefit has category {name!r}")
            for name in budget.categories or ()
            if name not in categories
        ),
    ]


def reference_issues(session: Session, rules: PeriodCreate) -> list[FieldIssue]:
    """Names in the rules that do not exist (or are retired) in the catalogue and people."""
    groups = repo.peer_group_codes(session)
    benefits = repo.benefit_facts(session)
    issues: list[FieldIssue] = []
    for code in rules.allowance.by_group:
        if code not in groups:
            issues.append((["body", "allowance", "by_group", code], f"no peer group {code!r}"))
    for index, budget in enumerate(rules.budgets):
        issues += budget_reference_issues(
            budget, ["body", "budgets", index], groups=groups, benefits=benefits
        )
    for code in rules.benefits or ():
        if code not in benefits:
            issues.append((["body", "benefits"], f"no benefit {code!r}"))
        elif not benefits[code][0]:
            issues.append((["body", "benefits"], f"benefit {code!r} is retired (inactive)"))
    return issues


def _validated(
    session: Session, values: dict[str, Any], *, references: bool = True
) -> PeriodCreate:
    """The whole period re-validated: field types, cross-field rules, references (not for
    a period already open or closed: a benefit retired since does not block a rename)."""
    try:
        rules = PeriodCreate.model_validate(values)
    except ValidationError as exc:  # only reachable through a PATCH merge
        raise Unprocessable(
            "the period would be invalid",
            errors=[error_item(["body", *err["loc"]], err["msg"]) for err in exc.errors()],
        ) from None
    issues = check_period_shape(rules.model_dump())
    if references:
        issues += reference_issues(session, rules)
    if issues:
        raise Unprocessable(
            "; ".join(f"{'.'.join(map(str, loc[1:]))}: {msg}" for loc, msg in issues),
            errors=[error_item(loc, msg) for loc, msg in issues],
        )
    return rules


def _stored(rules: PeriodCreate) -> dict[str, Any]:
    """Column values; JSON documents keep ratios as exact decimal text."""
    values = rules.model_dump(include=set(RULE_FIELDS))
    values["allowance"] = rules.allowance.model_dump()
    values["budgets"] = [budget.model_dump(exclude_none=True) for budget in rules.budgets]
    values["policy"] = {
        **rules.policy.model_dump(),
        "equity_tolerance": str(rules.policy.equity_tolerance),
    }
    return values


# ---------------------------------------------------------------- writes


def create_period(session: Session, body: PeriodCreate) -> Period:
    rules = _validated(session, body.model_dump())
    period = Period(id=time_ordered_uuid(), status="draft", version=1, **_stored(rules))
    session.add(period)
    record(session, None, "period.create", "period", period.id, None, period)
    session.flush()
    return period


def patch_period(
    session: Session, period_id: str, body: PeriodPatch, precondition: Precondition
) -> Period:
    period = get_period(session, period_id, for_update=True)
    precondition(etag_of_version(period.version))
    changes = body.model_dump(exclude_unset=True)
    allowed = EDITABLE[period.status]
    if allowed is not None and set(changes) - allowed:
        frozen = ", ".join(sorted(set(changes) - allowed))
        raise Conflict(
            f"the period is {period.status}: only {', '.join(sorted(allowed))} may change "
            f"(not {frozen})",
            errors=[
                error_item(["body", f], f"frozen while {period.status}")
                for f in sorted(set(changes) - allowed)
            ],
        )
    nulls = [
        f for f in changes if changes[f] is None and f not in {"opens_at", "closes_at", "benefits"}
    ]
    if nulls:
        raise Unprocessable(
            "these fields cannot be null",
            errors=[error_item(["body", f], "cannot be null") for f in nulls],
        )
    closes_at = changes.get("closes_at")
    if period.status == "open" and closes_at is not None and closes_at <= utcnow():
        raise Unprocessable(
            "closes_at must be in the future while the period is open; close it instead",
            errors=[error_item(["body", "closes_at"], "must be in the future")],
        )
    merged = {**period_out(period).model_dump(include=set(RULE_FIELDS)), **changes}
    references = period.status == "draft" or bool(set(changes) & CLOSED_SETTINGS)
    rules = _validated(session, merged, references=references)
    before = snapshot(period)
    for field, value in _stored(rules).items():
        setattr(period, field, value)
    period.version += 1
    period.updated_at = utcnow()
    record(session, None, "period.update", "period", period.id, before, period)
    session.flush()
    return period


def open_issues(session: Session, period: Period, now: datetime) -> list[FieldIssue]:
    """What stops a draft period from opening, in plain words."""
    rules = PeriodCreate.model_validate(period_out(period).model_dump(include=set(RULE_FIELDS)))
    issues = [(["period", *loc[1:]], msg) for loc, msg in reference_issues(session, rules)]
    offered = repo.offered_benefits(session, period)
    if not offered:
        issues.append((["period", "benefits"], "no active benefit is offered"))
    elif all(benefit.core for benefit in offered):
        issues.append(
            (
                ["period", "benefits"],
                "only core benefits are offered: employees have nothing to choose",
            )
        )
    if period.closes_at is not None and period.closes_at <= now:
        issues.append(
            (["period", "closes_at"], f"closes_at {period.closes_at.isoformat()} has passed")
        )
    if people.active_employee_count(session) == 0:
        issues.append((["period"], "there are no active employees"))
    return issues


def open_period(session: Session, period_id: str, precondition: Precondition) -> Period:
    period = get_period(session, period_id, for_update=True)
    precondition(etag_of_version(period.version))
    if period.status == "published":
        return _reopen_for_corrections(session, period)
    if period.status != "draft":
        raise Conflict(
            f"the period is {period.status}; only a draft or published period can be opened"
        )
    now = utcnow()
    issues = open_issues(session, period, now)
    if issues:
        raise Conflict(
            "the period cannot open: " + "; ".join(msg for _loc, msg in issues),
            errors=[error_item(loc, msg) for loc, msg in issues],
        )
    before = snapshot(period)
    period.status, period.opened_at = "open", now
    period.version += 1
    period.updated_at = now
    record(session, None, "period.open", "period", period.id, before, period)
    session.flush()
    return period


def _reopen_for_corrections(session: Session, period: Period) -> Period:
    """published -> open: corrections, then close, run and approve the next publication
    version; published versions stay readable (issue 3)."""
    now = utcnow()
    before = snapshot(period)
    period.status, period.opened_at, period.closed_at = "open", now, None
    period.version += 1
    period.updated_at = now
    record(session, None, "period.reopen", "period", period.id, before, period)
    session.flush()
    return period


def close_period(session: Session, period_id: str, precondition: Precondition) -> Period:
    period = get_period(session, period_id, for_update=True)
    precondition(etag_of_version(period.version))
    if period.status != "open":
        raise Conflict(f"the period is {period.status}; only an open period can be closed")
    now = utcnow()
    before = snapshot(period)
    period.status, period.closed_at = "closed", now
    period.version += 1
    period.updated_at = now
    record(session, None, "period.close", "period", period.id, before, period)
    session.flush()
    return period
