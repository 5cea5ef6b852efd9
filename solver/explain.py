"""Why an employee did not receive a benefit they asked for: reason codes with figures.

For every benefit an employee gave points to and did not fully receive, we test ONE MORE
UNIT of it against every rule with the rest of the allocation fixed, and name each rule it
would break (DESIGN.md "Explanations"), with the figures behind it:

- `not_eligible`: the employee may not have it (then nothing else is tested);
- `allowance`: the employer-funded optional value would exceed their allowance;
- `budget:<id>`: the budget's cap would be exceeded;
- `capacity`: every place of a capacity-limited benefit is taken;
- `exclusive:<received>`: they received another benefit of the same exclusive group;
- `requires:<benefit>`: the benefit requires one they did not receive;
- `equity_band`: their need-weighted value would exceed their peer group's cap. The extra
  unit raises the group mean too, so the cap is recomputed exactly with the new mean;
- `not_selected`: nothing would break (possible within the optimality gap or under maxmin).

Co-funding: when the employee has top-up room left (top_up_limit minus what they already
contribute), the extra unit is assumed co-funded by as much of that room as it can use,
i.e. the smallest employer share possible; allowance, budgets and the band are tested with
that share.

This module writes no sentences: a reason is its code and figures (money in minor units,
ids as in the problem). Readers word them: the result document's English text
(solver/explain_text.py), the service in the reader's language with display names and its
disclosure rule (the band's figures are the peer group's aggregates; a service shows them
to an employee only when the group is large enough).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import ClassVar, Literal

from solver.types import Assignment, Benefit, Employee, Line, Problem
from solver.validate import (
    NO_FIXED_USE,
    Figures,
    FixedUse,
    GroupBand,
    benefit_map,
    round_float,
)

Figure = int | float | bool | str | list[str] | None


@dataclass(frozen=True, slots=True)
class Reason:
    """A rule one more unit would break; the subclass's fields are its figures."""

    code: ClassVar[str]

    @property
    def key(self) -> str:
        """The reason as DESIGN.md names it (`budget:<id>`, `capacity`, ...)."""
        return self.code

    def as_dict(self) -> dict[str, Figure]:
        """The code and figures as a result document states them (floats rounded)."""
        shown: dict[str, Figure] = {"code": self.code}
        for name in _figure_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, float):
                value = round_float(value)
            shown[name] = value
        return shown


_FIGURE_NAMES: dict[type[Reason], tuple[str, ...]] = {}


def _figure_names(kind: type[Reason]) -> tuple[str, ...]:
    """A reason kind's field names (cached: `fields` is slow, and this runs per wish)."""
    names = _FIGURE_NAMES.get(kind)
    if names is None:
        names = _FIGURE_NAMES[kind] = tuple(item.name for item in fields(kind))
    return names


@dataclass(frozen=True, slots=True)
class NotEligible(Reason):
    code: ClassVar[str] = "not_eligible"


@dataclass(frozen=True, slots=True)
class NotSelected(Reason):
    code: ClassVar[str] = "not_selected"


@dataclass(frozen=True, slots=True)
class OverAllowance(Reason):
    code: ClassVar[str] = "allowance"
    allowance: int
    left: int


@dataclass(frozen=True, slots=True)
class OverBudget(Reason):
    code: ClassVar[str] = "budget"
    budget: str
    cap: int
    left: int

    @property
    def key(self) -> str:
        return f"budget:{self.budget}"


@dataclass(frozen=True, slots=True)
class CapacityFull(Reason):
    code: ClassVar[str] = "capacity"
    places: int


@dataclass(frozen=True, slots=True)
class Alternative(Reason):
    """They received `received`, of the same exclusive group."""

    code: ClassVar[str] = "exclusive"
    received: str
    group: str

    @property
    def key(self) -> str:
        return f"exclusive:{self.received}"


@dataclass(frozen=True, slots=True)
class MissingPrerequisite(Reason):
    """The wish requires `prerequisite`, which cannot come along: `blocked_by` says why
    (`places`: its capacity; `rivals` and `group`: the alternatives they received)."""

    code: ClassVar[str] = "requires"
    prerequisite: str
    blocked_by: Literal["not_eligible", "capacity", "exclusive"]
    places: int | None = None
    rivals: tuple[str, ...] = ()
    group: str | None = None

    @property
    def key(self) -> str:
        return f"requires:{self.prerequisite}"


@dataclass(frozen=True, slots=True)
class AboveBand(Reason):
    """`value` (per need unit when `per_need`) would exceed `cap`: the group's band with
    this unit (`mean` + `tolerance` (a fraction) + `absolute`), or, when `published`, the
    cap an event run takes from the published allocation's frozen group figures."""

    code: ClassVar[str] = "equity_band"
    value: int
    cap: int
    per_need: bool
    published: bool
    mean: int | None = None
    tolerance: float | None = None
    absolute: int | None = None

    def as_dict(self) -> dict[str, Figure]:
        """As `Reason.as_dict`, spelled out: a 100,000-employee result has ~150,000."""
        return {
            "code": self.code,
            "value": self.value,
            "cap": self.cap,
            "per_need": self.per_need,
            "published": self.published,
            "mean": self.mean,
            "tolerance": None if self.tolerance is None else round_float(self.tolerance),
            "absolute": self.absolute,
        }


@dataclass(frozen=True, slots=True)
class Package:
    """What one more unit of a wish costs, with the prerequisites it lacks (one unit
    each): the figures behind the allowance and budget reasons."""

    cost: int  # one unit of the wish
    prerequisites: tuple[tuple[str, int], ...]  # (benefit, cost), deepest first
    total: int
    employer_share: int
    co_funded: int  # from the employee's top-up room

    def as_dict(self) -> dict[str, object]:
        return {
            "cost": self.cost,
            "prerequisites": [{"benefit": b, "cost": c} for b, c in self.prerequisites],
            "total": self.total,
            "employer_share": self.employer_share,
            "co_funded": self.co_funded,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    benefit: str
    reasons: tuple[Reason, ...]
    units_wanted: int
    units_received: int
    package: Package | None = None  # only with an allowance or a budget reason

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.key for reason in self.reasons)

    def as_dict(self) -> dict[str, object]:
        """Codes as DESIGN.md lists them (`reasons`), each with its figures (`details`)."""
        shown: dict[str, object] = {
            "benefit": self.benefit,
            "reasons": [reason.key for reason in self.reasons],
            "details": [reason.as_dict() for reason in self.reasons],
            "units_wanted": self.units_wanted,
            "units_received": self.units_received,
        }
        if self.package is not None:
            shown["package"] = self.package.as_dict()
        return shown


NOT_ELIGIBLE = NotEligible()
NOT_SELECTED = NotSelected()


@dataclass(frozen=True, slots=True)
class _BudgetRoom:
    """A budget in force for a peer group: what it covers, the room its cap leaves, and the
    reason naming it (the same for everyone: its cap and what is left are global)."""

    benefits: frozenset[str] | None  # None: every benefit
    room: int  # cap - used; negative when already over (fixed lines)
    reason: OverBudget


@dataclass(frozen=True, slots=True)
class _BandFloats:
    """A peer group's band in floats for the fast test (`_equity_band`)."""

    band: GroupBand
    mean: float
    factor: float  # 1 + tolerance
    count: int  # participants
    tolerance: float


@dataclass(frozen=True, slots=True)
class _Context:
    """Everything the one-more-unit test needs that does not depend on the person, computed
    once per allocation: its exact figures and, per peer group and benefit, the rules'
    figures that are the same for everyone."""

    benefits: dict[str, Benefit]
    figures: Figures
    capacity_used: dict[str, int]  # fixed use included
    full: dict[str, CapacityFull]  # capacity-limited benefits without a place left
    budgets_of_group: dict[str, tuple[_BudgetRoom, ...]]  # in force for the group
    covering: dict[str, dict[str, tuple[_BudgetRoom, ...]]]  # group -> benefit -> budgets
    value_caps: Mapping[str, int]  # frozen band caps that replace the group's band
    band_floats: dict[str, _BandFloats]  # groups with a band (>= 2 participants)

    @classmethod
    def of(cls, problem: Problem, figures: Figures, fixed: FixedUse) -> _Context:
        capacity_used = fixed.capacity_with(figures.capacity_used)
        budgets_of_group = _budgets_of_group(problem, figures, fixed)
        return cls(
            benefits=benefit_map(problem),
            figures=figures,
            capacity_used=capacity_used,
            full={
                benefit.id: CapacityFull(benefit.capacity)
                for benefit in problem.benefits
                if benefit.capacity is not None and capacity_used[benefit.id] + 1 > benefit.capacity
            },
            budgets_of_group=budgets_of_group,
            covering={
                group: {
                    benefit.id: tuple(
                        budget
                        for budget in budgets
                        if budget.benefits is None or benefit.id in budget.benefits
                    )
                    for benefit in problem.benefits
                }
                for group, budgets in budgets_of_group.items()
            },
            value_caps=fixed.value_caps,
            band_floats={
                group: _BandFloats(
                    band=band,
                    mean=float(band.mean),
                    factor=1 + float(band.tolerance),
                    count=len(band.participants),
                    tolerance=float(band.tolerance),
                )
                for group, band in figures.bands.items()
                if band.mean is not None and band.cap is not None
            },
        )


def _budgets_of_group(
    problem: Problem, figures: Figures, fixed: FixedUse
) -> dict[str, tuple[_BudgetRoom, ...]]:
    """The budgets in force for each peer group, with the room their caps leave."""
    used = fixed.budgets_with(figures.budgets_used)
    rooms = [
        (
            budget,
            _BudgetRoom(
                benefits=None if budget.benefits is None else frozenset(budget.benefits),
                room=budget.cap - used[budget.id],
                reason=OverBudget(budget.id, budget.cap, max(budget.cap - used[budget.id], 0)),
            ),
        )
        for budget in problem.budgets
    ]
    return {
        group: tuple(
            room for budget, room in rooms if budget.groups is None or group in budget.groups
        )
        for group in figures.bands
    }


@dataclass(frozen=True, slots=True)
class _Person:
    """An employee's side of the one-more-unit test: the same for each of their wishes."""

    employee: Employee
    held: dict[str, Line]
    value: int  # v(e)
    room: int  # top-up room left
    value_cap: int | None  # a frozen band cap (event runs) instead of the group's band
    band: _BandFloats | None  # the group's band, when they are a participant under one
    need: float
    per_need: bool  # need is not 1: the band's figures are per need unit

    @classmethod
    def of(cls, context: _Context, employee: Employee) -> _Person:
        figures = context.figures
        in_band = employee.id in figures.wishes
        return cls(
            employee=employee,
            held=figures.lines[employee.id],
            value=figures.values[employee.id],
            room=max(employee.top_up_limit - figures.top_ups[employee.id], 0),
            value_cap=context.value_caps.get(employee.id),
            band=context.band_floats.get(employee.group) if in_band else None,
            need=float(employee.need),
            per_need=employee.need != 1,
        )


def explain(
    problem: Problem,
    assignment: Assignment,
    *,
    fixed: FixedUse = NO_FIXED_USE,
    figures: Figures | None = None,
) -> dict[str, tuple[Explanation, ...]]:
    """Explanations by employee id (every employee present, possibly with none).

    `fixed`: use by lines outside the assignment (an event run's fixed lines), counted into
    budgets and capacities; its value caps stand for the band of the employees they name.
    `figures`: the assignment's `Figures`, when the caller has them.
    """
    if figures is None:
        figures = Figures.of(problem, assignment)
    return {employee.id: items for employee, items in explain_each(problem, figures, fixed=fixed)}


def explain_each(
    problem: Problem, figures: Figures, *, fixed: FixedUse = NO_FIXED_USE
) -> Iterator[tuple[Employee, tuple[Explanation, ...]]]:
    """`explain`'s items one employee at a time, in the problem's order (a reader that
    turns them into something else need not hold them all)."""
    context = _Context.of(problem, figures, fixed)
    for employee in problem.employees:
        yield employee, _explain_employee(context, employee)


def _explain_employee(context: _Context, employee: Employee) -> tuple[Explanation, ...]:
    found: list[Explanation] = []
    held = context.figures.lines[employee.id]
    person: _Person | None = None  # made at their first wish tested against the rules
    for benefit_id, preference in employee.preferences:
        benefit = context.benefits[benefit_id]
        line = held.get(benefit_id)
        received = 0 if line is None else line.units
        eligible = employee.is_eligible(benefit_id)
        if eligible and (benefit.core or received >= preference.units):
            continue
        package = None
        reasons: list[Reason]
        if not eligible:
            reasons = [NOT_ELIGIBLE]
        else:
            person = person or _Person.of(context, employee)
            reasons, package = _blocking_rules(context, person, benefit)
            reasons = reasons or [NOT_SELECTED]
        found.append(
            Explanation(
                benefit=benefit_id,
                reasons=tuple(reasons),
                units_wanted=preference.units,
                units_received=received,
                package=package,
            )
        )
    return tuple(found)


@dataclass(frozen=True, slots=True)
class _Package:
    """One more unit of a wish with the prerequisites it lacks (one unit each): what adding
    it costs the employer, after the employee's top-up room (given to the wish first)."""

    benefit: Benefit
    prerequisites: tuple[Benefit, ...]  # missing, addable (eligible), deepest first
    shares: tuple[tuple[Benefit, int, int], ...]  # (benefit, employer share, co-funded)
    share: int  # the employer's, in all
    co_funded: int

    @property
    def cost(self) -> int:
        return self.benefit.cost + sum(p.cost for p in self.prerequisites)


def _package(context: _Context, person: _Person, benefit: Benefit, missing: list[str]) -> _Package:
    employee, room = person.employee, person.room
    prerequisites: tuple[Benefit, ...] = ()
    if missing:
        prerequisites = tuple(
            context.benefits[name]
            for name in missing
            if employee.is_eligible(name) and not context.benefits[name].core
        )
    shares: list[tuple[Benefit, int, int]] = []
    share = co_funded = 0
    for item in (benefit, *prerequisites):
        paid = min(room, item.cost)
        room -= paid
        shares.append((item, item.cost - paid, paid))
        share += item.cost - paid
        co_funded += paid
    return _Package(benefit, prerequisites, tuple(shares), share, co_funded)


def _missing_prerequisites(
    benefits: Mapping[str, Benefit], held: Mapping[str, Line], benefit: Benefit
) -> list[str]:
    """Every benefit `benefit` needs (transitively) that e did not receive, deepest first."""
    ordered: list[str] = []

    def visit(current: Benefit) -> None:
        for needed in current.requires:
            if needed in held or needed in ordered:
                continue
            visit(benefits[needed])
            if needed not in ordered:
                ordered.append(needed)

    if benefit.requires:
        visit(benefit)
    return ordered


def _blocking_rules(
    context: _Context, person: _Person, benefit: Benefit
) -> tuple[list[Reason], Package | None]:
    """Each rule one more unit of `benefit` would break, with the prerequisites it lacks
    added alongside (a prerequisite comes with the wish that needs it); and the package's
    figures when a reason is about money (allowance, budgets)."""
    employee = person.employee
    missing = _missing_prerequisites(context.benefits, person.held, benefit)
    package = _package(context, person, benefit, missing)
    found = _prerequisite_blocks(context, person, missing) if missing else []
    share = package.share
    over_money = False
    allowance = employee.allowance
    if allowance is not None and person.value + share > allowance:
        found.append(OverAllowance(allowance, max(allowance - person.value, 0)))
        over_money = True
    for budget in _over_budgets(context, employee.group, package):
        found.append(budget.reason)
        over_money = True
    full = context.full.get(benefit.id)
    if full is not None:
        found.append(full)
    if benefit.exclusive_group is not None:
        found.extend(_exclusive(context, person, benefit))
    band = _equity_band(person, share)
    if band is not None:
        found.append(band)
    return found, _package_figures(package) if over_money else None


def _over_budgets(context: _Context, group: str, package: _Package) -> list[_BudgetRoom]:
    """The budgets in force whose room the employer's share of the package's parts they
    cover exceeds (a budget covering none of its parts is not touched)."""
    if not package.prerequisites:  # the wish alone: the budgets covering it
        covering = context.covering[group][package.benefit.id]
        return [budget for budget in covering if package.share > budget.room]
    over = []
    for budget in context.budgets_of_group[group]:
        covered = [
            part
            for item, part, _ in package.shares
            if budget.benefits is None or item.id in budget.benefits
        ]
        if covered and sum(covered) > budget.room:
            over.append(budget)
    return over


def _package_figures(package: _Package) -> Package:
    return Package(
        cost=package.benefit.cost,
        prerequisites=tuple((p.id, p.cost) for p in package.prerequisites),
        total=package.cost,
        employer_share=package.share,
        co_funded=package.co_funded,
    )


def _prerequisite_blocks(context: _Context, person: _Person, missing: list[str]) -> list[Reason]:
    """`requires:<p>` for each missing prerequisite p that cannot come along: e is not
    eligible for it, its places are all taken, or e received an alternative to it."""
    found: list[Reason] = []
    for name in missing:
        needed = context.benefits[name]
        if not person.employee.is_eligible(name) or needed.core:
            found.append(MissingPrerequisite(name, "not_eligible"))
        elif needed.capacity is not None and context.capacity_used[name] + 1 > needed.capacity:
            found.append(MissingPrerequisite(name, "capacity", places=needed.capacity))
        else:
            rivals = tuple(rival.received for rival in _exclusive(context, person, needed))
            if rivals:
                found.append(
                    MissingPrerequisite(
                        name, "exclusive", rivals=rivals, group=needed.exclusive_group
                    )
                )
    return found


def _exclusive(context: _Context, person: _Person, benefit: Benefit) -> list[Alternative]:
    group = benefit.exclusive_group
    if group is None:
        return []
    return [
        Alternative(received=other, group=group)
        for other in sorted(person.held)
        if other != benefit.id and context.benefits[other].exclusive_group == group
    ]


def _equity_band(person: _Person, share: int) -> AboveBand | None:
    """The band's figures when the extra employer share would put e above the new cap.

    Decided in floats when clearly on one side (speed: this runs for every unmet wish),
    exactly with Fractions within a relative 1e-9 of the boundary.
    """
    if person.value_cap is not None:
        value = person.value + share
        if value <= person.value_cap:
            return None
        return AboveBand(value=value, cap=person.value_cap, per_need=False, published=True)
    floats = person.band
    if floats is None:
        return None  # no band in the group, or not a participant
    band, value, need_f = floats.band, person.value, person.need
    new_ratio_f = (value + share) / need_f
    new_mean_f = floats.mean + (share / need_f) / floats.count
    new_cap_f = floats.factor * new_mean_f + band.absolute
    margin = 1e-9 * max(1.0, abs(new_cap_f))
    if new_ratio_f <= new_cap_f - margin:
        return None
    need = person.employee.need
    if new_ratio_f < new_cap_f + margin:
        new_ratio = Fraction(value + share) / need
        new_cap = band.cap_with(Fraction(value) / need, new_ratio)
        if new_cap is None or new_ratio <= new_cap:
            return None
    return AboveBand(
        value=round(new_ratio_f),
        cap=math.floor(new_cap_f + 1e-9),
        per_need=person.per_need,
        published=False,
        mean=round(new_mean_f),
        tolerance=floats.tolerance,
        absolute=band.absolute,
    )
