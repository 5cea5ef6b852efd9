"""The problem compiled for optimisation: who can receive what, and which rules bind whom.

Every engine module (model builder, heuristic, decomposition) works on this view so that the
semantics of DESIGN.md live in one place:
- core benefits are fixed (u = 1 for eligible employees, w = 0) and only shift budgets and
  capacities by a constant;
- an optional benefit is a candidate for e when e is eligible and gave it points (u <= r), or
  when a candidate requires it: a *prerequisite-only* candidate (points 0, zero utility),
  at most one unit and only while e receives a candidate in its `required_by` (DESIGN.md
  "Meaning"); candidates whose requirements cannot be met, that can never fit the allowance
  or a zero capacity, or prerequisites left without a dependent, are dropped (they stay 0);
- participants are employees with a positive preference on an eligible optional benefit.
All collections are tuples sorted by id, so iteration order never depends on hashing.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from solver.collector import collector_paused
from solver.types import Benefit, Budget, Employee, Preference, Problem


@dataclass(frozen=True, slots=True)
class Candidate:
    benefit: str
    cost: int
    max_units: int  # upper bound on u(e, b)
    points: int  # 0 when only given because another candidate requires it
    wanted_units: int  # r(e, b); 1 for required-only candidates
    exclusive_group: str | None
    requires: tuple[str, ...]  # optional benefits that must be held (all are candidates)
    # The person's candidates that require this one, sorted: a prerequisite-only candidate
    # (points 0) may be held only while one of them is.
    required_by: tuple[str, ...] = ()

    @property
    def prerequisite_only(self) -> bool:
        return self.points == 0


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    group: str
    allowance: int | None
    need: Fraction
    top_up_limit: int
    total_points: int  # over eligible optional preferences: the satisfaction denominator
    participant: bool
    candidates: tuple[Candidate, ...]  # sorted by benefit id
    core: tuple[str, ...]  # core benefits held (eligible), sorted

    def candidate(self, benefit: str) -> Candidate | None:
        for candidate in self.candidates:
            if candidate.benefit == benefit:
                return candidate
        return None


@dataclass(frozen=True, slots=True)
class GroupRule:
    id: str
    tolerance: Fraction
    absolute: int
    participants: int
    banded: bool  # the equity band applies (>= 2 participants)


@dataclass(frozen=True, slots=True)
class BudgetScope:
    id: str
    cap: int
    groups: frozenset[str] | None  # None: every group
    benefits: frozenset[str] | None  # None: every benefit
    core_use: int  # employer cost of core benefits inside the scope

    def covers(self, group: str, benefit: str) -> bool:
        in_group = self.groups is None or group in self.groups
        return in_group and (self.benefits is None or benefit in self.benefits)


def by_group(persons: Iterable[Person]) -> dict[str, list[Person]]:
    """Persons by peer group, each list in the given order."""
    members: dict[str, list[Person]] = {}
    for person in persons:
        members.setdefault(person.group, []).append(person)
    return members


@dataclass(frozen=True, slots=True)
class Compiled:
    problem: Problem
    persons: tuple[Person, ...]  # sorted by id
    groups: tuple[GroupRule, ...]  # sorted by id
    budgets: tuple[BudgetScope, ...]  # in problem order
    capacities: tuple[tuple[str, int], ...]  # optional benefit -> units left after core
    benefits: tuple[tuple[str, Benefit], ...]  # sorted by id
    # (group, benefit) -> ids of the budgets covering it, filled as asked (`covering`)
    _covering: dict[tuple[str, str], tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _group_pairs: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def covering(self, group: str, benefit: str) -> tuple[str, ...]:
        """The ids of the budgets that count `benefit` given to a member of `group`."""
        key = (group, benefit)
        found = self._covering.get(key)
        if found is None:
            found = tuple(scope.id for scope in self.budgets if scope.covers(group, benefit))
            self._covering[key] = found
        return found

    def group_pairs(self) -> dict[str, int]:
        """Each peer group's (person, benefit) candidate pairs: how much work its tasks are
        (heuristics, LPs and MILPs all grow with them)."""
        pairs = self._group_pairs
        if not pairs:
            for person in self.persons:
                pairs[person.group] = pairs.get(person.group, 0) + len(person.candidates)
        return pairs

    def group(self, group_id: str) -> GroupRule:
        for rule in self.groups:
            if rule.id == group_id:
                return rule
        raise KeyError(group_id)


def compile_problem(problem: Problem) -> Compiled:
    benefits = {benefit.id: benefit for benefit in problem.benefits}
    catalogue = _Catalogue.of(benefits)
    with collector_paused():  # a person and its candidates for every employee
        persons = tuple(_person(employee, catalogue) for employee in problem.employees)
    holders = _core_holders(persons)
    return Compiled(
        problem=problem,
        persons=tuple(sorted(persons, key=lambda p: p.id)),
        groups=_groups(problem, persons),
        budgets=tuple(_budget_scope(budget, holders, benefits) for budget in problem.budgets),
        capacities=_capacities(problem, holders),
        benefits=tuple(sorted(benefits.items())),
    )


@dataclass(frozen=True, slots=True)
class _Catalogue:
    """What every person's compilation asks of the catalogue, worked out once, and the
    values many persons share (candidates, core lists), built once per compilation."""

    benefits: dict[str, Benefit]
    core: tuple[str, ...]  # core benefit ids, sorted
    optional: frozenset[str]  # the optional benefit ids
    optional_requires: dict[str, tuple[str, ...]]  # the optional benefits each requires, sorted
    core_requires: dict[str, tuple[str, ...]]  # the core benefits each requires
    requiring: frozenset[str]  # the benefits that require an optional one
    dependents: dict[str, tuple[str, ...]]  # the benefits requiring each one, sorted
    # Frozen values shared by every person they describe (equal values, built once).
    shared_candidates: dict[tuple[str, int, int, int, tuple[str, ...]], Candidate] = field(
        default_factory=dict
    )
    shared_core: dict[frozenset[str] | None, tuple[str, ...]] = field(default_factory=dict)
    shared_limits: dict[tuple[frozenset[str] | None, int | None], dict[str, int]] = field(
        default_factory=dict
    )

    @staticmethod
    def of(benefits: dict[str, Benefit]) -> _Catalogue:
        dependents: dict[str, list[str]] = {}
        for benefit in sorted(benefits.values(), key=lambda b: b.id):
            for required in benefit.requires:
                dependents.setdefault(required, []).append(benefit.id)
        return _Catalogue(
            benefits=benefits,
            core=tuple(sorted(b.id for b in benefits.values() if b.core)),
            optional=frozenset(b.id for b in benefits.values() if not b.core),
            optional_requires={
                b.id: tuple(sorted(r for r in b.requires if not benefits[r].core))
                for b in benefits.values()
            },
            core_requires={
                b.id: tuple(r for r in b.requires if benefits[r].core) for b in benefits.values()
            },
            requiring=frozenset(
                b.id for b in benefits.values() if any(not benefits[r].core for r in b.requires)
            ),
            dependents={b: tuple(found) for b, found in dependents.items()},
        )

    def candidate(
        self, benefit_id: str, bound: int, points: int, units: int, required_by: tuple[str, ...]
    ) -> Candidate:
        benefit = self.benefits[benefit_id]
        return Candidate(
            benefit=benefit_id,
            cost=benefit.cost,
            max_units=bound,
            points=points,
            wanted_units=units,
            exclusive_group=benefit.exclusive_group,
            requires=self.optional_requires[benefit_id],
            required_by=required_by,
        )

    def limits(self, eligible: frozenset[str] | None, room: int | None) -> dict[str, int]:
        """The most units of each optional benefit an employee can hold, by what they are
        eligible for and their allowance room (allowance + top-up limit, None: no cap):
        max_units, capped by the room and the capacity; 0 when a core benefit it requires
        is not theirs. Only the eligible optional benefits are keys."""
        key = (eligible, room)
        found = self.shared_limits.get(key)
        if found is None:
            found = {}
            for benefit_id in self.optional:
                if eligible is None or benefit_id in eligible:
                    found[benefit_id] = self._limit(self.benefits[benefit_id], eligible, room)
            self.shared_limits[key] = found
        return found

    def _limit(self, benefit: Benefit, eligible: frozenset[str] | None, room: int | None) -> int:
        if eligible is not None and not all(r in eligible for r in self.core_requires[benefit.id]):
            return 0
        limit = benefit.max_units
        if room is not None and benefit.cost > 0:
            # employer cost c*u - w <= allowance with w <= top-up limit
            limit = min(limit, room // benefit.cost)
        if benefit.capacity is not None:
            limit = min(limit, benefit.capacity)
        return limit

    def core_of(self, eligible: frozenset[str] | None) -> tuple[str, ...]:
        """The core benefits an employee eligible for `eligible` holds, sorted."""
        found = self.shared_core.get(eligible)
        if found is None:
            found = tuple(b for b in self.core if eligible is None or b in eligible)
            self.shared_core[eligible] = found
        return found


def satisfaction_weight(person: Person, candidate: Candidate) -> Fraction:
    """Satisfaction gained per unit: points / (r * total points)."""
    if candidate.points == 0 or person.total_points == 0:
        return Fraction(0)
    return Fraction(candidate.points, candidate.wanted_units * person.total_points)


def _person(employee: Employee, catalogue: _Catalogue) -> Person:
    eligible = employee.eligible
    room = None if employee.allowance is None else employee.allowance + employee.top_up_limit
    limits = catalogue.limits(eligible, room)
    wanted = {
        benefit_id: preference
        for benefit_id, preference in employee.preferences
        if preference.points > 0 and benefit_id in limits
    }
    bounds = {b: min(p.units, limits[b]) for b, p in wanted.items()}
    if catalogue.requiring.isdisjoint(bounds):  # no requirements: only the limits drop
        bounds = {b: bound for b, bound in bounds.items() if bound > 0}
    else:
        _add_requirements(bounds, limits, catalogue)
        bounds = _reachable(bounds, wanted, catalogue)
    return Person(
        id=employee.id,
        group=employee.group,
        allowance=employee.allowance,
        need=employee.need,
        top_up_limit=employee.top_up_limit,
        total_points=sum(p.points for p in wanted.values()),
        participant=bool(wanted),
        candidates=_candidates(bounds, wanted, catalogue),
        core=catalogue.core_of(eligible),
    )


def _candidates(
    bounds: dict[str, int], wanted: dict[str, Preference], catalogue: _Catalogue
) -> tuple[Candidate, ...]:
    """The candidates of `bounds`, sorted by benefit, shared with equal ones (`_Catalogue`)."""
    dependents = catalogue.dependents
    shared = catalogue.shared_candidates
    found: list[Candidate] = []
    for benefit_id in sorted(bounds):
        required_by: tuple[str, ...] = ()
        if benefit_id in dependents:
            required_by = tuple(d for d in dependents[benefit_id] if d in bounds)
        preference = wanted.get(benefit_id)
        points, units = (preference.points, preference.units) if preference else (0, 1)
        key = (benefit_id, bounds[benefit_id], points, units, required_by)
        candidate = shared.get(key)
        if candidate is None:
            candidate = shared[key] = catalogue.candidate(*key)
        found.append(candidate)
    return tuple(found)


def _add_requirements(
    bounds: dict[str, int], limits: dict[str, int], catalogue: _Catalogue
) -> None:
    """The eligible optional benefits that candidates require, directly or not, become
    candidates of one unit (at most their limit)."""
    pending = [b for b in bounds if catalogue.optional_requires[b]]
    while pending:
        for required in catalogue.optional_requires[pending.pop()]:
            if required not in bounds and required in limits:
                bounds[required] = min(1, limits[required])
                pending.append(required)


def _reachable(
    bounds: dict[str, int], wanted: Container[str], catalogue: _Catalogue
) -> dict[str, int]:
    """The candidates that can be non-zero.

    A candidate is dropped when its limit is 0 (`_Catalogue.limits`), when a requirement
    was dropped, or, for a prerequisite nobody wants, when every candidate requiring it was.
    Each drop can cause others, so this repeats until nothing changes: the largest set
    where none applies, whatever the order of the drops.
    """
    kept = {b: bound for b, bound in bounds.items() if bound > 0}
    linked = [b for b in kept if catalogue.optional_requires[b] or b not in wanted]
    changed = bool(linked)  # with no requirement nor prerequisite, nothing else drops
    while changed:
        changed = False
        for benefit_id in linked:
            if benefit_id in kept and not _links_held(benefit_id, kept, wanted, catalogue):
                del kept[benefit_id]
                changed = True
    return kept


def _links_held(
    benefit_id: str, kept: Container[str], wanted: Container[str], catalogue: _Catalogue
) -> bool:
    """Its optional requirements are kept, and someone wants it or a kept candidate needs it."""
    return all(r in kept for r in catalogue.optional_requires[benefit_id]) and (
        benefit_id in wanted or any(d in kept for d in catalogue.dependents.get(benefit_id, ()))
    )


def _groups(problem: Problem, persons: tuple[Person, ...]) -> tuple[GroupRule, ...]:
    overrides = {group.id: group for group in problem.peer_groups}
    counts: dict[str, int] = {}
    for person in persons:
        counts.setdefault(person.group, 0)
        if person.participant:
            counts[person.group] += 1
    rules = []
    for group_id in sorted(counts):
        override = overrides.get(group_id)
        tolerance = problem.policy.equity_tolerance
        absolute = problem.policy.equity_absolute
        if override is not None and override.equity_tolerance is not None:
            tolerance = override.equity_tolerance
        if override is not None and override.equity_absolute is not None:
            absolute = override.equity_absolute
        rules.append(
            GroupRule(
                id=group_id,
                tolerance=tolerance,
                absolute=absolute,
                participants=counts[group_id],
                banded=counts[group_id] >= 2,
            )
        )
    return tuple(rules)


def _core_holders(persons: tuple[Person, ...]) -> dict[tuple[str, tuple[str, ...]], int]:
    """How many persons of each group hold each combination of core benefits."""
    holders: dict[tuple[str, tuple[str, ...]], int] = {}
    for person in persons:
        key = (person.group, person.core)
        holders[key] = holders.get(key, 0) + 1
    return holders


def _budget_scope(
    budget: Budget,
    holders: dict[tuple[str, tuple[str, ...]], int],
    benefits: dict[str, Benefit],
) -> BudgetScope:
    groups = frozenset(budget.groups) if budget.groups is not None else None
    covered = frozenset(budget.benefits) if budget.benefits is not None else None
    scope = BudgetScope(id=budget.id, cap=budget.cap, groups=groups, benefits=covered, core_use=0)
    core_use = sum(
        count * benefits[b].cost
        for (group, core), count in holders.items()
        for b in core
        if scope.covers(group, b)
    )
    return BudgetScope(
        id=budget.id, cap=budget.cap, groups=groups, benefits=covered, core_use=core_use
    )


def _capacities(
    problem: Problem, holders: dict[tuple[str, tuple[str, ...]], int]
) -> tuple[tuple[str, int], ...]:
    core_counts: dict[str, int] = {}
    for (_, core), count in holders.items():
        for benefit_id in core:
            core_counts[benefit_id] = core_counts.get(benefit_id, 0) + count
    return tuple(
        sorted(
            (b.id, b.capacity - core_counts.get(b.id, 0))
            for b in problem.benefits
            if b.capacity is not None and not b.core
        )
    )
