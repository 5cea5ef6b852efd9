"""An allocation under construction, checked in exact arithmetic as it changes.

`AllocationState` holds units and employee contributions for a set of persons together with
the shared resources they may use (`Limits`), and keeps the running totals every rule needs
(per-person employer value, per-group sum of v/need and largest ratio, budget and capacity
use). `try_add_unit` grows the allocation by one unit only when every constraint of
DESIGN.md still holds exactly, so a state built through it is valid by construction;
`violations` re-checks everything from scratch (for solutions read back from a float MILP).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from solver.candidates import Candidate, GroupRule, Person
from solver.model import Limits


@dataclass(slots=True)
class _GroupTally:
    """A group's sum and largest v/need over its participants, in integers: every ratio is
    multiplied by `scale` (the lcm of the participants' need numerators), so the band is
    checked exactly without fractions."""

    rule: GroupRule
    scale: int = 1
    total: int = 0  # sum over participants of scale * v/need
    max_ratio: int = 0  # the largest scale * v/need

    def within_band(self) -> bool:
        """max v/n <= (1 + t) * mean + a, multiplied through by scale * P * t's denominator."""
        rule = self.rule
        t_num, t_den = rule.tolerance.numerator, rule.tolerance.denominator
        size = rule.participants
        return self.max_ratio * size * t_den <= (
            (t_den + t_num) * self.total + rule.absolute * self.scale * size * t_den
        )

    def ratio_limit(self, others: int) -> int | None:
        """The largest scaled ratio one participant may reach while the others' scaled
        ratios sum to `others` (None: raising it raises the cap at least as fast).

        r * P * d <= (d + n) * (others + r) + a * s * P * d
        <=>  r * (P * d - d - n) <= (d + n) * others + a * s * P * d   (t = n / d)"""
        rule = self.rule
        t_num, t_den = rule.tolerance.numerator, rule.tolerance.denominator
        size = rule.participants
        slope = size * t_den - t_den - t_num
        if slope <= 0:
            return None
        return ((t_den + t_num) * others + rule.absolute * self.scale * size * t_den) // slope

    def mean(self) -> Fraction:
        return Fraction(self.total, self.scale * self.rule.participants)

    def cap(self) -> Fraction:
        return (1 + self.rule.tolerance) * self.mean() + self.rule.absolute


@dataclass(slots=True)
class _PersonState:
    person: Person
    multiplier: int = 0  # scale / need of the person's group tally (an integer)
    units: dict[str, int] = field(default_factory=dict)
    contributions: dict[str, int] = field(default_factory=dict)
    cost: int = 0  # sum of cost * u over optional lines
    contribution: int = 0  # sum of w

    @property
    def value(self) -> int:
        return self.cost - self.contribution

    def scaled_ratio(self) -> int:
        """v/need times the group tally's scale."""
        return self.value * self.multiplier


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What one person's tentative additions can change (undone when a package fails)."""

    units: dict[str, int]
    contributions: dict[str, int]
    cost: int
    contribution: int
    group_total: int
    group_max_ratio: int
    budget_left: dict[str, int]
    capacity_left: dict[str, int]


class AllocationState:
    def __init__(self, persons: Sequence[Person], groups: Sequence[GroupRule], limits: Limits):
        rules = {rule.id: rule for rule in groups}
        scales: dict[str, int] = {}
        for person in persons:
            if person.participant:
                scale = scales.get(person.group, 1)
                scales[person.group] = math.lcm(scale, person.need.numerator)
        self.groups = {
            person.group: _GroupTally(rules[person.group], scales.get(person.group, 1))
            for person in persons
        }
        self.persons = {
            person.id: _PersonState(person, _multiplier(person, self.groups[person.group].scale))
            for person in persons
        }
        self.budget_left = {scope.id: available for scope, available in limits.budgets}
        self.budget_scopes = tuple(scope for scope, _ in limits.budgets)
        self.capacity_left = dict(limits.capacities)

    # --- reading ---------------------------------------------------------------------------

    def units(self, person_id: str, benefit: str) -> int:
        return self.persons[person_id].units.get(benefit, 0)

    def lines(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(person, benefit) -> (units, contribution), only lines with units > 0."""
        return {
            (pid, benefit): (units, state.contributions.get(benefit, 0))
            for pid, state in sorted(self.persons.items())
            for benefit, units in sorted(state.units.items())
            if units > 0
        }

    def satisfaction(self, person_id: str) -> Fraction:
        numerator, denominator = self._satisfaction_terms(self.persons[person_id])
        return Fraction(numerator, denominator)

    def _satisfaction_terms(self, state: _PersonState) -> tuple[int, int]:
        """s(e) as an integer fraction (unreduced): Σ points·min(u, r)·(L/r) over L·total,
        L the lcm of the wanted units (no Fraction per candidate)."""
        person = state.person
        if person.total_points == 0:
            return 0, 1
        common = 1
        honoured = 0
        for candidate in person.candidates:
            if candidate.points:
                common = math.lcm(common, candidate.wanted_units)
        for candidate in person.candidates:
            units = state.units.get(candidate.benefit, 0)
            if units and candidate.points:
                share = common // candidate.wanted_units
                honoured += candidate.points * min(units, candidate.wanted_units) * share
        return honoured, common * person.total_points

    def objective(self) -> Fraction:
        """Σ s(e) over participants, exact: numerators added per denominator first."""
        by_denominator: dict[int, int] = {}
        for state in self.persons.values():
            if state.person.participant:
                numerator, denominator = self._satisfaction_terms(state)
                by_denominator[denominator] = by_denominator.get(denominator, 0) + numerator
        return sum((Fraction(n, d) for d, n in sorted(by_denominator.items())), Fraction(0))

    def min_satisfaction(self) -> Fraction | None:
        values = [self.satisfaction(pid) for pid, s in self.persons.items() if s.person.participant]
        return min(values) if values else None

    # --- growing ---------------------------------------------------------------------------

    def try_add_unit(self, person_id: str, candidate: Candidate) -> bool:
        """Add one unit of `candidate`, paying as little top-up as the rules allow.

        A prerequisite nobody asked for is added only while a benefit requiring it is held
        (see `try_add_with_prerequisites` for a wish whose prerequisites are missing)."""
        state = self.persons[person_id]
        if candidate.prerequisite_only and not any(
            state.units.get(d, 0) > 0 for d in candidate.required_by
        ):
            return False
        return self._add_unit(state, candidate)

    def try_add_with_prerequisites(self, person_id: str, candidate: Candidate) -> bool:
        """One more unit of `candidate` together with every missing prerequisite (one unit
        each, transitively), all or nothing: the allocation is unchanged when any rule would
        break."""
        state = self.persons[person_id]
        missing = missing_prerequisites(state.person, candidate, state.units)
        if not missing:
            return self.try_add_unit(person_id, candidate)
        saved = self._snapshot(state)
        added = all(self._add_unit(state, prerequisite) for prerequisite in missing)
        if not (added and self.try_add_unit(person_id, candidate)):
            self._restore(state, saved)
            return False
        return True

    def _snapshot(self, state: _PersonState) -> _Snapshot:
        tally = self.groups[state.person.group]
        return _Snapshot(
            units=dict(state.units),
            contributions=dict(state.contributions),
            cost=state.cost,
            contribution=state.contribution,
            group_total=tally.total,
            group_max_ratio=tally.max_ratio,
            budget_left=dict(self.budget_left),
            capacity_left=dict(self.capacity_left),
        )

    def _restore(self, state: _PersonState, saved: _Snapshot) -> None:
        tally = self.groups[state.person.group]
        state.units, state.contributions = saved.units, saved.contributions
        state.cost, state.contribution = saved.cost, saved.contribution
        tally.total, tally.max_ratio = saved.group_total, saved.group_max_ratio
        self.budget_left, self.capacity_left = saved.budget_left, saved.capacity_left

    def _add_unit(self, state: _PersonState, candidate: Candidate) -> bool:
        person = state.person
        held = state.units.get(candidate.benefit, 0)
        if held >= candidate.max_units:
            return False
        if candidate.exclusive_group is not None and held == 0:
            for other in person.candidates:
                if (
                    other.exclusive_group == candidate.exclusive_group
                    and other.benefit != candidate.benefit
                    and state.units.get(other.benefit, 0) > 0
                ):
                    return False
        if any(state.units.get(required, 0) < 1 for required in candidate.requires):
            return False
        if candidate.benefit in self.capacity_left and self.capacity_left[candidate.benefit] < 1:
            return False
        value_limit = self._value_limit(state)
        new_cost = state.cost + candidate.cost
        top_up = max(0, new_cost - state.contribution - value_limit)
        covering = [s for s in self.budget_scopes if s.covers(person.group, candidate.benefit)]
        # Where a budget covering the line is short, the person's own top-up may pay the
        # rest (v still grows or stays: no mean falls, no band tightens).
        short = candidate.cost - min((self.budget_left[s.id] for s in covering), default=10**18)
        top_up = max(top_up, short)
        if top_up > candidate.cost or state.contribution + top_up > person.top_up_limit:
            return False
        spend = candidate.cost - top_up  # employer cost added, all on this line
        # Commit.
        old_ratio = state.scaled_ratio()
        state.units[candidate.benefit] = held + 1
        state.contributions[candidate.benefit] = (
            state.contributions.get(candidate.benefit, 0) + top_up
        )
        state.cost = new_cost
        state.contribution += top_up
        for scope in covering:
            self.budget_left[scope.id] -= spend
        if candidate.benefit in self.capacity_left:
            self.capacity_left[candidate.benefit] -= 1
        if person.participant:
            tally = self.groups[person.group]
            ratio = state.scaled_ratio()
            tally.total += ratio - old_ratio
            tally.max_ratio = max(tally.max_ratio, ratio)
        return True

    def _value_limit(self, state: _PersonState) -> int:
        """The largest employer value v(e) the allowance and the band allow for this person."""
        person = state.person
        limits: list[int] = []
        if person.allowance is not None:
            limits.append(person.allowance)
        tally = self.groups[person.group]
        if person.participant and tally.rule.banded:
            ratio_limit = tally.ratio_limit(tally.total - state.scaled_ratio())
            if ratio_limit is not None:
                limits.append(ratio_limit // state.multiplier)
        if not limits:
            return state.cost + 10**15
        return min(limits)

    # --- bulk loading and checking ----------------------------------------------------------

    def load(self, lines: Iterable[tuple[str, str, int, int]]) -> None:
        """Set lines (person, benefit, units, contribution) without checks; see `violations`."""
        for person_id, benefit, units, contribution in lines:
            state = self.persons[person_id]
            candidate = state.person.candidate(benefit)
            if candidate is None or units <= 0:
                continue
            state.units[benefit] = units
            if contribution:
                state.contributions[benefit] = contribution
            state.cost += candidate.cost * units
            state.contribution += contribution
            for scope in self.budget_scopes:
                if scope.covers(state.person.group, benefit):
                    self.budget_left[scope.id] -= candidate.cost * units - contribution
            if benefit in self.capacity_left:
                self.capacity_left[benefit] -= units
        self._recount_groups()

    def _recount_groups(self) -> None:
        for tally in self.groups.values():
            tally.total = 0
            tally.max_ratio = 0
        for state in self.persons.values():
            if state.person.participant:
                tally = self.groups[state.person.group]
                ratio = state.scaled_ratio()
                tally.total += ratio
                tally.max_ratio = max(tally.max_ratio, ratio)

    def violations(self) -> list[str]:
        """Every rule broken, recomputed from the lines (empty: valid)."""
        found: list[str] = []
        for pid, state in sorted(self.persons.items()):
            found.extend(_person_violations(pid, state))
        found.extend(
            f"budget {b} over by {-left}" for b, left in self.budget_left.items() if left < 0
        )
        found.extend(
            f"capacity {b} over by {-left}" for b, left in self.capacity_left.items() if left < 0
        )
        for group_id, tally in sorted(self.groups.items()):
            if tally.rule.banded and not tally.within_band():
                highest = Fraction(tally.max_ratio, tally.scale)
                found.append(f"equity band of {group_id}: {float(highest)} > {float(tally.cap())}")
        return found


def _multiplier(person: Person, scale: int) -> int:
    """scale / need, an integer for a participant (scale is a multiple of need's numerator)."""
    if not person.participant:
        return 0
    return scale // person.need.numerator * person.need.denominator


def missing_prerequisites(
    person: Person, candidate: Candidate, units: dict[str, int]
) -> list[Candidate]:
    """The candidates `candidate` needs that are not held, each after its own (depth first)."""
    ordered: list[Candidate] = []
    seen: set[str] = set()

    def visit(current: Candidate) -> None:
        for required in current.requires:
            if required in seen or units.get(required, 0) > 0:
                continue
            seen.add(required)
            needed = person.candidate(required)
            if needed is not None:
                visit(needed)
                ordered.append(needed)

    visit(candidate)
    return ordered


def _person_violations(pid: str, state: _PersonState) -> list[str]:
    person = state.person
    found: list[str] = []
    by_group: dict[str, int] = {}
    for candidate in person.candidates:
        units = state.units.get(candidate.benefit, 0)
        paid = state.contributions.get(candidate.benefit, 0)
        if not 0 <= units <= candidate.max_units or not 0 <= paid <= candidate.cost * units:
            found.append(f"{pid}/{candidate.benefit}: units {units}, contribution {paid}")
        if units and candidate.exclusive_group is not None:
            by_group[candidate.exclusive_group] = by_group.get(candidate.exclusive_group, 0) + 1
        if units and any(state.units.get(r, 0) < 1 for r in candidate.requires):
            found.append(f"{pid}/{candidate.benefit}: a required benefit is missing")
        if (
            units
            and candidate.prerequisite_only
            and not any(state.units.get(d, 0) > 0 for d in candidate.required_by)
        ):
            found.append(f"{pid}/{candidate.benefit}: unwanted, and no benefit requiring it")
    found.extend(f"{pid}: exclusive {g}" for g, count in sorted(by_group.items()) if count > 1)
    if state.contribution > person.top_up_limit:
        found.append(f"{pid}: top-up {state.contribution} > {person.top_up_limit}")
    if person.allowance is not None and state.value > person.allowance:
        found.append(f"{pid}: allowance {state.value} > {person.allowance}")
    return found


def reduce_contributions(state: AllocationState) -> None:
    """Tie-break: lower employee contributions wherever every rule still holds exactly.

    Paying less raises v(e): it must fit the person's allowance and band (as computed by
    `_value_limit`) and the budgets covering the line; a higher mean only loosens others' band.
    """
    for _ in range(2):
        changed = False
        for person_id in sorted(state.persons):
            ps = state.persons[person_id]
            if ps.contribution == 0:
                continue
            room = state._value_limit(ps) - ps.value
            for benefit in sorted(ps.contributions):
                paid = ps.contributions[benefit]
                covering = [s for s in state.budget_scopes if s.covers(ps.person.group, benefit)]
                relief = min([paid, room] + [state.budget_left[s.id] for s in covering])
                if relief <= 0:
                    continue
                old_ratio = ps.scaled_ratio()
                ps.contributions[benefit] = paid - relief
                ps.contribution -= relief
                room -= relief
                for scope in covering:
                    state.budget_left[scope.id] -= relief
                if ps.person.participant:
                    tally = state.groups[ps.person.group]
                    ratio = ps.scaled_ratio()
                    tally.total += ratio - old_ratio
                    tally.max_ratio = max(tally.max_ratio, ratio)
                changed = True
        if not changed:
            return
