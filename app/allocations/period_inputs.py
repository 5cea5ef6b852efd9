"""The typed inputs of a period's problem, read from the database by one function.

What goes in (DESIGN.md, "The allocation problem"):
- benefits: the period's offered benefits that are active (a benefit requiring one that is
  not offered is left out too: nobody could receive it);
- employees: every active employee, with the benefits they are eligible for (rules
  evaluated at the period's `effective_from`), their allowance (app.periods.allowance, plus
  any allowance carried over from the previous period), need, top-up limit and current
  preferences (points on benefits no longer offered, or on core benefits, are skipped; a
  non-submitter of a `previous_choices` period is proposed their previous choices);
- the period's budgets, policy, allowance rules and leftover policy, and every peer group's
  own tolerances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.allocations.inputs import (
    AllowanceBasis,
    BenefitInput,
    BudgetInput,
    EmployeeInput,
    PeerGroupInput,
    PolicyInput,
    ProblemInputs,
    allowance_of,
    proposed_wishes,
    solvable,
    wishes_of,
)
from app.benefits.eligibility import employee_facts, evaluate
from app.benefits.models import Benefit
from app.employees.models import Employee, PeerGroup
from app.periods import repository as periods
from app.periods.models import Period
from app.periods.service import allowance_rules
from app.preferences.models import Preference
from app.preferences.service import previous_choices


def benefit_input(benefit: Benefit) -> BenefitInput:
    return BenefitInput(
        code=benefit.code,
        cost=benefit.cost,
        category=benefit.category,
        core=benefit.core,
        max_units=benefit.max_units,
        capacity=benefit.capacity,
        exclusive_group=benefit.exclusive_group or None,
        requires=tuple(benefit.requires or ()),
    )


def budget_input(budget: Mapping[str, Any]) -> BudgetInput:
    """A budget as a period stores it (JSON)."""

    def codes(name: str) -> tuple[str, ...] | None:
        values = budget.get(name)
        return None if values is None else tuple(values)

    return BudgetInput(
        id=budget["id"],
        cap=budget["cap"],
        groups=codes("groups"),
        benefits=codes("benefits"),
        categories=codes("categories"),
    )


def policy_input(policy: Mapping[str, Any]) -> PolicyInput:
    """A period's policy as stored (tolerance as decimal text, or a number)."""
    return PolicyInput(
        objective=policy.get("objective", "utilitarian"),
        equity_tolerance=Decimal(str(policy.get("equity_tolerance", "0.15"))),
        equity_absolute=int(policy.get("equity_absolute", 0)),
    )


def _peer_groups(session: Session) -> tuple[PeerGroupInput, ...]:
    groups = session.scalars(select(PeerGroup).order_by(PeerGroup.code))
    return tuple(
        PeerGroupInput(
            code=group.code,
            equity_tolerance=group.equity_tolerance,
            equity_absolute=group.equity_absolute,
        )
        for group in groups
    )


# What a run reads of each active employee: columns, not ORM objects (at 100,000
# employees the objects cost more than the query). The employee's API fields, for the
# eligibility rules, only when a rule needs them.
_PERSON = (
    Employee.id,
    Employee.external_id,
    PeerGroup.code.label("peer_group"),
    Employee.need,
    Employee.top_up_limit,
    Employee.fte,
    Employee.hire_date,
    Employee.allowance_override,
)
_FACTS = (
    Employee.email,
    Employee.display_name,
    Employee.grade,
    Employee.location,
    Employee.employment_type,
    Employee.need_reason,
    Employee.attributes,
)


def _facts(person: Row[Any], *, effective_from: date) -> dict[str, Any]:
    """What rules test about a person read with _PERSON + _FACTS: the same facts as from
    their API fields (`employee_out`, JSON mode: ratios as floats)."""
    fields = {**person._mapping, "fte": float(person.fte), "need": float(person.need)}
    return employee_facts(fields, effective_from=effective_from)


def _people(session: Session, *, with_facts: bool) -> Sequence[Row[Any]]:
    columns = _PERSON + _FACTS if with_facts else _PERSON
    return session.execute(
        select(*columns)
        .join(PeerGroup, Employee.peer_group_id == PeerGroup.id)
        .where(Employee.active.is_(True))
        .order_by(Employee.external_id)
    ).all()


def period_inputs(
    session: Session, period: Period, *, carried_over: Mapping[str, int]
) -> ProblemInputs:
    """The inputs of `period` from the current database state.

    `carried_over`: external_id -> allowance carried over from the previous period (added
    to employees who have an allowance).
    """
    offered = {benefit.code: benefit for benefit in periods.offered_benefits(session, period)}
    benefits = solvable(benefit_input(benefit) for benefit in offered.values())
    by_code = {benefit.code: benefit for benefit in benefits}
    inputs = ProblemInputs(
        currency=period.currency,
        points_per_employee=period.points_per_employee,
        effective_from=period.effective_from,
        effective_to=period.effective_to,
        allowance=allowance_rules(period),
        policy=policy_input(period.policy),
        budgets=tuple(budget_input(budget) for budget in period.budgets),
        peer_groups=_peer_groups(session),
        benefits=benefits,
        employees=(),
        leftover_policy=period.leftover_policy,
    )
    rows = session.execute(
        select(Preference.employee_id, Preference.points).where(Preference.period_id == period.id)
    )
    # Not dict(rows): a Result has .keys(), so dict() would read it as a mapping.
    preferences: dict[int, dict[str, Any]] = {key: value for key, value in rows}  # noqa: C416
    previous = previous_choices(session, period)
    rules = {code: offered[code].eligibility for code in by_code}
    everything = tuple(by_code)  # eligible for all: no benefit has a rule
    with_rules = any(rule is not None for rule in rules.values())
    people = []
    for person in _people(session, with_facts=with_rules):
        if with_rules:
            facts = _facts(person, effective_from=period.effective_from)
            eligible = tuple(code for code, rule in rules.items() if evaluate(rule, facts).ok)
        else:
            eligible = everything
        proposal_basis = previous.get(person.id) if person.id not in preferences else None
        basis = AllowanceBasis(
            fte=person.fte,
            hire_date=person.hire_date,
            override=person.allowance_override,
            carried_over=carried_over.get(person.external_id, 0),
        )
        people.append(
            EmployeeInput(
                external_id=person.external_id,
                group=person.peer_group,
                need=person.need,
                top_up_limit=person.top_up_limit,
                eligible=eligible,
                wishes=(
                    wishes_of(preferences.get(person.id, {}), by_code)
                    if proposal_basis is None
                    else proposed_wishes(
                        proposal_basis,
                        benefits=benefits,
                        eligible=set(eligible).__contains__,
                        points_per_employee=period.points_per_employee,
                    )
                ),
                allowance=allowance_of(inputs, basis, person.peer_group),
                basis=basis,
                previous_choices=proposal_basis,
            )
        )
    return replace(inputs, employees=tuple(people))
