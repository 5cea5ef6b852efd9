"""Scenario overrides: validation against the period and catalogue, and their effect.

What an override does is said once, on typed values: `overridden_allowance`,
`overridden_budgets`, `overridden_policy` (the period's settings) and the catalogue's
(`without_benefits`, `with_catalogue`: costs, capacities). `overridden` turns a period's
inputs into a scenario's (functions from inputs to inputs); `overridden_settings` is what
`apply` writes into the period, in the period's stored form. Catalogue-level overrides
(costs, capacities) only change a scenario's inputs: benefits are shared by every period,
so applying a scenario never changes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.allocations.inputs import (
    BenefitInput,
    BudgetInput,
    EmployeeInput,
    PolicyInput,
    ProblemInputs,
    allowance_of,
    proposed_wishes,
    solvable,
)
from app.allocations.period_inputs import budget_input, policy_input
from app.employees.fields import MONEY_MAX
from app.errors import Unprocessable, error_item
from app.periods import repository as periods
from app.periods.allowance import AllowanceRules
from app.periods.models import Period
from app.periods.service import FieldIssue, allowance_rules, budget_reference_issues
from app.scenarios.schemas import Overrides

ROOT: list[str | int] = ["body", "overrides"]
CATALOGUE_OVERRIDES = ("cost_multipliers", "category_cost_multipliers", "capacities")


def scaled(amount: int, factor: Decimal) -> int:
    """`amount` x `factor`, rounded half up to whole minor units (money stays int)."""
    return int((Decimal(amount) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _listing(values: Sequence[str]) -> str:
    return ", ".join(sorted(values)) or "none"


def override_issues(session: Session, period: Period, overrides: Overrides) -> list[FieldIssue]:
    """Every override naming something that does not exist, in plain words."""
    groups = periods.peer_group_codes(session)
    benefits = periods.benefit_facts(session)
    categories = {category for _active, category in benefits.values() if category}
    budget_ids = [budget["id"] for budget in period.budgets]
    issues: list[FieldIssue] = []
    for budget_id in overrides.budget_caps:
        if budget_id not in budget_ids:
            issues.append(
                (
                    [*ROOT, "budget_caps", budget_id],
                    f"the period has no budget {budget_id!r} (its budgets: "
                    f"{_listing(budget_ids)}); add it with new_budgets",
                )
            )
    for index, budget in enumerate(overrides.new_budgets):
        loc = [*ROOT, "new_budgets", index]
        if budget.id in budget_ids:
            issues.append(
                ([*loc, "id"], f"the period already has a budget {budget.id!r}; use budget_caps")
            )
        issues += budget_reference_issues(budget, loc, groups=groups, benefits=benefits)
    issues += [
        ([*ROOT, "group_allowances", code], f"no peer group {code!r}")
        for code in overrides.group_allowances
        if code not in groups
    ]
    for field in ("cost_multipliers", "capacities"):
        issues += [
            ([*ROOT, field, code], f"no benefit {code!r}")
            for code in getattr(overrides, field)
            if code not in benefits
        ]
    issues += [
        (
            [*ROOT, "category_cost_multipliers", name],
            f"no benefit has category {name!r} (categories: {_listing(list(categories))})",
        )
        for name in overrides.category_cost_multipliers
        if name not in categories
    ]
    issues += [
        ([*ROOT, "withdrawn_benefits"], f"no benefit {code!r}")
        for code in overrides.withdrawn_benefits
        if code not in benefits
    ]
    return issues + _allowance_range_issues(period, overrides)


def _allowance_range_issues(period: Period, overrides: Overrides) -> list[FieldIssue]:
    if overrides.allowance_multiplier is None:
        return []
    allowance = overridden_allowance(allowance_rules(period), overrides)
    amounts = [allowance.default, *allowance.by_group.values()]
    if all(amount is None or amount <= MONEY_MAX for amount in amounts):
        return []
    return [
        (
            [*ROOT, "allowance_multiplier"],
            f"scales an allowance past {MONEY_MAX} minor units (the money limit); "
            f"the largest allowance is {max(a for a in amounts if a is not None)}",
        )
    ]


def check_overrides(session: Session, period: Period, overrides: Overrides) -> None:
    """422 naming every bad override."""
    issues = override_issues(session, period, overrides)
    if issues:
        raise Unprocessable(
            "invalid overrides: "
            + "; ".join(f"{'.'.join(map(str, loc[2:]))}: {msg}" for loc, msg in issues),
            errors=[error_item(loc, msg) for loc, msg in issues],
        )


def overridden_allowance(rules: AllowanceRules, overrides: Overrides) -> AllowanceRules:
    """The allowance rules: default and per-group amounts scaled, then groups set exactly."""
    factor = overrides.allowance_multiplier
    default, by_group = rules.default, dict(rules.by_group)
    if factor is not None:
        default = None if default is None else scaled(default, factor)
        by_group = {code: scaled(amount, factor) for code, amount in by_group.items()}
    return replace(rules, default=default, by_group={**by_group, **overrides.group_allowances})


def overridden_budgets(
    budgets: Sequence[BudgetInput], overrides: Overrides
) -> tuple[BudgetInput, ...]:
    """New caps of existing budgets, then the new budgets."""
    changed = [
        replace(budget, cap=overrides.budget_caps.get(budget.id, budget.cap)) for budget in budgets
    ]
    return (*changed, *(budget_input(b.model_dump()) for b in overrides.new_budgets))


def overridden_policy(policy: PolicyInput, overrides: Overrides) -> PolicyInput:
    return PolicyInput(
        objective=overrides.objective or policy.objective,
        equity_tolerance=(
            policy.equity_tolerance
            if overrides.equity_tolerance is None
            else overrides.equity_tolerance
        ),
        equity_absolute=(
            policy.equity_absolute
            if overrides.equity_absolute is None
            else overrides.equity_absolute
        ),
    )


def with_allowance(inputs: ProblemInputs, overrides: Overrides) -> ProblemInputs:
    """Every allowance under the overridden rules (carried-over amounts kept)."""
    changed = replace(inputs, allowance=overridden_allowance(inputs.allowance, overrides))
    employees = tuple(
        replace(e, allowance=allowance_of(changed, e.basis, e.group)) for e in inputs.employees
    )
    return replace(changed, employees=employees)


def with_budgets(inputs: ProblemInputs, overrides: Overrides) -> ProblemInputs:
    return replace(inputs, budgets=overridden_budgets(inputs.budgets, overrides))


def with_policy(inputs: ProblemInputs, overrides: Overrides) -> ProblemInputs:
    return replace(inputs, policy=overridden_policy(inputs.policy, overrides))


def without_benefits(inputs: ProblemInputs, withdrawn: Sequence[str]) -> ProblemInputs:
    """The benefits withdrawn (and those requiring them) gone from the catalogue, from
    eligibility and from wishes; proposed wishes proposed anew from the smaller catalogue."""
    if not withdrawn:
        return inputs
    benefits = solvable(b for b in inputs.benefits if b.code not in set(withdrawn))
    kept = {benefit.code for benefit in benefits}
    return replace(
        inputs,
        benefits=benefits,
        employees=tuple(_without(e, kept, benefits, inputs) for e in inputs.employees),
    )


def _without(
    employee: EmployeeInput,
    kept: set[str],
    benefits: tuple[BenefitInput, ...],
    inputs: ProblemInputs,
) -> EmployeeInput:
    eligible = tuple(code for code in employee.eligible if code in kept)
    wishes = (
        {code: wish for code, wish in employee.wishes.items() if code in kept}
        if employee.previous_choices is None
        else proposed_wishes(
            employee.previous_choices,
            benefits=benefits,
            eligible=set(eligible).__contains__,
            points_per_employee=inputs.points_per_employee,
        )
    )
    return replace(employee, eligible=eligible, wishes=wishes)


def with_catalogue(inputs: ProblemInputs, overrides: Overrides) -> ProblemInputs:
    """Costs scaled (a benefit's own multiplier wins over its category's) and capacities set."""
    return replace(inputs, benefits=tuple(_priced(b, overrides) for b in inputs.benefits))


def _priced(benefit: BenefitInput, overrides: Overrides) -> BenefitInput:
    factor = overrides.cost_multipliers.get(benefit.code)
    if factor is None:
        factor = overrides.category_cost_multipliers.get(benefit.category or "")
    cost = benefit.cost if factor is None else scaled(benefit.cost, factor)
    capacity = overrides.capacities.get(benefit.code, benefit.capacity)
    return replace(benefit, cost=cost, capacity=capacity)


def overridden(inputs: ProblemInputs, overrides: Overrides) -> ProblemInputs:
    """A scenario's inputs: the period's with every override."""
    inputs = without_benefits(inputs, overrides.withdrawn_benefits)
    for change in (with_allowance, with_budgets, with_policy, with_catalogue):
        inputs = change(inputs, overrides)
    return inputs


def overridden_settings(session: Session, period: Period, overrides: Overrides) -> dict[str, Any]:
    """The period's settings (as it stores them) that applying `overrides` writes: allowance,
    budgets, policy and offered benefits."""
    offered: list[str] | None = period.benefits
    if overrides.withdrawn_benefits:
        codes = offered or [benefit.code for benefit in periods.offered_benefits(session, period)]
        offered = [code for code in codes if code not in set(overrides.withdrawn_benefits)]
    policy = overridden_policy(policy_input(period.policy), overrides)
    return {
        "allowance": asdict(overridden_allowance(allowance_rules(period), overrides)),
        "budgets": [
            _stored_budget(b)
            for b in overridden_budgets([budget_input(b) for b in period.budgets], overrides)
        ],
        "policy": {
            "objective": policy.objective,
            "equity_tolerance": str(policy.equity_tolerance),
            "equity_absolute": policy.equity_absolute,
        },
        "benefits": offered,
    }


def _stored_budget(budget: BudgetInput) -> dict[str, Any]:
    stored = {name: list(value) if isinstance(value, tuple) else value
              for name, value in asdict(budget).items()}  # fmt: skip
    return {name: value for name, value in stored.items() if value is not None}


def catalogue_overrides(overrides: Overrides) -> list[str]:
    """Names of the overrides that change the catalogue rather than the period."""
    return [name for name in CATALOGUE_OVERRIDES if getattr(overrides, name)]
