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
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from solver.candidates import BudgetScope, Compiled, Person

if TYPE_CHECKING:
    from solver.decompose import Prices

# The price search's work limit: the participants whose terms estimate the bound at each
# candidate price vector (every k-th participant; all of them below this).
SAMPLE_PERSONS = 2000
# Every price scaled at once, then each resource's price alone, by these factors: the
# greedy prices price a resource at the last unit's efficiency, which (allowances and
# top-ups limiting each person) often prices the shared resources too high.
SCALES = (0.85, 0.7, 0.55, 0.4, 0.25, 0.1, 0.0)
STEPS = (0.0, 0.5, 0.75, 1.25, 1.5)


def person_terms(
    compiled: Compiled,
    budget_prices: tuple[tuple[BudgetScope, float], ...],
    capacity_prices: tuple[tuple[str, float], ...],
    groups: frozenset[str] | None = None,
) -> dict[str, float]:
    """Per peer group (of `groups`, default all), the sum of its participants' priced
    bounds."""
    budget_price = {scope.id: price for scope, price in budget_prices}
    places = dict(capacity_prices)
    terms: dict[str, float] = {
        rule.id: 0.0 for rule in compiled.groups if groups is None or rule.id in groups
    }
    for person in compiled.persons:
        if not person.participant or person.group not in terms:
            continue  # satisfaction 0; taking nothing costs nothing (or not asked for)
        terms[person.group] += person_term(person, _priced(compiled, person, budget_price, places))
    return terms


def _priced(
    compiled: Compiled,
    person: Person,
    budget_price: Mapping[str, float],
    places: Mapping[str, float],
) -> dict[str, tuple[float, float]]:
    """Each of the person's candidates: (sum of the covering budgets' prices, place price)."""
    return {
        c.benefit: (
            sum(budget_price.get(b, 0.0) for b in compiled.covering(person.group, c.benefit)),
            places.get(c.benefit, 0.0),
        )
        for c in person.candidates
    }


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


def searched_prices(compiled: Compiled, start: Prices) -> Prices:
    """Non-negative prices whose persons-alone bound, estimated on a sample of participants
    (`SAMPLE_PERSONS`), is lowest among those tried from `start`: all prices scaled by
    `SCALES`, then each resource's alone by `STEPS`. Any such prices give a valid bound; the
    search only chooses which (the caller evaluates the chosen ones on every person)."""
    participants = [person for person in compiled.persons if person.participant]
    if not participants or not (start.budgets or start.capacities):
        return start
    step = max(1, len(participants) // SAMPLE_PERSONS)
    sample = participants[::step]
    weight = len(participants) / len(sample)

    def estimate(budgets: list[float], places: list[float]) -> float:
        prices = _priced_as(start, budgets, places)
        budget_price = {scope.id: price for scope, price in prices.budgets}
        place_price = dict(prices.capacities)
        alone = sum(
            person_term(person, _priced(compiled, person, budget_price, place_price))
            for person in sample
        )
        return weight * alone + prices.value(compiled)

    budgets = [price for _, price in start.budgets]
    places = [price for _, price in start.capacities]
    best, scale = min(
        (estimate(_scaled(budgets, f), _scaled(places, f)), f) for f in (1.0, *SCALES)
    )
    budgets, places = _scaled(budgets, scale), _scaled(places, scale)
    for prices in (budgets, places):
        for index in range(len(prices)):
            current = prices[index]
            for factor in STEPS:
                prices[index] = current * factor
                value = estimate(budgets, places)
                if value < best:
                    best, current = value, current * factor
            prices[index] = current
    return _priced_as(start, budgets, places)


def _priced_as(start: Prices, budgets: list[float], places: list[float]) -> Prices:
    """`start`'s resources, in its order, at these prices."""
    return replace(
        start,
        budgets=tuple((scope, p) for (scope, _), p in zip(start.budgets, budgets, strict=True)),
        capacities=tuple(
            (benefit, p) for (benefit, _), p in zip(start.capacities, places, strict=True)
        ),
    )


def _scaled(prices: list[float], factor: float) -> list[float]:
    return [price * factor for price in prices]
