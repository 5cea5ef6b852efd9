"""Construction heuristics: a valid allocation, fast, for any set of persons and resources.

1. `level_allocation`: the band caps each participant's v/need near the group mean, and a
   greedy "best under the cap" gets stuck low (people below the cap pull the mean down).
   So the whole group rises together: for a common level L every participant takes the best
   bundle whose employer value fits L * need (paying the excess from their top-up limit when
   they can), and L is searched (bisection on validity, keeping the best valid level).
2. `fill`: greedy fill by satisfaction per cost, one unit at a time through the exact
   `AllocationState.try_add_with_prerequisites` (a wish with its missing prerequisites, all
   or nothing; raising a mean lifts its cap, so passes repeat).
A prerequisite nobody asked for is only ever given together with the wish that requires it.
3. `fill_lowest_first`: for maxmin, the least satisfied participant is served first.
Every result is checked exactly; the empty allocation (always valid) is the last resort.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from solver.candidates import (
    BudgetScope,
    Candidate,
    GroupRule,
    Person,
    by_group,
    satisfaction_weight,
)
from solver.model import Limits
from solver.state import AllocationState, missing_prerequisites

LEVEL_STEPS = 24  # bisection steps on the common level (at most)
LEVEL_PRECISION = 2000  # stop once the level is known to 1/2000 of its range
FILL_PASSES = 6

Line = tuple[str, str, int, int]  # person, benefit, units, contribution


def construct(
    persons: Sequence[Person],
    groups: Sequence[GroupRule],
    limits: Limits,
    *,
    maxmin: bool = False,
) -> AllocationState:
    """A valid allocation of `persons` within `limits`: levels per group, then greedy fill."""
    state = AllocationState(persons, groups, limits)
    budget_left = dict(state.budget_left)
    capacity_left = dict(state.capacity_left)
    members = by_group(persons)
    rules = {rule.id: rule for rule in groups}
    lines: list[Line] = []
    for group_id in sorted(members):
        chosen = level_allocation(
            members[group_id], rules[group_id], state.budget_scopes, budget_left, capacity_left
        )
        lines.extend(chosen)
    state.load(lines)
    if state.violations():  # cannot happen by construction; never hand out an invalid start
        state = AllocationState(persons, groups, limits)
    if maxmin:
        fill_lowest_first(state)
    fill(state)
    return state


@dataclass(slots=True)
class _Resources:
    scopes: tuple[BudgetScope, ...]
    budget_left: dict[str, int]
    capacity_left: dict[str, int]

    def take(self, group: str, candidate: Candidate, units: int) -> bool:
        """Reserve `units` at full cost (top-ups only ever lower the real use)."""
        if (
            candidate.benefit in self.capacity_left
            and self.capacity_left[candidate.benefit] < units
        ):
            return False
        spend = candidate.cost * units
        covering = [s.id for s in self.scopes if s.covers(group, candidate.benefit)]
        if any(self.budget_left[b] < spend for b in covering):
            return False
        for b in covering:
            self.budget_left[b] -= spend
        if candidate.benefit in self.capacity_left:
            self.capacity_left[candidate.benefit] -= units
        return True

    def take_all(self, group: str, package: Sequence[tuple[Candidate, int]]) -> bool:
        """Reserve every (candidate, units) of `package`, or nothing."""
        money: dict[str, int] = {}
        places: dict[str, int] = {}
        for candidate, units in package:
            if candidate.benefit in self.capacity_left:
                places[candidate.benefit] = places.get(candidate.benefit, 0) + units
            for scope in self.scopes:
                if scope.covers(group, candidate.benefit):
                    money[scope.id] = money.get(scope.id, 0) + candidate.cost * units
        if any(self.capacity_left[b] < n for b, n in places.items()):
            return False
        if any(self.budget_left[b] < spend for b, spend in money.items()):
            return False
        for b, n in places.items():
            self.capacity_left[b] -= n
        for b, spend in money.items():
            self.budget_left[b] -= spend
        return True

    def copy(self) -> _Resources:
        return _Resources(self.scopes, dict(self.budget_left), dict(self.capacity_left))


def _efficiency(person: Person, candidate: Candidate) -> Fraction:
    weight = satisfaction_weight(person, candidate)
    return weight / candidate.cost if candidate.cost > 0 else weight * 10**12


@functools.lru_cache(maxsize=65536)
def wanted_by_efficiency(person: Person) -> tuple[Candidate, ...]:
    """The person's wanted candidates, best satisfaction per cost first (ties by id)."""
    return tuple(
        sorted(
            (c for c in person.candidates if c.points > 0),
            key=lambda c: (-_efficiency(person, c), c.benefit),
        )
    )


def greedy_bundle(person: Person, cost_limit: int, resources: _Resources) -> dict[str, int]:
    """The units a person takes within `cost_limit`: best satisfaction per cost first."""
    units: dict[str, int] = {}
    spent = 0
    taken_groups: set[str] = set()
    wanted = wanted_by_efficiency(person)
    for candidate in wanted:
        if units.get(candidate.benefit, 0) > 0:
            continue
        # A prerequisite comes only with the wish that needs it (transitively).
        package = [candidate, *missing_prerequisites(person, candidate, units)]
        groups_needed = [c.exclusive_group for c in package if c.exclusive_group is not None]
        if any(g in taken_groups for g in groups_needed) or len(set(groups_needed)) < len(
            groups_needed
        ):
            continue
        if spent + sum(c.cost for c in package) > cost_limit:
            continue
        if not resources.take_all(person.group, [(c, 1) for c in package]):
            continue
        for c in package:
            units[c.benefit] = units.get(c.benefit, 0) + 1
            spent += c.cost
            if c.exclusive_group is not None:
                taken_groups.add(c.exclusive_group)
        while (
            units[candidate.benefit] < min(candidate.max_units, candidate.wanted_units)
            and spent + candidate.cost <= cost_limit
            and resources.take(person.group, candidate, 1)
        ):
            units[candidate.benefit] += 1
            spent += candidate.cost
    return units


def level_allocation(
    persons: Sequence[Person],
    rule: GroupRule,
    scopes: tuple[BudgetScope, ...],
    budget_left: dict[str, int],
    capacity_left: dict[str, int],
) -> list[Line]:
    """Lines for one group at the best valid common level; consumes the resources used."""
    resources = _Resources(scopes, budget_left, capacity_left)
    order = sorted(persons, key=lambda p: (-_scarce_weight(p, capacity_left), p.id))
    if not rule.banded:
        lines, used = _at_level(order, None, resources.copy())
        _commit(resources, used)
        return lines
    low = 0
    high = max((_most_value(p) for p in persons if p.participant), default=0) + 1
    precision = max(1, high // LEVEL_PRECISION)
    best: tuple[Fraction, list[Line], _Resources] | None = None
    for _ in range(LEVEL_STEPS):
        if high - low <= precision:
            break
        level = (low + high) // 2
        lines, used = _at_level(order, level, resources.copy())
        valid, score = _score(persons, rule, lines)
        if valid:
            low = level
            if best is None or score > best[0]:
                best = (score, lines, used)
        else:
            high = level
    if best is None:
        lines, used = _at_level(order, low, resources.copy())
        valid, score = _score(persons, rule, lines)
        best = (score, lines, used) if valid else (Fraction(0), [], resources.copy())
    _commit(resources, best[2])
    return best[1]


def _commit(target: _Resources, used: _Resources) -> None:
    target.budget_left.update(used.budget_left)
    target.capacity_left.update(used.capacity_left)


def _scarce_weight(person: Person, capacity_left: dict[str, int]) -> Fraction:
    return max(
        (satisfaction_weight(person, c) for c in person.candidates if c.benefit in capacity_left),
        default=Fraction(0),
    )


def _most_value(person: Person) -> int:
    """The largest v(e)/need(e) the person could ever reach."""
    total = sum(c.cost * c.max_units for c in person.candidates)
    if person.allowance is not None:
        total = min(total, person.allowance)
    return math.ceil(Fraction(total) / person.need)


def _at_level(
    order: Sequence[Person], level: int | None, resources: _Resources
) -> tuple[list[Line], _Resources]:
    lines: list[Line] = []
    for person in order:
        value_limit: int | None = None
        if level is not None and person.participant:
            value_limit = math.floor(level * person.need)
        if person.allowance is not None:
            value_limit = (
                person.allowance if value_limit is None else min(value_limit, person.allowance)
            )
        cost_limit = 10**15 if value_limit is None else value_limit + person.top_up_limit
        units = greedy_bundle(person, cost_limit, resources)
        costs = {c.benefit: c.cost for c in person.candidates}
        cost = sum(costs[b] * u for b, u in units.items())
        top_up = 0 if value_limit is None else max(0, cost - value_limit)
        for benefit in sorted(units):
            line_cost = costs[benefit] * units[benefit]
            paid = min(top_up, line_cost)
            top_up -= paid
            lines.append((person.id, benefit, units[benefit], paid))
    return lines, resources


def _score(persons: Sequence[Person], rule: GroupRule, lines: list[Line]) -> tuple[bool, Fraction]:
    """(band holds exactly, total satisfaction) for one group's lines."""
    by_id = {p.id: p for p in persons}
    values: dict[str, int] = {}
    score = Fraction(0)
    for person_id, benefit, units, paid in lines:
        person = by_id[person_id]
        candidate = person.candidate(benefit)
        assert candidate is not None
        values[person_id] = values.get(person_id, 0) + candidate.cost * units - paid
        score += satisfaction_weight(person, candidate) * min(units, candidate.wanted_units)
    ratios = [Fraction(values.get(p.id, 0)) / p.need for p in persons if p.participant]
    if not ratios or not rule.banded:
        return True, score
    cap = (1 + rule.tolerance) * sum(ratios, Fraction(0)) / rule.participants + rule.absolute
    return max(ratios) <= cap, score


def fill(state: AllocationState, passes: int = FILL_PASSES) -> bool:
    """Add units by satisfaction per cost while every rule holds; True if anything changed."""
    order = sorted(
        (
            (-_efficiency(ps.person, c), person_id, c.benefit, c)
            for person_id, ps in state.persons.items()
            for c in ps.person.candidates
            if c.points > 0
        ),
        key=lambda item: item[:3],
    )
    changed_any = False
    for _ in range(passes):
        changed = False
        for _, person_id, _, candidate in order:
            limit = min(candidate.max_units, candidate.wanted_units)
            while state.units(
                person_id, candidate.benefit
            ) < limit and state.try_add_with_prerequisites(person_id, candidate):
                changed = True
        changed_any |= changed
        if not changed:
            break
    return changed_any


def fill_lowest_first(state: AllocationState) -> None:
    """maxmin: repeatedly give the least satisfied participant their most efficient unit."""
    heap = [
        (state.satisfaction(pid), pid) for pid, ps in state.persons.items() if ps.person.participant
    ]
    heapq.heapify(heap)
    while heap:
        _, person_id = heapq.heappop(heap)
        person = state.persons[person_id].person
        for candidate in wanted_by_efficiency(person):
            limit = min(candidate.max_units, candidate.wanted_units)
            if state.units(
                person_id, candidate.benefit
            ) < limit and state.try_add_with_prerequisites(person_id, candidate):
                heapq.heappush(heap, (state.satisfaction(person_id), person_id))
                break
