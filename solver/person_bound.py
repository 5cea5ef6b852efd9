"""Each person alone under prices: a Lagrangian bound that costs microseconds per person.

With the shared budgets and capacities priced (any non-negative prices) and the equity band,
prerequisites, exclusive tiers and integrality relaxed, the problem splits into one tiny
problem per person. Its optimum bounds the person's term of the priced problem from above,
so the sum over a group bounds that group's priced subproblem: a fallback for the group's
priced LP (`solver.decompose.priced_relaxation`) when that LP is too slow for the clock.

A person e with wanted candidates b (weight s_b per unit up to r_b units, cost c_b, budget
price l_b = sum of the prices of the budgets covering it, capacity price m_b) chooses units
paid by the employer (e_b: cost c_b from the allowance A, priced l_b * c_b + m_b) or by their
own top-up (f_b: cost c_b from the top-up limit T, priced m_b). Relaxing e_b + f_b <= r_b to
e_b <= r_b and f_b <= r_b leaves two fractional knapsacks, each solved exactly by ratio.
Without an allowance, or with top-ups, other relaxations apply (`person_term`); the
satisfaction, and so the person's term, is also at most 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from solver.candidates import BudgetScope, Compiled, Person


def person_terms(
    compiled: Compiled,
    budget_prices: tuple[tuple[BudgetScope, float], ...],
    capacity_prices: tuple[tuple[str, float], ...],
) -> dict[str, float]:
    """Per peer group, the sum of its participants' priced bounds."""
    budget_price = {scope.id: price for scope, price in budget_prices}
    places = dict(capacity_prices)
    terms: dict[str, float] = {rule.id: 0.0 for rule in compiled.groups}
    for person in compiled.persons:
        if not person.participant:
            continue  # satisfaction 0; taking nothing costs nothing
        prices = {
            c.benefit: (
                sum(budget_price.get(b, 0.0) for b in compiled.covering(person.group, c.benefit)),
                places.get(c.benefit, 0.0),
            )
            for c in person.candidates
        }
        terms[person.group] += person_term(person, prices)
    return terms


def person_term(person: Person, prices: Mapping[str, tuple[float, float]]) -> float:
    """An upper bound of max(satisfaction - priced use) for one participant.

    `prices[benefit]`: (price per unit of employer money, price per unit of capacity).
    The smallest of three valid bounds: 1 (satisfaction); employer-paid units within A + T
    plus the most T of top-ups can refund at the budget prices; and the two knapsacks of
    the module's docstring."""
    employer: list[_Item] = []
    own: list[_Item] = []
    refund = 0.0  # the largest budget price a unit of top-up money can save
    for candidate in person.candidates:
        if candidate.points == 0:
            continue
        weight = candidate.points / (candidate.wanted_units * person.total_points)
        money_price, place_price = prices[candidate.benefit]
        refund = max(refund, money_price)
        by_employer = weight - money_price * candidate.cost - place_price
        if by_employer > 0:
            employer.append(_Item(by_employer, candidate.cost, candidate.wanted_units))
        if weight - place_price > 0:
            own.append(_Item(weight - place_price, candidate.cost, candidate.wanted_units))
    top_up = float(person.top_up_limit)
    if person.allowance is None:
        return min(1.0, _knapsack(employer, math.inf) + refund * top_up)
    allowance = float(person.allowance)
    if top_up == 0:
        return min(1.0, _knapsack(employer, allowance))
    return min(
        1.0,
        _knapsack(employer, allowance + top_up) + refund * top_up,
        _knapsack(employer, allowance) + _knapsack(own, top_up),
    )


class _Item(NamedTuple):
    value: float  # priced value of one unit
    cost: int
    units: int  # at most this many units add satisfaction


def _knapsack(items: list[_Item], room: float) -> float:
    """The fractional knapsack's optimum: free items whole, then best value per cost."""
    total = sum(item.value * item.units for item in items if item.cost == 0)
    paid = sorted((item for item in items if item.cost > 0), key=lambda i: -i.value / i.cost)
    for item in paid:
        if room <= 0:
            break
        taken = min(float(item.units), room / item.cost)
        total += item.value * taken
        room -= taken * item.cost
    return total
