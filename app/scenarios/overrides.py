"""Scenario overrides: validation against the period and catalogue, and their effect.

`overridden_settings` is the one definition of what overrides do to a period's settings
(allowance, budgets, policy, offered benefits): scenario problems are built from it and
`apply` writes it into the period. Catalogue-level overrides (costs, capacities) only
change the scenario's problem document (`adjust_benefits`): benefits are shared by every
period, so applying a scenario never changes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.employees.fields import MONEY_MAX
from app.errors import Unprocessable, error_item
from app.periods import repository as periods
from app.periods.models import Period
from app.periods.service import budget_reference_problems
from app.scenarios.schemas import Overrides

Problem = tuple[list[str | int], str]
ROOT: list[str | int] = ["body", "overrides"]
CATALOGUE_OVERRIDES = ("cost_multipliers", "category_cost_multipliers", "capacities")


def scaled(amount: int, factor: Decimal) -> int:
    """`amount` x `factor`, rounded half up to whole minor units (money stays int)."""
    return int((Decimal(amount) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _listing(values: Sequence[str]) -> str:
    return ", ".join(sorted(values)) or "none"


def override_problems(session: Session, period: Period, overrides: Overrides) -> list[Problem]:
    """Every override naming something that does not exist, in plain words."""
    groups = periods.peer_group_codes(session)
    benefits = periods.benefit_facts(session)
    categories = {category for _active, category in benefits.values() if category}
    budget_ids = [budget["id"] for budget in period.budgets]
    problems: list[Problem] = []
    for budget_id in overrides.budget_caps:
        if budget_id not in budget_ids:
            problems.append(
                (
                    [*ROOT, "budget_caps", budget_id],
                    f"the period has no budget {budget_id!r} (its budgets: "
                    f"{_listing(budget_ids)}); add it with new_budgets",
                )
            )
    for index, budget in enumerate(overrides.new_budgets):
        loc = [*ROOT, "new_budgets", index]
        if budget.id in budget_ids:
            problems.append(
                ([*loc, "id"], f"the period already has a budget {budget.id!r}; use budget_caps")
            )
        problems += budget_reference_problems(budget, loc, groups=groups, benefits=benefits)
    problems += [
        ([*ROOT, "group_allowances", code], f"no peer group {code!r}")
        for code in overrides.group_allowances
        if code not in groups
    ]
    for field in ("cost_multipliers", "capacities"):
        problems += [
            ([*ROOT, field, code], f"no benefit {code!r}")
            for code in getattr(overrides, field)
            if code not in benefits
        ]
    problems += [
        (
            [*ROOT, "category_cost_multipliers", name],
            f"no benefit has category {name!r} (categories: {_listing(list(categories))})",
        )
        for name in overrides.category_cost_multipliers
        if name not in categories
    ]
    problems += [
        ([*ROOT, "withdrawn_benefits"], f"no benefit {code!r}")
        for code in overrides.withdrawn_benefits
        if code not in benefits
    ]
    return problems + _allowance_range_problems(period, overrides)


def _allowance_range_problems(period: Period, overrides: Overrides) -> list[Problem]:
    if overrides.allowance_multiplier is None:
        return []
    allowance = _allowance(period.allowance, overrides)
    amounts = [allowance.get("default"), *allowance.get("by_group", {}).values()]
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
    problems = override_problems(session, period, overrides)
    if problems:
        raise Unprocessable(
            "invalid overrides: "
            + "; ".join(f"{'.'.join(map(str, loc[2:]))}: {msg}" for loc, msg in problems),
            errors=[error_item(loc, msg) for loc, msg in problems],
        )


def _allowance(rules: Mapping[str, Any], overrides: Overrides) -> dict[str, Any]:
    allowance = dict(rules)
    factor = overrides.allowance_multiplier
    if factor is not None:
        if allowance.get("default") is not None:
            allowance["default"] = scaled(allowance["default"], factor)
        allowance["by_group"] = {
            code: scaled(amount, factor) for code, amount in allowance.get("by_group", {}).items()
        }
    if overrides.group_allowances:
        allowance["by_group"] = {**allowance.get("by_group", {}), **overrides.group_allowances}
    return allowance


def _budgets(budgets: Sequence[Mapping[str, Any]], overrides: Overrides) -> list[dict[str, Any]]:
    changed = [
        {**budget, "cap": overrides.budget_caps.get(budget["id"], budget["cap"])}
        for budget in budgets
    ]
    return changed + [budget.model_dump(exclude_none=True) for budget in overrides.new_budgets]


def _policy(policy: Mapping[str, Any], overrides: Overrides) -> dict[str, Any]:
    changed = dict(policy)
    if overrides.objective is not None:
        changed["objective"] = overrides.objective
    if overrides.equity_tolerance is not None:
        changed["equity_tolerance"] = str(overrides.equity_tolerance)
    if overrides.equity_absolute is not None:
        changed["equity_absolute"] = overrides.equity_absolute
    return changed


def overridden_settings(session: Session, period: Period, overrides: Overrides) -> dict[str, Any]:
    """The period's allowance, budgets, policy and offered benefits with the overrides."""
    offered: list[str] | None = period.benefits
    if overrides.withdrawn_benefits:
        codes = offered or [benefit.code for benefit in periods.offered_benefits(session, period)]
        offered = [code for code in codes if code not in set(overrides.withdrawn_benefits)]
    return {
        "allowance": _allowance(period.allowance, overrides),
        "budgets": _budgets(period.budgets, overrides),
        "policy": _policy(period.policy, overrides),
        "benefits": offered,
    }


def adjust_benefits(
    doc: dict[str, Any], overrides: Overrides, categories: Mapping[str, str | None]
) -> None:
    """Costs and capacities of the problem document's benefits, in place."""
    for benefit in doc["benefits"]:
        code = benefit["id"]
        factor = overrides.cost_multipliers.get(code)
        if factor is None:
            factor = overrides.category_cost_multipliers.get(categories.get(code) or "")
        if factor is not None:
            benefit["cost"] = scaled(benefit["cost"], factor)
        if code in overrides.capacities:
            capacity = overrides.capacities[code]
            if capacity is None:
                benefit.pop("capacity", None)
            else:
                benefit["capacity"] = capacity


def catalogue_overrides(overrides: Overrides) -> list[str]:
    """Names of the overrides that change the catalogue rather than the period."""
    return [name for name in CATALOGUE_OVERRIDES if getattr(overrides, name)]
