"""Pre-solve infeasibility: what core benefits alone already break.

Core benefits are given to every eligible employee whatever happens, so their cost and
units are fixed before any optimisation. A problem is infeasible exactly when these fixed
amounts break a budget cap or a capacity (every other rule can be met by giving nothing
optional); this module says which, with the numbers, before any solve.
"""

from __future__ import annotations

from solver.types import Infeasibility, Problem
from solver.validate import format_money


def diagnose(problem: Problem) -> tuple[Infeasibility, ...]:
    """Every budget and capacity that core benefits alone exceed (empty: feasible)."""
    return (*_budgets(problem), *_capacities(problem))


def _budgets(problem: Problem) -> list[Infeasibility]:
    core = [benefit for benefit in problem.benefits if benefit.core]
    found: list[Infeasibility] = []
    for budget in problem.budgets:
        covered = [b for b in core if budget.benefits is None or b.id in budget.benefits]
        required = sum(
            benefit.cost
            for employee in problem.employees
            if budget.groups is None or employee.group in budget.groups
            for benefit in covered
            if employee.is_eligible(benefit.id)
        )
        if required > budget.cap:
            money = problem.currency
            found.append(
                Infeasibility(
                    constraint=f"budget:{budget.id}",
                    required=required,
                    available=budget.cap,
                    text=(
                        f"Core benefits alone cost {format_money(required, money)} in budget "
                        f"{budget.id!r}, whose cap is {format_money(budget.cap, money)}: "
                        f"over by {format_money(required - budget.cap, money)}."
                    ),
                )
            )
    return found


def _capacities(problem: Problem) -> list[Infeasibility]:
    found: list[Infeasibility] = []
    for benefit in problem.benefits:
        if not benefit.core or benefit.capacity is None:
            continue
        required = sum(1 for employee in problem.employees if employee.is_eligible(benefit.id))
        places = "place" if benefit.capacity == 1 else "places"
        if required > benefit.capacity:
            found.append(
                Infeasibility(
                    constraint=f"capacity:{benefit.id}",
                    required=required,
                    available=benefit.capacity,
                    text=(
                        f"Core benefit {benefit.id!r} must go to {required} eligible employees "
                        f"but has {benefit.capacity} {places}: "
                        f"{required - benefit.capacity} short."
                    ),
                )
            )
    return found
