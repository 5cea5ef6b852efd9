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

from solver.types import Benefit, Budget, Employee, Problem


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

    def covering(self, group: str, benefit: str) -> tuple[str, ...]:
        """The ids of the budgets that count `benefit` given to a member of `group`."""
        key = (group, benefit)
        found = self._covering.get(key)
        if found is None:
            found = tuple(scope.id for scope in self.budgets if scope.covers(group, benefit))
            self._covering[key] = found
        return found

    def group(self, group_id: str) -> GroupRule:
        for rule in self.groups:
            if rule.id == group_id:
                return rule
        raise KeyError(group_id)


def compile_problem(problem: Problem) -> Compiled:
    benefits = {benefit.id: benefit for benefit in problem.benefits}
    catalogue = _Catalogue.of(benefits)
    persons = tuple(_person(employee, catalogue) for employee in problem.employees)
    return Compiled(
        problem=problem,
        persons=tuple(sorted(persons, key=lambda p: p.id)),
        groups=_groups(problem, persons),
        budgets=tuple(_budget_scope(budget, persons, benefits) for budget in problem.budgets),
        capacities=_capacities(problem, persons),
        benefits=tuple(sorted(benefits.items())),
    )


@dataclass(frozen=True, slots=True)
class _Catalogue:
    """What every person's compilation asks of the catalogue, worked out once."""

    benefits: dict[str, Benefit]
    core: tuple[str, ...]  # core benefit ids, sorted
    optional_requires: dict[str, tuple[str, ...]]  # the optional benefits each requires, sorted
    dependents: dict[str, tuple[str, ...]]  # the benefits requiring each one, sorted

    @staticmethod
    def of(benefits: dict[str, Benefit]) -> _Catalogue:
        dependents: dict[str, list[str]] = {}
        for benefit in sorted(benefits.values(), key=lambda b: b.id):
            for required in benefit.requires:
                dependents.setdefault(required, []).append(benefit.id)
        return _Catalogue(
            benefits=benefits,
            core=tuple(sorted(b.id for b in benefits.values() if b.core)),
            optional_requires={
                b.id: tuple(sorted(r for r in b.requires if not benefits[r].core))
                for b in benefits.values()
            },
            dependents={b: tuple(found) for b, found in dependents.items()},
        )


def satisfaction_weight(person: Person, candidate: Candidate) -> Fraction:
    """Satisfaction gained per unit: points / (r * total points)."""
    if candidate.points == 0 or person.total_points == 0:
        return Fraction(0)
    return Fraction(candidate.points, candidate.wanted_units * person.total_points)


def _person(employee: Employee, catalogue: _Catalogue) -> Person:
    benefits = catalogue.benefits
    wanted = {
        benefit_id: preference
        for benefit_id, preference in employee.preferences
        if preference.points > 0
        and benefit_id in benefits
        and not benefits[benefit_id].core
        and employee.is_eligible(benefit_id)
    }
    bounds: dict[str, int] = {b: min(p.units, benefits[b].max_units) for b, p in wanted.items()}
    _add_requirements(employee, benefits, bounds)
    _drop_unreachable(employee, catalogue, bounds, wanted)
    candidates = tuple(
        Candidate(
            benefit=b,
            cost=benefits[b].cost,
            max_units=bounds[b],
            points=wanted[b].points if b in wanted else 0,
            wanted_units=wanted[b].units if b in wanted else 1,
            exclusive_group=benefits[b].exclusive_group,
            requires=catalogue.optional_requires[b],
            required_by=_dependents(b, bounds, catalogue),
        )
        for b in sorted(bounds)
    )
    core = tuple(b for b in catalogue.core if employee.is_eligible(b))
    return Person(
        id=employee.id,
        group=employee.group,
        allowance=employee.allowance,
        need=employee.need,
        top_up_limit=employee.top_up_limit,
        total_points=sum(p.points for p in wanted.values()),
        participant=bool(wanted),
        candidates=candidates,
        core=core,
    )


def _add_requirements(
    employee: Employee, benefits: dict[str, Benefit], bounds: dict[str, int]
) -> None:
    """Optional benefits required by candidates become candidates (at least one unit)."""
    pending = sorted(bounds)
    while pending:
        benefit_id = pending.pop()
        for required in benefits[benefit_id].requires:
            if required not in benefits or benefits[required].core:
                continue
            if not employee.is_eligible(required):
                continue  # unreachable: dropped below
            if required not in bounds:
                bounds[required] = 1
                pending.append(required)


def _dependents(benefit_id: str, bounds: dict[str, int], catalogue: _Catalogue) -> tuple[str, ...]:
    """The person's candidates (`bounds`) that require `benefit_id`, sorted."""
    return tuple(b for b in catalogue.dependents.get(benefit_id, ()) if b in bounds)


def _drop_unreachable(
    employee: Employee,
    catalogue: _Catalogue,
    bounds: dict[str, int],
    wanted: Container[str],
) -> None:
    """Remove candidates that can never be non-zero, until nothing changes.

    A prerequisite nobody wants is reachable only while a candidate that requires it is.
    """
    benefits = catalogue.benefits
    changed = True
    while changed:
        changed = False
        for benefit_id in sorted(bounds):
            benefit = benefits[benefit_id]
            reachable = (
                all(
                    r in benefits and employee.is_eligible(r) and (benefits[r].core or r in bounds)
                    for r in benefit.requires
                )
                and benefit.capacity != 0
                and (benefit_id in wanted or bool(_dependents(benefit_id, bounds, catalogue)))
            )
            bound = bounds[benefit_id]
            if employee.allowance is not None and benefit.cost > 0:
                # employer cost c*u - w <= allowance with w <= top-up limit
                bound = min(bound, (employee.allowance + employee.top_up_limit) // benefit.cost)
            if benefit.capacity is not None:
                bound = min(bound, benefit.capacity)
            if not reachable or bound <= 0:
                del bounds[benefit_id]
                changed = True
            elif bound != bounds[benefit_id]:
                bounds[benefit_id] = bound
                changed = True


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


def _budget_scope(
    budget: Budget, persons: tuple[Person, ...], benefits: dict[str, Benefit]
) -> BudgetScope:
    groups = frozenset(budget.groups) if budget.groups is not None else None
    covered = frozenset(budget.benefits) if budget.benefits is not None else None
    scope = BudgetScope(id=budget.id, cap=budget.cap, groups=groups, benefits=covered, core_use=0)
    core_use = sum(
        benefits[b].cost for person in persons for b in person.core if scope.covers(person.group, b)
    )
    return BudgetScope(
        id=budget.id, cap=budget.cap, groups=groups, benefits=covered, core_use=core_use
    )


def _capacities(problem: Problem, persons: tuple[Person, ...]) -> tuple[tuple[str, int], ...]:
    core_counts: dict[str, int] = {}
    for person in persons:
        for benefit_id in person.core:
            core_counts[benefit_id] = core_counts.get(benefit_id, 0) + 1
    return tuple(
        sorted(
            (b.id, b.capacity - core_counts.get(b.id, 0))
            for b in problem.benefits
            if b.capacity is not None and not b.core
        )
    )
