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
from collections.abc import Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import ClassVar, Literal

from solver.types import Assignment, Benefit, Employee, Line, Problem
from solver.validate import (
    NO_FIXED_USE,
    FixedUse,
    GroupBand,
    benefit_map,
    employer_values,
    group_bands,
    participants,
    top_ups,
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
        shown: dict[str, Figure] = {"code": self.code}
        for name in _figure_names(type(self)):
            value = getattr(self, name)
            shown[name] = list(value) if isinstance(value, tuple) else value
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
            "reasons": list(self.codes),
            "details": [reason.as_dict() for reason in self.reasons],
            "units_wanted": self.units_wanted,
            "units_received": self.units_received,
        }
        if self.package is not None:
            shown["package"] = self.package.as_dict()
        return shown


@dataclass(frozen=True, slots=True)
class _Context:
    """Everything the one-more-unit test needs, computed once per allocation."""

    problem: Problem
    benefits: dict[str, Benefit]
    lines: dict[str, dict[str, Line]]
    values: dict[str, int]
    top_ups: dict[str, int]
    budgets_used: dict[str, int]
    capacity_used: dict[str, int]
    bands: dict[str, GroupBand]
    value_caps: Mapping[str, int]  # frozen band caps that replace the group's band
    participants: set[str]
    # group -> (mean, 1 + tolerance, participants) as floats for the fast band test
    band_floats: dict[str, tuple[float, float, int]]


def explain(
    problem: Problem, assignment: Assignment, *, fixed: FixedUse = NO_FIXED_USE
) -> dict[str, tuple[Explanation, ...]]:
    """Explanations by employee id (every employee present, possibly with none).

    `fixed`: use by lines outside the assignment (an event run's fixed lines), counted into
    budgets and capacities; its value caps stand for the band of the employees they name.
    """
    lines: dict[str, dict[str, Line]] = {employee.id: {} for employee in problem.employees}
    for (employee_id, benefit_id), line in assignment.items():
        lines[employee_id][benefit_id] = line
    bands = group_bands(problem, assignment)
    context = _Context(
        problem=problem,
        benefits=benefit_map(problem),
        lines=lines,
        values=employer_values(problem, assignment),
        top_ups=top_ups(problem, assignment),
        budgets_used=fixed.budget_use(problem, assignment),
        capacity_used=fixed.capacity_use(problem, assignment),
        bands=bands,
        value_caps=fixed.value_caps,
        participants=participants(problem),
        band_floats={
            group: (float(band.mean), 1 + float(band.tolerance), len(band.participants))
            for group, band in bands.items()
            if band.mean is not None
        },
    )
    return {employee.id: _explain_employee(context, employee) for employee in problem.employees}


def _explain_employee(context: _Context, employee: Employee) -> tuple[Explanation, ...]:
    found: list[Explanation] = []
    for benefit_id, preference in employee.preferences:
        benefit = context.benefits[benefit_id]
        line = context.lines[employee.id].get(benefit_id)
        received = 0 if line is None else line.units
        eligible = employee.is_eligible(benefit_id)
        if eligible and (benefit.core or received >= preference.units):
            continue
        package = None
        reasons: list[Reason]
        if not eligible:
            reasons = [NotEligible()]
        else:
            reasons, package = _blocking_rules(context, employee, benefit)
            reasons = reasons or [NotSelected()]
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

    @property
    def share(self) -> int:
        return sum(share for _, share, _ in self.shares)

    @property
    def co_funded(self) -> int:
        return sum(paid for _, _, paid in self.shares)

    @property
    def cost(self) -> int:
        return self.benefit.cost + sum(p.cost for p in self.prerequisites)


def _package(context: _Context, employee: Employee, benefit: Benefit) -> _Package:
    room = max(employee.top_up_limit - context.top_ups[employee.id], 0)
    prerequisites = tuple(
        context.benefits[name]
        for name in missing_prerequisites(context, employee, benefit)
        if employee.is_eligible(name) and not context.benefits[name].core
    )
    shares: list[tuple[Benefit, int, int]] = []
    for item in (benefit, *prerequisites):
        paid = min(room, item.cost)
        room -= paid
        shares.append((item, item.cost - paid, paid))
    return _Package(benefit, prerequisites, tuple(shares))


def missing_prerequisites(context: _Context, employee: Employee, benefit: Benefit) -> list[str]:
    """Every benefit `benefit` needs (transitively) that e did not receive, deepest first."""
    held = context.lines[employee.id]
    ordered: list[str] = []

    def visit(current: Benefit) -> None:
        for needed in current.requires:
            if needed in held or needed in ordered:
                continue
            visit(context.benefits[needed])
            if needed not in ordered:
                ordered.append(needed)

    visit(benefit)
    return ordered


def _blocking_rules(
    context: _Context, employee: Employee, benefit: Benefit
) -> tuple[list[Reason], Package | None]:
    """Each rule one more unit of `benefit` would break, with the prerequisites it lacks
    added alongside (a prerequisite comes with the wish that needs it); and the package's
    figures when a reason is about money (allowance, budgets)."""
    package = _package(context, employee, benefit)
    found = _prerequisite_blocks(context, employee, benefit)
    share = package.share
    value = context.values[employee.id]
    over_money = False
    if employee.allowance is not None and value + share > employee.allowance:
        found.append(OverAllowance(employee.allowance, max(employee.allowance - value, 0)))
        over_money = True
    for budget in context.problem.budgets:
        if budget.groups is not None and employee.group not in budget.groups:
            continue
        covered = [
            part
            for item, part, _ in package.shares
            if budget.benefits is None or item.id in budget.benefits
        ]
        if not covered:
            continue
        used = context.budgets_used[budget.id]
        if used + sum(covered) > budget.cap:
            found.append(OverBudget(budget.id, budget.cap, max(budget.cap - used, 0)))
            over_money = True
    if benefit.capacity is not None and context.capacity_used[benefit.id] + 1 > benefit.capacity:
        found.append(CapacityFull(benefit.capacity))
    found.extend(_exclusive(context, employee, benefit))
    band = _equity_band(context, employee, share)
    if band is not None:
        found.append(band)
    return found, _package_figures(package) if over_money else None


def _package_figures(package: _Package) -> Package:
    return Package(
        cost=package.benefit.cost,
        prerequisites=tuple((p.id, p.cost) for p in package.prerequisites),
        total=package.cost,
        employer_share=package.share,
        co_funded=package.co_funded,
    )


def _prerequisite_blocks(context: _Context, employee: Employee, benefit: Benefit) -> list[Reason]:
    """`requires:<p>` for each missing prerequisite p that cannot come along: e is not
    eligible for it, its places are all taken, or e received an alternative to it."""
    found: list[Reason] = []
    for name in missing_prerequisites(context, employee, benefit):
        needed = context.benefits[name]
        if not employee.is_eligible(name) or needed.core:
            found.append(MissingPrerequisite(name, "not_eligible"))
        elif needed.capacity is not None and context.capacity_used[name] + 1 > needed.capacity:
            found.append(MissingPrerequisite(name, "capacity", places=needed.capacity))
        else:
            rivals = tuple(rival.received for rival in _exclusive(context, employee, needed))
            if rivals:
                found.append(
                    MissingPrerequisite(
                        name, "exclusive", rivals=rivals, group=needed.exclusive_group
                    )
                )
    return found


def _exclusive(context: _Context, employee: Employee, benefit: Benefit) -> list[Alternative]:
    group = benefit.exclusive_group
    if group is None:
        return []
    return [
        Alternative(received=other, group=group)
        for other in sorted(context.lines[employee.id])
        if other != benefit.id and context.benefits[other].exclusive_group == group
    ]


def _equity_band(context: _Context, employee: Employee, share: int) -> AboveBand | None:
    """The band's figures when the extra employer share would put e above the new cap.

    Decided in floats when clearly on one side (speed: this runs for every unmet wish),
    exactly with Fractions within a relative 1e-9 of the boundary.
    """
    value_cap = context.value_caps.get(employee.id)
    if value_cap is not None:
        value = context.values[employee.id] + share
        if value <= value_cap:
            return None
        return AboveBand(value=value, cap=value_cap, per_need=False, published=True)
    band = context.bands[employee.group]
    if employee.id not in context.participants or band.cap is None or band.mean is None:
        return None
    value, need = context.values[employee.id], employee.need
    mean_f, factor_f, count = context.band_floats[employee.group]
    need_f = float(need)
    new_ratio_f = (value + share) / need_f
    new_mean_f = mean_f + (share / need_f) / count
    new_cap_f = factor_f * new_mean_f + band.absolute
    margin = 1e-9 * max(1.0, abs(new_cap_f))
    if new_ratio_f <= new_cap_f - margin:
        return None
    if new_ratio_f < new_cap_f + margin:
        new_ratio = Fraction(value + share) / need
        new_cap = band.cap_with(Fraction(value) / need, new_ratio)
        if new_cap is None or new_ratio <= new_cap:
            return None
    return AboveBand(
        value=round(new_ratio_f),
        cap=math.floor(new_cap_f + 1e-9),
        per_need=need != 1,
        published=False,
        mean=round(new_mean_f),
        tolerance=float(band.tolerance),
        absolute=band.absolute,
    )
