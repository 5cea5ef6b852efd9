"""Why an employee did not receive a benefit they asked for.

For every benefit an employee gave points to and did not fully receive, we test ONE MORE
UNIT of it against every rule with the rest of the allocation fixed, and name each rule it
would break (DESIGN.md "Explanations"):

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
that share. Texts are plain words with the numbers, and only the employee's own data plus
aggregates: peer-group figures (mean, cap) only when the group has at least
`PEER_FIGURES_MIN` participants, never another person's data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from solver.types import Assignment, Benefit, Employee, Line, Problem
from solver.validate import (
    GroupBand,
    benefit_map,
    budget_use,
    capacity_use,
    employer_values,
    format_money,
    group_bands,
    participants,
    top_ups,
)

PEER_FIGURES_MIN = 5


@dataclass(frozen=True, slots=True)
class Explanation:
    benefit: str
    reasons: tuple[str, ...]
    text: str
    # Numbers behind the text where a wish lacks prerequisites: each missing prerequisite's
    # cost, the package's cost and its employer share (absent otherwise).
    figures: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "benefit": self.benefit,
            "reasons": list(self.reasons),
            "text": self.text,
        }
        if self.figures:
            shown["figures"] = self.figures
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
    participants: set[str]
    # group -> (mean, 1 + tolerance, participants) as floats for the fast band test
    band_floats: dict[str, tuple[float, float, int]]


def explain(problem: Problem, assignment: Assignment) -> dict[str, tuple[Explanation, ...]]:
    """Explanations by employee id (every employee present, possibly with none)."""
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
        budgets_used=budget_use(problem, assignment),
        capacity_used=capacity_use(problem, assignment),
        bands=bands,
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
        figures: dict[str, object] = {}
        if not eligible:
            reasons = [("not_eligible", f"You are not eligible for {benefit_id}.")]
        else:
            reasons, figures = _blocking_rules(context, employee, benefit)
            if not reasons:
                reasons = [
                    (
                        "not_selected",
                        f"No rule prevented one more unit of {benefit_id}; the allocation "
                        f"favoured other choices (within the solver's optimality gap or to "
                        f"raise the lowest satisfaction).",
                    )
                ]
        prefix = ""
        if received > 0:
            prefix = (
                f"You received {received} of the {preference.units} units of "
                f"{benefit_id} you asked for. "
            )
        found.append(
            Explanation(
                benefit=benefit_id,
                reasons=tuple(code for code, _ in reasons),
                text=prefix + " ".join(text for _, text in reasons),
                figures=figures,
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
) -> tuple[list[tuple[str, str]], dict[str, object]]:
    """(reason code, sentence) for each rule one more unit of `benefit` would break, with the
    prerequisites it lacks added alongside (a prerequisite comes with the wish that needs
    it); and the figures of those prerequisites (empty when none is missing)."""
    money = context.problem.currency
    package = _package(context, employee, benefit)
    found = _prerequisite_blocks(context, employee, benefit)
    share = package.share
    value = context.values[employee.id]
    if employee.allowance is not None and value + share > employee.allowance:
        left = max(employee.allowance - value, 0)
        found.append(
            (
                "allowance",
                f"Your allowance of {format_money(employee.allowance, money)} had "
                f"{format_money(left, money)} left; {_package_words(package, money)}.",
            )
        )
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
        inside = sum(covered)
        used = context.budgets_used[budget.id]
        if used + inside > budget.cap:
            found.append(
                (
                    f"budget:{budget.id}",
                    f"The {budget.id} budget of {format_money(budget.cap, money)} had "
                    f"{format_money(max(budget.cap - used, 0), money)} left; "
                    f"{_package_words(package, money)}.",
                )
            )
    if benefit.capacity is not None and context.capacity_used[benefit.id] + 1 > benefit.capacity:
        found.append(
            (
                "capacity",
                f"{benefit.id} had {benefit.capacity} "
                f"{'place' if benefit.capacity == 1 else 'places'} and all were allocated.",
            )
        )
    found.extend(_exclusive(context, employee, benefit))
    band_text = _equity_band(context, employee, share)
    if band_text is not None:
        found.append(("equity_band", f"One more unit of {benefit.id} {band_text}"))
    figures: dict[str, object] = {}
    if package.prerequisites:
        figures = {
            "prerequisites": [{"benefit": p.id, "cost": p.cost} for p in package.prerequisites],
            "package_cost": package.cost,
            "employer_share": share,
        }
    return found, figures


def _prerequisite_blocks(
    context: _Context, employee: Employee, benefit: Benefit
) -> list[tuple[str, str]]:
    """`requires:<p>` for each missing prerequisite p that cannot come along: e is not
    eligible for it, its places are all taken, or e received an alternative to it."""
    found: list[tuple[str, str]] = []
    for name in missing_prerequisites(context, employee, benefit):
        needed = context.benefits[name]
        why = None
        if not employee.is_eligible(name) or needed.core:
            why = "which you are not eligible for"
        elif needed.capacity is not None and context.capacity_used[name] + 1 > needed.capacity:
            places = "place" if needed.capacity == 1 else "places"
            why = f"and {name} had {needed.capacity} {places}, all allocated"
        else:
            rivals = [code.split(":", 1)[1] for code, _ in _exclusive(context, employee, needed)]
            if rivals:
                why = (
                    f"and {name} is an alternative to {', '.join(rivals)} "
                    f"(group {needed.exclusive_group}), which you received"
                )
        if why is not None:
            found.append((f"requires:{name}", f"{benefit.id} requires {name}, {why}."))
    return found


def _package_words(package: _Package, money: str) -> str:
    words = f"{package.benefit.id} costs {format_money(package.benefit.cost, money)}"
    if package.prerequisites:
        needed = ", ".join(f"{p.id} ({format_money(p.cost, money)})" for p in package.prerequisites)
        words += (
            f" and requires {needed}, which you did not receive: "
            f"{format_money(package.cost, money)} together"
        )
    if package.co_funded:
        words += (
            f" (the employer's share is {format_money(package.share, money)} after "
            f"{format_money(package.co_funded, money)} from your top-up room)"
        )
    return words


def _exclusive(context: _Context, employee: Employee, benefit: Benefit) -> list[tuple[str, str]]:
    if benefit.exclusive_group is None:
        return []
    return [
        (
            f"exclusive:{other}",
            f"{benefit.id} and {other} are alternatives (group {benefit.exclusive_group}) "
            f"and you received {other}.",
        )
        for other in sorted(context.lines[employee.id])
        if other != benefit.id
        and context.benefits[other].exclusive_group == benefit.exclusive_group
    ]


def _equity_band(context: _Context, employee: Employee, share: int) -> str | None:
    """The band sentence when the extra employer share would put e above the new cap.

    Decided in floats when clearly on one side (speed: this runs for every unmet wish),
    exactly with Fractions within a relative 1e-9 of the boundary.
    """
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
    if count < PEER_FIGURES_MIN:
        return (
            "would put your benefits above the fairness limit relative to your peer group "
            "(figures are shown only for groups of at least "
            f"{PEER_FIGURES_MIN} participants)."
        )
    money = context.problem.currency
    weighted = "" if need == 1 else " per need unit"
    tolerance = float(band.tolerance * 100)
    return (
        f"would bring your employer-funded benefits to "
        f"{format_money(round(new_ratio_f), money)}{weighted}, above your peer group's "
        f"fairness limit of {format_money(math.floor(new_cap_f + 1e-9), money)}: the group "
        f"average with this unit, {format_money(round(new_mean_f), money)}, plus "
        f"{tolerance:g}% plus {format_money(band.absolute, money)}."
    )
