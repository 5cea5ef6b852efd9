"""The independent checker: recompute every rule of DESIGN.md in exact arithmetic.

Imports only `solver.types` — no PuLP, no engine code — so it can judge the engine.
Money and units are ints, ratios `Fraction`s; nothing here is ever rounded except when
comparing with the floats a result document states (tolerance `FLOAT_TOLERANCE`).

- `check_assignment(problem, assignment)` -> violations of the allocation rules.
- `check_result(problem, result_doc)` -> the same for a `flexben.allocation/v1` document's
  lines, plus every figure the document states (satisfaction, value, top_up, objective,
  groups, budgets, capacity use, gap) recomputed and compared.
- `Figures.of(problem, assignment)`: every exact figure of an allocation (v(e), top-ups,
  s(e), group bands, budget and capacity use), computed in one pass; the report, the
  explanations and the checks here all read them. Helpers: `satisfaction`, `objective`,
  `minimum_satisfaction`, `allowed_units`, `participants`, `wanted`.

Rules as implemented (the policy the loader documents):
- core benefit: exactly 1 unit, no contribution, for every eligible employee; none otherwise;
- optional benefit: up to r(e, b) units when e is eligible and gave it points; up to 1 unit
  when not wanted but required (transitively) by a benefit e wants and is eligible for, and
  then only while e receives a benefit that requires it (family `prerequisite`);
- participants: employees with a positive preference on an eligible optional benefit;
- equity band per group with >= 2 participants, on v(e)/need(e) against the group's mean.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from solver.types import (
    RESULT_FORMAT,
    Assignment,
    Benefit,
    Budget,
    Employee,
    FixedLine,
    Line,
    Problem,
)

# Floats in a result document are rounded to DECIMALS decimals (`round_float`, the one
# home of that rule: the report and the explanations' figures); compare with this slack.
DECIMALS = 6
FLOAT_TOLERANCE = 1e-6
_ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
_THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})

Number = int | Fraction | float | str | None


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: `family` (e.g. "budget"), `key` (e.g. "total"), numbers, a sentence."""

    family: str
    key: str
    text: str
    numbers: dict[str, Number] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "key": self.key,
            "numbers": {name: _plain(value) for name, value in self.numbers.items()},
            "text": self.text,
        }

    def __str__(self) -> str:
        return f"[{self.family}:{self.key}] {self.text}"


def _plain(value: Number) -> int | float | str | None:
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else str(value)
    return value


def round_float(value: float | Fraction) -> float:
    """A figure as a result document states it: `DECIMALS` decimals, never "-0.0"."""
    rounded = round(float(value), DECIMALS)
    return rounded + 0.0


@functools.lru_cache(maxsize=65536)
def format_money(amount: int, currency: str) -> str:
    """Minor units in plain words: 300000, "EUR" -> "3,000.00 EUR" (cached: texts repeat)."""
    decimals = 2
    if currency in _ZERO_DECIMAL_CURRENCIES:
        decimals = 0
    elif currency in _THREE_DECIMAL_CURRENCIES:
        decimals = 3
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**decimals)
    text = f"{whole:,}" if decimals == 0 else f"{whole:,}.{minor:0{decimals}d}"
    return f"{sign}{text} {currency}"


# ---------------------------------------------------------------- exact helpers


def benefit_map(problem: Problem) -> dict[str, Benefit]:
    return {benefit.id: benefit for benefit in problem.benefits}


def wanted(employee: Employee, benefits: Mapping[str, Benefit]) -> dict[str, tuple[int, int]]:
    """The eligible optional benefits e gave points to: benefit -> (points, units wanted)."""
    return {
        name: (preference.points, preference.units)
        for name, preference in employee.preferences
        if preference.points > 0 and not benefits[name].core and employee.is_eligible(name)
    }


def participants(problem: Problem) -> set[str]:
    benefits = benefit_map(problem)
    return {employee.id for employee in problem.employees if wanted(employee, benefits)}


def allowed_units(
    employee: Employee,
    benefits: Mapping[str, Benefit],
    wishes: Mapping[str, tuple[int, int]] | None = None,
) -> dict[str, int]:
    """Most units of each optional benefit e may receive (absent: 0); `wishes`: e's
    `wanted`, when the caller has it."""
    if wishes is None:
        wishes = wanted(employee, benefits)
    limits = {name: units for name, (_, units) in wishes.items()}
    frontier = list(limits)
    while frontier:
        for needed in benefits[frontier.pop()].requires:
            if needed not in limits and not benefits[needed].core and employee.is_eligible(needed):
                limits[needed] = 1
                frontier.append(needed)
    return limits


def employer_cost(benefit: Benefit, line: Line) -> int:
    return benefit.cost * line.units - line.contribution


def budget_covers(budget: Budget, group: str, benefit_id: str) -> bool:
    """Whether employer cost of `benefit_id` given to a member of `group` counts against it."""
    return (budget.groups is None or group in budget.groups) and (
        budget.benefits is None or benefit_id in budget.benefits
    )


def exact_sum(values: Iterable[Fraction]) -> Fraction:
    """Σ values, exact: numerators added per denominator first (satisfactions share few
    denominators, so 100,000 of them cost one Fraction addition per distinct one)."""
    by_denominator: dict[int, int] = {}
    for value in values:
        by_denominator[value.denominator] = (
            by_denominator.get(value.denominator, 0) + value.numerator
        )
    return sum(
        (Fraction(numerator, denominator) for denominator, numerator in by_denominator.items()),
        Fraction(0),
    )


def group_tolerance(problem: Problem, group: str) -> tuple[Fraction, int]:
    """(relative tolerance, absolute allowance) of a peer group's equity band."""
    tolerance, absolute = problem.policy.equity_tolerance, problem.policy.equity_absolute
    for override in problem.peer_groups:
        if override.id == group:
            if override.equity_tolerance is not None:
                tolerance = override.equity_tolerance
            if override.equity_absolute is not None:
                absolute = override.equity_absolute
    return tolerance, absolute


@dataclass(frozen=True, slots=True)
class GroupBand:
    """A peer group's band: participants, mean of v/need, and the cap on v/need."""

    id: str
    participants: tuple[str, ...]
    mean: Fraction | None  # None: no participants
    cap: Fraction | None  # None: fewer than 2 participants, no band
    tolerance: Fraction
    absolute: int

    def cap_with(self, old_ratio: Fraction, new_ratio: Fraction) -> Fraction | None:
        """The cap after one participant's v/need moves from old to new (mean moves too)."""
        if self.cap is None or self.mean is None:
            return None
        count = len(self.participants)
        mean = self.mean + (new_ratio - old_ratio) / count
        return (1 + self.tolerance) * mean + self.absolute


@dataclass(frozen=True, slots=True)
class Figures:
    """The exact figures of one allocation, from one pass over its lines: what the report
    states, what the explanations test one more unit against and what the checker holds
    against the caps. Lines naming an unknown employee or benefit are left out (the checker
    reports those before it looks at any figure)."""

    lines: dict[str, dict[str, Line]]  # every employee: benefit -> line
    wishes: dict[str, dict[str, tuple[int, int]]]  # participants: `wanted`
    values: dict[str, int]  # v(e), every employee
    top_ups: dict[str, int]  # every employee's contributions
    scores: dict[str, Fraction]  # s(e), participants
    bands: dict[str, GroupBand]  # every peer group with employees, by id (sorted)
    highest_ratios: dict[str, Fraction]  # groups with participants: the highest v/need
    budgets_used: dict[str, int]  # employer cost counted against each budget, core included
    capacity_used: dict[str, int]  # units given of each capacity-limited benefit
    employer_total: int  # employer cost of every line, core included

    @classmethod
    def of(cls, problem: Problem, assignment: Assignment) -> Figures:
        benefits = benefit_map(problem)
        lines = _lines_by_employee(problem, benefits, assignment)
        wishes = {
            employee.id: wishes
            for employee in problem.employees
            if (wishes := wanted(employee, benefits))
        }
        money = _Money.of(problem, benefits, lines)
        bands, highest = _bands(problem, money.values, wishes)
        return cls(
            lines=lines,
            wishes=wishes,
            values=money.values,
            top_ups=money.top_ups,
            scores=_scores(wishes, lines),
            bands=bands,
            highest_ratios=highest,
            budgets_used=money.budgets_used,
            capacity_used=money.capacity_used,
            employer_total=money.employer_total,
        )


def _lines_by_employee(
    problem: Problem, benefits: Mapping[str, Benefit], assignment: Assignment
) -> dict[str, dict[str, Line]]:
    lines: dict[str, dict[str, Line]] = {employee.id: {} for employee in problem.employees}
    for (employee_id, benefit_id), line in assignment.items():
        held = lines.get(employee_id)
        if held is not None and benefit_id in benefits:
            held[benefit_id] = line
    return lines


@dataclass(frozen=True, slots=True)
class _Money:
    """Employer cost and contributions of every line, summed per employee, budget and
    capacity-limited benefit."""

    values: dict[str, int]
    top_ups: dict[str, int]
    budgets_used: dict[str, int]
    capacity_used: dict[str, int]
    employer_total: int

    @classmethod
    def of(
        cls,
        problem: Problem,
        benefits: Mapping[str, Benefit],
        lines: Mapping[str, Mapping[str, Line]],
    ) -> _Money:
        values: dict[str, int] = {}
        top_ups: dict[str, int] = {}
        budgets_used = {budget.id: 0 for budget in problem.budgets}
        capacity_used = {b.id: 0 for b in problem.benefits if b.capacity is not None}
        covering: dict[str, dict[str, tuple[str, ...]]] = {}  # group -> benefit -> budget ids
        employer_total = 0
        for employee in problem.employees:
            budgets_of = covering.setdefault(employee.group, {})
            value = paid = 0
            for benefit_id, line in lines[employee.id].items():
                benefit = benefits[benefit_id]
                cost = benefit.cost * line.units - line.contribution  # employer_cost
                paid += line.contribution
                employer_total += cost
                if not benefit.core:
                    value += cost
                if benefit.capacity is not None:
                    capacity_used[benefit_id] += line.units
                budget_ids = budgets_of.get(benefit_id)
                if budget_ids is None:
                    budget_ids = budgets_of[benefit_id] = tuple(
                        budget.id
                        for budget in problem.budgets
                        if budget_covers(budget, employee.group, benefit_id)
                    )
                for budget_id in budget_ids:
                    budgets_used[budget_id] += cost
            values[employee.id] = value
            top_ups[employee.id] = paid
        return cls(values, top_ups, budgets_used, capacity_used, employer_total)


def _scores(
    wishes: Mapping[str, Mapping[str, tuple[int, int]]], lines: Mapping[str, Mapping[str, Line]]
) -> dict[str, Fraction]:
    """s(e) for every participant: the share of their points honoured, units pro rata
    (one Fraction per distinct value: they repeat, and sorting them then compares
    identical objects)."""
    distinct: dict[tuple[int, int], Fraction] = {}
    scores: dict[str, Fraction] = {}
    for employee_id, wished in wishes.items():
        held = lines[employee_id]
        total, common = 0, 1
        for points, units in wished.values():
            total += points
            if units != 1:
                common = math.lcm(common, units)
        honoured = 0  # in 1/common points
        for name, (points, units) in wished.items():
            line = held.get(name)
            if line is not None:
                honoured += points * min(line.units, units) * (common // units)
        key = (honoured, common * total)
        score = distinct.get(key)
        if score is None:
            score = distinct[key] = Fraction(*key)
        scores[employee_id] = score
    return scores


def _bands(
    problem: Problem,
    values: Mapping[str, int],
    wishes: Mapping[str, object],
) -> tuple[dict[str, GroupBand], dict[str, Fraction]]:
    """Every peer group's band, by id (sorted), and each group's highest v/need."""
    members: dict[str, list[Employee]] = {}
    for employee in problem.employees:
        entries = members.setdefault(employee.group, [])
        if employee.id in wishes:
            entries.append(employee)
    bands: dict[str, GroupBand] = {}
    highest: dict[str, Fraction] = {}
    for group in sorted(members):
        tolerance, absolute = group_tolerance(problem, group)
        entries = members[group]
        mean = None
        if entries:
            mean, highest[group] = _ratio_figures(entries, values)
        cap = (1 + tolerance) * mean + absolute if mean is not None and len(entries) >= 2 else None
        bands[group] = GroupBand(
            id=group,
            participants=tuple(employee.id for employee in entries),
            mean=mean,
            cap=cap,
            tolerance=tolerance,
            absolute=absolute,
        )
    return bands, highest


def _ratio_figures(entries: list[Employee], values: Mapping[str, int]) -> tuple[Fraction, Fraction]:
    """(mean, highest) of v/need over `entries`, exact: v/need = v·q/p for need = p/q, so
    the sum gathers integers per p and the highest compares by cross-multiplying."""
    by_numerator: dict[int, int] = {}
    top: tuple[int, int] | None = None  # the highest v·q/p so far, as (v·q, p)
    for employee in entries:
        p, q = employee.need.numerator, employee.need.denominator
        scaled = values[employee.id] * q
        by_numerator[p] = by_numerator.get(p, 0) + scaled
        if top is None or scaled * top[1] > top[0] * p:
            top = (scaled, p)
    assert top is not None  # entries is not empty
    total = sum((Fraction(s, p) for p, s in by_numerator.items()), Fraction(0))
    return total / len(entries), Fraction(*top)


def satisfaction(problem: Problem, assignment: Assignment) -> dict[str, Fraction]:
    """s(e) for every participant (see `Figures`)."""
    return Figures.of(problem, assignment).scores


def objective(problem: Problem, assignment: Assignment) -> Fraction:
    """Σ s(e) over participants: the reported objective under both policies."""
    return exact_sum(satisfaction(problem, assignment).values())


def minimum_satisfaction(problem: Problem, assignment: Assignment) -> Fraction | None:
    values = satisfaction(problem, assignment).values()
    return min(values) if values else None


@dataclass(frozen=True, slots=True)
class FixedUse:
    """What lines outside an assignment already use (an event run's fixed lines).

    `budgets`: employer cost per budget id; `capacity`: units still holding a place per
    benefit id; `value_caps`: employee id -> most employer-funded optional value allowed
    (the equity band with the publication's frozen mean, replacing the group's own band).
    """

    budgets: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[str, int] = field(default_factory=dict)
    value_caps: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, problem: Problem, lines: Iterable[FixedLine]) -> FixedUse:
        budgets = {budget.id: 0 for budget in problem.budgets}
        capacity: dict[str, int] = {}
        for line in lines:
            for budget in problem.budgets:
                if budget_covers(budget, line.group, line.benefit):
                    budgets[budget.id] += line.employer_cost
            if line.holds_place:
                capacity[line.benefit] = capacity.get(line.benefit, 0) + line.units
        return cls(budgets=budgets, capacity=capacity)

    def budget_use(self, problem: Problem, assignment: Assignment) -> dict[str, int]:
        return self.budgets_with(Figures.of(problem, assignment).budgets_used)

    def budgets_with(self, used: Mapping[str, int]) -> dict[str, int]:
        """Budget use of an assignment (`Figures.budgets_used`) plus these lines'."""
        return {key: amount + self.budgets.get(key, 0) for key, amount in used.items()}

    def capacity_with(self, used: Mapping[str, int]) -> dict[str, int]:
        """Capacity use of an assignment (`Figures.capacity_used`) plus these lines'."""
        return {key: units + self.capacity.get(key, 0) for key, units in used.items()}


NO_FIXED_USE = FixedUse()


# ---------------------------------------------------------------- assignment checks


def check_assignment(
    problem: Problem, assignment: Assignment, *, fixed: FixedUse = NO_FIXED_USE
) -> list[Violation]:
    """Every rule the assignment breaks; empty when it is a valid allocation.

    `fixed`: use by lines outside the assignment, counted into budgets and capacities, and
    frozen value caps checked instead of the band for the employees they name.
    """
    return checked_figures(problem, assignment, fixed=fixed)[0]


def checked_figures(
    problem: Problem, assignment: Assignment, *, fixed: FixedUse = NO_FIXED_USE
) -> tuple[list[Violation], Figures | None]:
    """`check_assignment`, with the figures it computed (None: lines naming unknown ids)."""
    benefits = benefit_map(problem)
    employees = {employee.id: employee for employee in problem.employees}
    money = problem.currency
    found = _check_lines(assignment, employees, benefits, money)
    if any(violation.family == "unknown" for violation in found):
        return found, None
    figures = Figures.of(problem, assignment)
    for employee in problem.employees:
        wishes = figures.wishes.get(employee.id, {})
        found.extend(_check_employee(employee, figures.lines[employee.id], benefits, wishes, money))
    found.extend(_check_budgets(problem, fixed.budgets_with(figures.budgets_used)))
    found.extend(_check_capacity(problem, fixed.capacity_with(figures.capacity_used)))
    found.extend(_check_band(problem, figures, fixed))
    return found, figures


def _check_lines(
    assignment: Assignment,
    employees: Mapping[str, Employee],
    benefits: Mapping[str, Benefit],
    money: str,
) -> list[Violation]:
    """Each line on its own: known ids, units >= 1, a contribution within the line's cost."""
    plausible = all(
        employee_id in employees
        and benefit_id in benefits
        and line.units >= 1
        and 0 <= line.contribution <= benefits[benefit_id].cost * line.units
        for (employee_id, benefit_id), line in assignment.items()
    )
    if plausible:  # the common case; the ordered walk below words every issue
        return []
    found: list[Violation] = []
    for (employee_id, benefit_id), line in sorted(assignment.items()):
        key = f"{employee_id}/{benefit_id}"
        if employee_id not in employees or benefit_id not in benefits:
            found.append(Violation("unknown", key, f"line {key} names an unknown id"))
            continue
        found.extend(_check_line(key, benefits[benefit_id], line, money))
    return found


def _check_line(key: str, benefit: Benefit, line: Line, money: str) -> list[Violation]:
    found: list[Violation] = []
    if line.units <= 0:
        found.append(
            Violation(
                "units",
                key,
                f"{key} has {line.units} units; lines need at least 1",
                {"units": line.units},
            )
        )
    if not 0 <= line.contribution <= benefit.cost * max(line.units, 0):
        found.append(
            Violation(
                "contribution",
                key,
                f"{key}: the employee contribution {format_money(line.contribution, money)} "
                f"must be between 0 and the line's cost "
                f"{format_money(benefit.cost * max(line.units, 0), money)}",
                {"contribution": line.contribution, "cost": benefit.cost * line.units},
            )
        )
    return found


def _check_employee(
    employee: Employee,
    lines: dict[str, Line],
    benefits: Mapping[str, Benefit],
    wishes: Mapping[str, tuple[int, int]],
    money: str,
) -> list[Violation]:
    found: list[Violation] = []
    e = employee.id
    limits = allowed_units(employee, benefits, wishes)
    for benefit in benefits.values():
        line = lines.get(benefit.id)
        if benefit.core:
            found.extend(_check_core(employee, benefit, line))
        elif line is not None and line.units > limits.get(benefit.id, 0):
            key = f"{e}/{benefit.id}"
            limit = limits.get(benefit.id, 0)
            if not employee.is_eligible(benefit.id):
                why = f"{e} is not eligible for {benefit.id}"
            elif limit == 0:
                why = f"{e} neither wants {benefit.id} nor needs it for a wanted benefit"
            else:
                why = f"{e} may receive at most {limit} unit(s) of {benefit.id}"
            found.append(
                Violation(
                    "units",
                    key,
                    f"{why}; got {line.units}",
                    {"units": line.units, "allowed": limit},
                )
            )
    found.extend(_check_prerequisites(employee, lines, benefits, wishes, money))
    for benefit_id, line in sorted(lines.items()):
        for needed in benefits[benefit_id].requires:
            if needed not in lines:
                found.append(
                    Violation(
                        "requires",
                        f"{e}/{benefit_id}",
                        f"{e} received {benefit_id}, which requires {needed}, without {needed}",
                        {"units": line.units},
                    )
                )
    found.extend(_check_exclusive(e, lines, benefits))
    contributions = sum(line.contribution for line in lines.values())
    if contributions > employee.top_up_limit:
        found.append(
            Violation(
                "top_up",
                e,
                f"{e} contributes {format_money(contributions, money)}, above the top-up limit "
                f"of {format_money(employee.top_up_limit, money)}",
                {"contributions": contributions, "limit": employee.top_up_limit},
            )
        )
    if employee.allowance is not None:
        value = sum(
            employer_cost(benefits[b], line) for b, line in lines.items() if not benefits[b].core
        )
        if value > employee.allowance:
            found.append(
                Violation(
                    "allowance",
                    e,
                    f"{e}'s optional benefits cost the employer {format_money(value, money)}, "
                    f"above the allowance of {format_money(employee.allowance, money)}",
                    {"value": value, "allowance": employee.allowance},
                )
            )
    return found


def _check_prerequisites(
    employee: Employee,
    lines: Mapping[str, Line],
    benefits: Mapping[str, Benefit],
    wishes: Mapping[str, tuple[int, int]],
    money: str,
) -> list[Violation]:
    """A benefit e gave no points to only as a prerequisite: while e receives a benefit
    that requires it (DESIGN.md "Meaning"); its unit limit is checked with the others."""
    found: list[Violation] = []
    for benefit_id, line in sorted(lines.items()):
        benefit = benefits[benefit_id]
        if benefit.core or benefit_id in wishes or line.units <= 0:
            continue  # a core line, a wish, or a bad line (reported as such)
        if not employee.is_eligible(benefit_id):
            continue  # reported as a `units` violation
        dependents = [
            other
            for other, held in lines.items()
            if held.units > 0 and benefit_id in benefits[other].requires
        ]
        if dependents:
            continue
        cost = employer_cost(benefit, line)
        found.append(
            Violation(
                "prerequisite",
                f"{employee.id}/{benefit_id}",
                f"{employee.id} received {line.units} unit(s) of {benefit_id} "
                f"({format_money(cost, money)} of employer money) without asking for it "
                f"and without a benefit that requires it",
                {"units": line.units, "employer_cost": cost, "points": 0},
            )
        )
    return found


def _check_core(employee: Employee, benefit: Benefit, line: Line | None) -> list[Violation]:
    key = f"{employee.id}/{benefit.id}"
    if employee.is_eligible(benefit.id):
        if line is None or line.units != 1 or line.contribution != 0:
            got = "nothing" if line is None else f"{line.units} unit(s), {line.contribution} paid"
            return [
                Violation(
                    "core",
                    key,
                    f"core benefit {benefit.id} must be given to {employee.id} as exactly 1 unit "
                    f"paid by the employer; got {got}",
                    {"units": 0 if line is None else line.units},
                )
            ]
    elif line is not None:
        return [
            Violation(
                "core",
                key,
                f"{employee.id} is not eligible for core benefit {benefit.id} but received it",
                {"units": line.units},
            )
        ]
    return []


def _check_exclusive(
    employee_id: str, lines: Mapping[str, Line], benefits: Mapping[str, Benefit]
) -> list[Violation]:
    by_group: dict[str, list[str]] = {}
    for benefit_id in sorted(lines):
        group = benefits[benefit_id].exclusive_group
        if group is not None:
            by_group.setdefault(group, []).append(benefit_id)
    return [
        Violation(
            "exclusive",
            f"{employee_id}/{group}",
            f"{employee_id} received {', '.join(names)} from exclusive group {group}; "
            f"at most one is allowed",
            {"count": len(names)},
        )
        for group, names in sorted(by_group.items())
        if len(names) > 1
    ]


def _check_budgets(problem: Problem, used: Mapping[str, int]) -> list[Violation]:
    return [
        Violation(
            "budget",
            budget.id,
            f"budget {budget.id} is used for {format_money(used[budget.id], problem.currency)}, "
            f"above its cap of {format_money(budget.cap, problem.currency)}",
            {"used": used[budget.id], "cap": budget.cap},
        )
        for budget in problem.budgets
        if used[budget.id] > budget.cap
    ]


def _check_capacity(problem: Problem, used: Mapping[str, int]) -> list[Violation]:
    return [
        Violation(
            "capacity",
            benefit.id,
            f"{used[benefit.id]} units of {benefit.id} were given; it has {benefit.capacity}",
            {"used": used[benefit.id], "capacity": benefit.capacity},
        )
        for benefit in problem.benefits
        if benefit.capacity is not None and used[benefit.id] > benefit.capacity
    ]


def _check_band(problem: Problem, figures: Figures, fixed: FixedUse) -> list[Violation]:
    values = figures.values
    employees = {employee.id: employee for employee in problem.employees}
    found: list[Violation] = [
        Violation(
            "equity_band",
            f"{employees[employee_id].group}/{employee_id}",
            f"{employee_id}'s employer-funded value "
            f"{format_money(values[employee_id], problem.currency)} is above the cap "
            f"{format_money(cap, problem.currency)} the publication's frozen group mean allows",
            {"value": values[employee_id], "cap": cap},
        )
        for employee_id, cap in sorted(fixed.value_caps.items())
        if employee_id in values and values[employee_id] > cap
    ]
    for band in figures.bands.values():
        if band.cap is None:
            continue
        for employee_id in band.participants:
            if employee_id in fixed.value_caps:
                continue
            ratio = values[employee_id] / employees[employee_id].need
            if ratio > band.cap:
                found.append(
                    Violation(
                        "equity_band",
                        f"{band.id}/{employee_id}",
                        f"{employee_id}'s value per need {float(ratio):.2f} is above the cap "
                        f"{float(band.cap):.2f} of group {band.id} "
                        f"(mean {float(band.mean or 0):.2f}, "
                        f"tolerance {band.tolerance}, absolute {band.absolute})",
                        {"ratio": ratio, "cap": band.cap},
                    )
                )
    return found


# ---------------------------------------------------------------- result documents


def assignment_from_result(
    problem: Problem, result_doc: Mapping[str, Any]
) -> tuple[Assignment, list[Violation]]:
    """The lines of a result document as an assignment, with row-level violations."""
    benefits = benefit_map(problem)
    assignment: Assignment = {}
    found: list[Violation] = []
    rows = result_doc.get("allocations")
    if not isinstance(rows, list):
        return assignment, [Violation("document", "allocations", "allocations must be a list")]
    previous: tuple[str, str] | None = None
    for index, row in enumerate(rows):
        parsed = _row(row)
        if parsed is None:
            found.append(
                Violation(
                    "document",
                    f"allocations[{index}]",
                    "a line needs employee, benefit (strings) and integer units, "
                    "employer_cost, employee_cost",
                )
            )
            continue
        employee_id, benefit_id, units, paid_by_employer, paid_by_employee = parsed
        key = (employee_id, benefit_id)
        if key in assignment:
            found.append(Violation("document", f"{employee_id}/{benefit_id}", "duplicate line"))
            continue
        if previous is not None and key < previous:
            found.append(
                Violation(
                    "document",
                    f"{employee_id}/{benefit_id}",
                    "lines must be sorted by (employee, benefit)",
                )
            )
        previous = key
        benefit = benefits.get(benefit_id)
        if benefit is not None and paid_by_employer + paid_by_employee != benefit.cost * units:
            found.append(
                Violation(
                    "document",
                    f"{employee_id}/{benefit_id}",
                    f"employer_cost {paid_by_employer} + employee_cost {paid_by_employee} "
                    f"must equal cost x units = {benefit.cost * units}",
                )
            )
        assignment[key] = Line(units=units, contribution=paid_by_employee)
    return assignment, found


def _row(row: Any) -> tuple[str, str, int, int, int] | None:
    if not isinstance(row, Mapping):
        return None
    employee_id, benefit_id = row.get("employee"), row.get("benefit")
    numbers = [row.get(name) for name in ("units", "employer_cost", "employee_cost")]
    if not isinstance(employee_id, str) or not isinstance(benefit_id, str):
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return None
    units, paid_by_employer, paid_by_employee = (int(n) for n in numbers)  # type: ignore[arg-type]
    return employee_id, benefit_id, units, paid_by_employer, paid_by_employee


def core_only(problem: Problem) -> Assignment:
    """Core benefits to every eligible employee and nothing else: valid unless infeasible."""
    return {
        (employee.id, benefit.id): Line(1)
        for employee in problem.employees
        for benefit in problem.benefits
        if benefit.core and employee.is_eligible(benefit.id)
    }


def check_result(problem: Problem, result_doc: Mapping[str, Any]) -> list[Violation]:
    """Every rule a result document breaks and every stated figure that does not recompute."""
    if result_doc.get("format") != RESULT_FORMAT:
        return [Violation("document", "format", f"format must be {RESULT_FORMAT!r}")]
    status = result_doc.get("status")
    if status in ("infeasible", "error"):
        if result_doc.get("allocations"):
            return [Violation("document", "status", f"a {status} result carries no allocations")]
        if status == "infeasible" and not check_assignment(problem, core_only(problem)):
            return [
                Violation(
                    "status",
                    "infeasible",
                    "the result claims infeasibility but giving only the core benefits is valid",
                )
            ]
        return []
    if status not in ("optimal", "feasible"):
        return [Violation("document", "status", f"unknown status {status!r}")]
    assignment, found = assignment_from_result(problem, result_doc)
    if found:
        return found
    found = check_assignment(problem, assignment)
    if found:
        return found
    figures = Figures.of(problem, assignment)
    found.extend(_compare_employees(problem, figures, result_doc.get("employees")))
    found.extend(_compare_summary(problem, figures, result_doc))
    return found


def _close(stated: Any, exact: Fraction | int | None) -> bool:
    if exact is None or stated is None:
        return exact is None and stated is None
    if isinstance(stated, bool) or not isinstance(stated, int | float):
        return False
    return math.isclose(
        float(stated), float(exact), rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE
    )


def _mismatch(family: str, key: str, name: str, stated: Any, exact: Number) -> Violation:
    shown = float(exact) if isinstance(exact, Fraction) else exact
    return Violation(
        family,
        key,
        f"{key}: stated {name} {stated!r} but it recomputes to {shown!r}",
        {"stated": stated if isinstance(stated, int | float | str) else None, "exact": exact},
    )


def _compare_employees(problem: Problem, figures: Figures, rows: Any) -> list[Violation]:
    if not isinstance(rows, list) or not all(isinstance(row, Mapping) for row in rows):
        return [Violation("document", "employees", "employees must be a list of objects")]
    stated = {row.get("id"): row for row in rows}
    expected_ids = [employee.id for employee in problem.employees]
    if [row.get("id") for row in rows] != expected_ids:
        return [
            Violation(
                "document",
                "employees",
                "employees must list every employee of the problem once, by id",
            )
        ]
    scores, values, paid = figures.scores, figures.values, figures.top_ups
    found: list[Violation] = []
    for employee_id in expected_ids:
        row = stated[employee_id]
        if not _close(row.get("satisfaction"), scores.get(employee_id)):
            found.append(
                _mismatch(
                    "satisfaction",
                    employee_id,
                    "satisfaction",
                    row.get("satisfaction"),
                    scores.get(employee_id),
                )
            )
        if row.get("value") != values[employee_id]:
            found.append(
                _mismatch("value", employee_id, "value", row.get("value"), values[employee_id])
            )
        if row.get("top_up") != paid[employee_id]:
            found.append(
                _mismatch("top_up", employee_id, "top_up", row.get("top_up"), paid[employee_id])
            )
    return found


def _compare_summary(problem: Problem, figures: Figures, doc: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    total = exact_sum(figures.scores.values())
    if not _close(doc.get("objective"), total):
        found.append(_mismatch("objective", "objective", "objective", doc.get("objective"), total))
    bound = doc.get("bound")
    if isinstance(bound, int | float) and float(bound) < float(total) - FLOAT_TOLERANCE * max(
        1.0, float(total)
    ):
        found.append(
            Violation("bound", "bound", f"bound {bound} is below the objective {float(total)}")
        )
    found.extend(_compare_groups(figures, doc.get("groups")))
    found.extend(_compare_budgets(problem, figures, doc.get("budgets")))
    found.extend(_compare_capacity(problem, figures, doc.get("capacity")))
    found.extend(_compare_kpis(problem, figures, doc.get("kpis")))
    return found


def group_figures(figures: Figures, band: GroupBand) -> tuple[int | None, Fraction | None]:
    """(mean_value rounded to minor units, max ratio of v/need to the mean) of a group."""
    if band.mean is None:
        return None, None
    if band.mean == 0:
        return 0, None
    return round(band.mean), figures.highest_ratios[band.id] / band.mean


def _compare_groups(figures: Figures, rows: Any) -> list[Violation]:
    bands = figures.bands
    if not isinstance(rows, list) or [
        row.get("id") if isinstance(row, Mapping) else None for row in rows
    ] != list(bands):
        return [Violation("document", "groups", "groups must list every peer group once, by id")]
    found: list[Violation] = []
    for row in rows:
        band = bands[row["id"]]
        mean_value, max_ratio = group_figures(figures, band)
        if row.get("participants") != len(band.participants):
            found.append(
                _mismatch(
                    "group",
                    band.id,
                    "participants",
                    row.get("participants"),
                    len(band.participants),
                )
            )
        if row.get("mean_value") != mean_value:
            found.append(
                _mismatch("group", band.id, "mean_value", row.get("mean_value"), mean_value)
            )
        if not _close(row.get("max_ratio"), max_ratio):
            found.append(_mismatch("group", band.id, "max_ratio", row.get("max_ratio"), max_ratio))
    return found


def _compare_budgets(problem: Problem, figures: Figures, rows: Any) -> list[Violation]:
    used = figures.budgets_used
    expected = [{"id": b.id, "cap": b.cap, "used": used[b.id]} for b in problem.budgets]
    return _compare_rows("budget", "budgets", rows, expected)


def _compare_capacity(problem: Problem, figures: Figures, rows: Any) -> list[Violation]:
    used = figures.capacity_used
    expected = [
        {"benefit": b.id, "capacity": b.capacity, "used": used[b.id]}
        for b in problem.benefits
        if b.capacity is not None
    ]
    return _compare_rows("capacity_use", "capacity", rows, expected)


def _compare_rows(
    family: str, name: str, rows: Any, expected: Iterable[Mapping[str, Any]]
) -> list[Violation]:
    wanted_rows = list(expected)
    if not isinstance(rows, list) or len(rows) != len(wanted_rows):
        return [Violation("document", name, f"{name} must list {len(wanted_rows)} rows")]
    found: list[Violation] = []
    for row, exact in zip(rows, wanted_rows, strict=True):
        if not isinstance(row, Mapping):
            found.append(Violation("document", name, f"{name} rows must be objects"))
            continue
        key = str(next(iter(exact.values())))
        for field_name, value in exact.items():
            if row.get(field_name) != value:
                found.append(_mismatch(family, key, field_name, row.get(field_name), value))
    return found


def _compare_kpis(problem: Problem, figures: Figures, kpis: Any) -> list[Violation]:
    """The KPIs that follow directly from the lines (the rest depend on explanations)."""
    if not isinstance(kpis, Mapping):
        return [Violation("document", "kpis", "kpis must be an object")]
    scores = figures.scores.values()
    exact: dict[str, Fraction | int | None] = {
        "employees": len(problem.employees),
        "participants": len(scores),
        "min_satisfaction": min(scores) if scores else None,
        "mean_satisfaction": exact_sum(scores) / len(scores) if scores else None,
        "total_employer_cost": figures.employer_total,
        "total_employee_cost": sum(figures.top_ups.values()),
    }
    found: list[Violation] = []
    for name, value in exact.items():
        stated = kpis.get(name)
        same = stated == value if isinstance(value, int) else _close(stated, value)
        if not same:
            found.append(_mismatch("kpi", name, name, stated, value))
    return found
