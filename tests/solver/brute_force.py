"""An independent brute-force oracle: the true optimum of a tiny problem by enumeration.

Written from DESIGN.md alone (it imports only `solver.types`, neither the engine nor the
checker): every employee's possible bundles (units and integer employee contributions)
are listed, then every combination is tried with pruning on budgets and capacities and
the equity band checked at the leaves. Exponential: use on ≤ 5 employees × 4 benefits
with small costs and top-up limits.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

from solver.types import Assignment, Benefit, Employee, Line, Problem


@dataclass(frozen=True)
class Bundle:
    lines: tuple[tuple[str, int, int], ...]  # (benefit, units, contribution), units > 0
    employer: tuple[tuple[str, int], ...]  # employer cost per benefit, core included
    value: int  # employer-funded optional value v(e)
    satisfaction: Fraction | None  # None: not a participant


@dataclass(frozen=True)
class Optimum:
    best_total: Fraction  # max Σ s (utilitarian)
    best_min: Fraction  # max min s (maxmin, first criterion)
    best_total_at_best_min: Fraction  # max Σ s among allocations reaching best_min
    assignment: Assignment  # one utilitarian optimum
    count: int  # valid allocations enumerated


def _limits(employee: Employee, benefits: dict[str, Benefit]) -> dict[str, int]:
    limits: dict[str, int] = {}
    for name, preference in employee.preferences:
        if not benefits[name].core and employee.is_eligible(name):
            limits[name] = preference.units
    todo = list(limits)
    while todo:
        for needed in benefits[todo.pop()].requires:
            if not benefits[needed].core and employee.is_eligible(needed) and needed not in limits:
                limits[needed] = 1
                todo.append(needed)
    return limits


def _contributions(costs: list[int], limit: int) -> list[tuple[int, ...]]:
    """Every integer vector 0 <= w_i <= costs_i with Σ w <= limit."""
    ranges = [range(min(cost, limit) + 1) for cost in costs]
    return [w for w in itertools.product(*ranges) if sum(w) <= limit]


def bundles(employee: Employee, benefits: dict[str, Benefit]) -> list[Bundle]:
    limits = _limits(employee, benefits)
    names = sorted(limits)
    core = sorted(b.id for b in benefits.values() if b.core and employee.is_eligible(b.id))
    wishes = {
        name: pref
        for name, pref in employee.preferences
        if not benefits[name].core and employee.is_eligible(name)
    }
    total_points = sum(pref.points for pref in wishes.values())
    found: dict[tuple[object, ...], Bundle] = {}
    for units in itertools.product(*(range(limits[name] + 1) for name in names)):
        held = {name: u for name, u in zip(names, units, strict=True) if u > 0}
        groups = [benefits[name].exclusive_group for name in held if benefits[name].exclusive_group]
        if len(groups) != len(set(groups)):
            continue
        if any(
            not (needed in held or needed in core)
            for name in held
            for needed in benefits[name].requires
        ):
            continue
        # A benefit nobody asked for only as a prerequisite of one held (DESIGN.md "Meaning").
        if any(
            name not in wishes and not any(name in benefits[other].requires for other in held)
            for name in held
        ):
            continue
        line_costs = [benefits[name].cost * held[name] for name in sorted(held)]
        for paid in _contributions(line_costs, employee.top_up_limit):
            employer = {
                name: cost - w for name, cost, w in zip(sorted(held), line_costs, paid, strict=True)
            }
            value = sum(employer.values())
            if employee.allowance is not None and value > employee.allowance:
                continue
            score = None
            if total_points:
                honoured = sum(
                    (
                        Fraction(pref.points * held.get(name, 0), pref.units)
                        for name, pref in wishes.items()
                    ),
                    Fraction(0),
                )
                score = honoured / total_points
            for name in core:
                employer[name] = benefits[name].cost
            lines = tuple(
                (name, held[name], w) for name, w in zip(sorted(held), paid, strict=True)
            ) + tuple((name, 1, 0) for name in core)
            key = (tuple(sorted(lines)),)
            found[key] = Bundle(tuple(sorted(lines)), tuple(sorted(employer.items())), value, score)
    return list(found.values())


def _band_ok(problem: Problem, chosen: list[Bundle]) -> bool:
    overrides = {group.id: group for group in problem.peer_groups}
    ratios: dict[str, list[Fraction]] = {}
    for employee, bundle in zip(problem.employees, chosen, strict=True):
        if bundle.satisfaction is not None:
            ratios.setdefault(employee.group, []).append(bundle.value / employee.need)
    for group, values in ratios.items():
        if len(values) < 2:
            continue
        override = overrides.get(group)
        tolerance = problem.policy.equity_tolerance
        absolute = problem.policy.equity_absolute
        if override is not None and override.equity_tolerance is not None:
            tolerance = override.equity_tolerance
        if override is not None and override.equity_absolute is not None:
            absolute = override.equity_absolute
        cap = (1 + tolerance) * sum(values, Fraction(0)) / len(values) + absolute
        if max(values) > cap:
            return False
    return True


@dataclass
class _Best:
    total: Fraction | None = None
    low: Fraction | None = None
    total_at_low: Fraction | None = None
    assignment: Assignment | None = None
    count: int = 0

    def offer(self, problem: Problem, chosen: list[Bundle]) -> None:
        scores = [b.satisfaction for b in chosen if b.satisfaction is not None]
        total = sum(scores, Fraction(0))
        low = min(scores) if scores else Fraction(0)
        self.count += 1
        if self.total is None or total > self.total:
            self.total = total
            self.assignment = {
                (employee.id, name): Line(units, contribution)
                for employee, bundle in zip(problem.employees, chosen, strict=True)
                for name, units, contribution in bundle.lines
            }
        if (
            self.low is None
            or self.total_at_low is None
            or (low, total) > (self.low, self.total_at_low)
        ):
            self.low, self.total_at_low = low, total


def optimum(problem: Problem) -> Optimum:
    """The exact optimum by enumeration (the problem must be feasible)."""
    benefits = {benefit.id: benefit for benefit in problem.benefits}
    group_of = {employee.id: employee.group for employee in problem.employees}
    options = [bundles(employee, benefits) for employee in problem.employees]
    capacities = {b.id: b.capacity for b in problem.benefits if b.capacity is not None}
    best = _Best()

    def visit(
        index: int, chosen: list[Bundle], budget_used: dict[str, int], capacity_used: dict[str, int]
    ) -> None:
        if any(budget_used[b.id] > b.cap for b in problem.budgets):
            return
        if any(capacity_used.get(name, 0) > cap for name, cap in capacities.items()):
            return
        if index == len(options):
            if _band_ok(problem, chosen):
                best.offer(problem, chosen)
            return
        employee_id = problem.employees[index].id
        for bundle in options[index]:
            next_budget = dict(budget_used)
            for name, cost in bundle.employer:
                for budget in problem.budgets:
                    if (budget.groups is None or group_of[employee_id] in budget.groups) and (
                        budget.benefits is None or name in budget.benefits
                    ):
                        next_budget[budget.id] += cost
            next_capacity = dict(capacity_used)
            for name, units, _ in bundle.lines:
                next_capacity[name] = next_capacity.get(name, 0) + units
            visit(index + 1, [*chosen, bundle], next_budget, next_capacity)

    visit(0, [], {budget.id: 0 for budget in problem.budgets}, {})
    if (
        best.total is None
        or best.low is None
        or best.total_at_low is None
        or best.assignment is None
    ):
        raise ValueError("no valid allocation: the problem is infeasible")
    return Optimum(
        best_total=best.total,
        best_min=best.low,
        best_total_at_best_min=best.total_at_low,
        assignment=best.assignment,
        count=best.count,
    )
