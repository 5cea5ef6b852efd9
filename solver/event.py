"""Re-allocate one employee after publication (a life event), every other line held fixed.

DESIGN.md "After publication": an event run changes one person from an effective date; the
other lines of the publication being amended stay exactly as they are. So the event is a
one-employee problem over the rest of the period (the *segment*, `days` of `period_days`):

- money for the segment: a benefit's unit price is its annual cost × days ÷ period days,
  rounded down once (`prorate`); a line costs units × that price minus the employee's
  contribution. The allowance is pro-rated the same way. `segment_line` is the one home of
  that rule (the app prices the part of a line before the date with it too);
- shared budgets and capacities count the fixed lines: everyone else's, and the employee's
  own lines before the date (`FixedLine`, with their amounts as already priced);
- the equity band uses the peer group's figures of the publication amended (`FrozenGroup`,
  mean frozen): the employee's segment value per need may not exceed the segment's share of
  (1 + tolerance) × frozen mean + absolute. Nobody else's line depends on the new one;
- when only some benefits may change (`changeable`, a family event's categories), the
  employee's other lines are *held* from the date with the same units, together with every
  benefit a held line requires.

`reallocate(problem, request, options)` solves with the ordinary pipeline (so every rule of
DESIGN.md "Meaning", the prerequisite rule included, is the engine's), then checks the whole
outcome with `solver.validate.check_event` against the original problem and explains it with
`solver.explain.explain` counting the fixed use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from solver.api import solve_problem
from solver.explain import explain
from solver.explain_text import document_explanation
from solver.types import (
    RESULT_FORMAT,
    Assignment,
    Benefit,
    Budget,
    Employee,
    FixedLine,
    Line,
    Problem,
    SolveOptions,
)
from solver.validate import (
    FixedUse,
    Violation,
    benefit_map,
    check_assignment,
    group_tolerance,
    satisfaction,
    wanted,
)


def prorate(amount: int, days: int, period_days: int) -> int:
    """`amount` × `days` ÷ `period_days`, rounded down once (0 ≤ days ≤ period_days)."""
    if period_days <= 0 or not 0 <= days <= period_days:
        raise ValueError(f"days must be within 0..{period_days}; got {days}")
    return amount * days // period_days


def segment_line(unit_cost: int, line: Line, days: int, period_days: int) -> tuple[int, int]:
    """(employer cost, employee cost) of an annual line over `days` of the period."""
    price = prorate(unit_cost, days, period_days) * line.units
    paid = min(prorate(line.contribution, days, period_days), price)
    return price - paid, paid


@dataclass(frozen=True, slots=True)
class FrozenGroup:
    """A peer group's band figures in the publication being amended."""

    participants: int
    mean: Fraction  # mean of v/need over those participants (annual amounts)
    includes_employee: bool = False  # the employee was one of them


@dataclass(frozen=True, slots=True)
class EventRequest:
    """One employee of `problem` (group, allowance and preferences as from the date)."""

    employee: str
    days: int  # days of the segment, the date included
    period_days: int
    fixed: tuple[FixedLine, ...] = ()
    frozen: FrozenGroup | None = None  # the employee's group (the new one for a transfer)
    previous: Mapping[str, Line] = field(default_factory=dict)  # their annual lines before
    changeable: frozenset[str] | None = None  # None: every benefit may change


@dataclass(frozen=True, slots=True)
class EventWorld:
    """The one-employee problem of the segment, and what the rest of the world uses."""

    problem: Problem  # the employee alone, segment prices, the original caps
    fixed_use: FixedUse
    held: Assignment  # (employee, benefit) -> segment line kept unchanged


def event_world(problem: Problem, request: EventRequest) -> EventWorld:
    """The segment problem, the fixed use of budgets/capacities/band and the held lines."""
    employees = {employee.id: employee for employee in problem.employees}
    if request.employee not in employees:
        raise ValueError(f"employee {request.employee} is not in the problem")
    person = employees[request.employee]
    days, period = request.days, request.period_days
    benefits = tuple(replace(b, cost=prorate(b.cost, days, period)) for b in problem.benefits)
    annual = benefit_map(problem)
    held_ids = _held(annual, request)
    held: Assignment = {}
    for benefit_id in held_ids:
        line = request.previous[benefit_id]
        price = prorate(annual[benefit_id].cost, days, period) * line.units
        held[(person.id, benefit_id)] = Line(
            line.units, min(prorate(line.contribution, days, period), price)
        )
    allowance = None if person.allowance is None else prorate(person.allowance, days, period)
    segment = replace(
        problem,
        benefits=benefits,
        employees=(replace(person, allowance=allowance),),
        peer_groups=tuple(g for g in problem.peer_groups if g.id == person.group),
    )
    fixed_use = FixedUse.of(problem, request.fixed)
    cap = _band_cap(problem, person, request)
    if cap is not None:
        fixed_use = replace(fixed_use, value_caps={person.id: cap})
    return EventWorld(problem=segment, fixed_use=fixed_use, held=held)


def _held(benefits: Mapping[str, Benefit], request: EventRequest) -> set[str]:
    """Previous lines that stay: those not changeable, and what they require (closure)."""
    if request.changeable is None:
        return set()
    held = {b for b in request.previous if b not in request.changeable}
    frontier = list(held)
    while frontier:
        for needed in benefits[frontier.pop()].requires:
            if needed in request.previous and needed not in held:
                held.add(needed)
                frontier.append(needed)
    return held


def _band_cap(problem: Problem, person: Employee, request: EventRequest) -> int | None:
    """The most employer-funded segment value the frozen band allows (None: no band)."""
    frozen = request.frozen
    if frozen is None or not wanted(person, benefit_map(problem)):
        return None
    others = frozen.participants - (1 if frozen.includes_employee else 0)
    if others < 1:
        return None
    tolerance, absolute = group_tolerance(problem, person.group)
    limit = person.need * ((1 + tolerance) * frozen.mean + absolute)
    return math.floor(limit * request.days / request.period_days)


def solvable(world: EventWorld, request: EventRequest) -> Problem:
    """The segment problem the engine solves: held lines taken out, every cap residual."""
    segment = world.problem
    person = segment.employees[0]
    benefits = benefit_map(segment)
    held = {b: line for (_, b), line in world.held.items()}
    held_cost = {b: benefits[b].cost * line.units - line.contribution for b, line in held.items()}
    held_groups = {benefits[b].exclusive_group for b in held} - {None}
    names = {
        b.id
        for b in segment.benefits
        if b.id not in held and (request.changeable is None or b.id in request.changeable)
    }
    free: list[Benefit] = []
    eligible: set[str] = set()
    for benefit in segment.benefits:
        if benefit.id not in names:
            continue
        needs = tuple(n for n in benefit.requires if n not in held)
        blocked = benefit.exclusive_group in held_groups or any(n not in names for n in needs)
        needs = tuple(n for n in needs if n in names)
        places = world.fixed_use.capacity.get(benefit.id, 0)
        free.append(
            replace(
                benefit,
                requires=needs,
                capacity=None if benefit.capacity is None else max(benefit.capacity - places, 0),
            )
        )
        if person.is_eligible(benefit.id) and not blocked:
            eligible.add(benefit.id)
    held_value = sum(cost for b, cost in held_cost.items() if not benefits[b].core)
    caps = [
        c for c in (person.allowance, world.fixed_use.value_caps.get(person.id)) if c is not None
    ]
    budgets = tuple(
        Budget(
            id=budget.id,
            cap=max(
                budget.cap
                - world.fixed_use.budgets.get(budget.id, 0)
                - sum(c for b, c in held_cost.items() if _covers(budget, person.group, b)),
                0,
            ),
            groups=budget.groups,
            benefits=None
            if budget.benefits is None
            else tuple(b for b in budget.benefits if b in names),
        )
        for budget in segment.budgets
    )
    alone = replace(
        person,
        allowance=max(min(caps) - held_value, 0) if caps else None,
        top_up_limit=max(person.top_up_limit - sum(line.contribution for line in held.values()), 0),
        eligible=frozenset(eligible),
        preferences=tuple((b, p) for b, p in person.preferences if b in names),
    )
    return replace(segment, benefits=tuple(free), budgets=budgets, employees=(alone,))


def _covers(budget: Budget, group: str, benefit_id: str) -> bool:
    return (budget.groups is None or group in budget.groups) and (
        budget.benefits is None or benefit_id in budget.benefits
    )


# Limits the held lines alone can exceed (their own shape was valid when published).
_SHARED_LIMITS = frozenset({"allowance", "budget", "capacity", "equity_band", "top_up"})


def reallocate(
    problem: Problem, request: EventRequest, options: SolveOptions | None = None
) -> dict[str, Any]:
    """The employee's lines from the date, checked against the whole and explained.

    A `flexben.allocation/v1` document for the one employee: its `allocations` are the
    segment lines (held and new) with their segment amounts, `budgets` count the fixed use,
    `violations` are the checker's (empty, else the status is `error` with no lines).
    """
    world = event_world(problem, request)
    person = request.employee
    over = [
        v for v in check_event(problem, request, dict(world.held)) if v.family in _SHARED_LIMITS
    ]
    if over:  # the lines the event may not change already leave no room
        return {
            "format": RESULT_FORMAT,
            "status": "infeasible",
            "employee": person,
            "allocations": [],
            "infeasibility": [v.as_dict() for v in over],
            "violations": [],
        }
    solved = solve_problem(solvable(world, request), options, reproducible=True)
    if solved["status"] not in ("optimal", "feasible"):
        return solved
    lines: Assignment = dict(world.held)
    for row in solved["allocations"]:
        lines[(row["employee"], row["benefit"])] = Line(row["units"], row["employee_cost"])
    violations = check_event(problem, request, lines)
    if violations:
        return {
            **solved,
            "status": "error",
            "allocations": [],
            "violations": [violation.as_dict() for violation in violations],
        }
    return _document(world, request, lines, solved) | {"employee": person}


def check_event(problem: Problem, request: EventRequest, lines: Assignment) -> list[Violation]:
    """Every rule the employee's segment lines break, the world's fixed use counted in."""
    world = event_world(problem, request)
    found = check_assignment(world.problem, lines, fixed=world.fixed_use)
    for key, line in sorted(world.held.items()):
        if lines.get(key) != line:
            found.append(
                Violation(
                    "held",
                    f"{key[0]}/{key[1]}",
                    f"{key[0]}'s line of {key[1]} may not change with this event; "
                    f"it must stay {line.units} unit(s)",
                    {"units": line.units},
                )
            )
    if request.changeable is not None:
        for employee_id, benefit_id in sorted(lines):
            if (employee_id, benefit_id) not in world.held and benefit_id not in request.changeable:
                found.append(
                    Violation(
                        "changeable",
                        f"{employee_id}/{benefit_id}",
                        f"{benefit_id} may not change with this event",
                        {},
                    )
                )
    return found


def _document(
    world: EventWorld, request: EventRequest, lines: Assignment, solved: dict[str, Any]
) -> dict[str, Any]:
    segment = world.problem
    benefits = benefit_map(segment)
    person = segment.employees[0]
    explanations = explain(segment, lines, fixed=world.fixed_use)[person.id]
    if request.changeable is not None:
        explanations = tuple(e for e in explanations if e.benefit in request.changeable)
    rows = []
    value = 0
    for (employee_id, benefit_id), line in sorted(lines.items()):
        employer = benefits[benefit_id].cost * line.units - line.contribution
        if not benefits[benefit_id].core:
            value += employer
        rows.append(
            {
                "employee": employee_id,
                "benefit": benefit_id,
                "units": line.units,
                "employer_cost": employer,
                "employee_cost": line.contribution,
                "held": (employee_id, benefit_id) in world.held,
            }
        )
    score = satisfaction(segment, lines).get(person.id)
    used = world.fixed_use.budget_use(segment, lines)
    return {
        "format": RESULT_FORMAT,
        "status": solved["status"],
        "objective": solved["objective"],
        "bound": solved["bound"],
        "gap": solved["gap"],
        "solver": solved["solver"],
        "days": request.days,
        "period_days": request.period_days,
        "allocations": rows,
        "employees": [
            {
                "id": person.id,
                "satisfaction": None if score is None else round(float(score), 6),
                "value": value,
                "top_up": sum(line.contribution for line in lines.values()),
                "value_cap": world.fixed_use.value_caps.get(person.id),
                "explanations": [document_explanation(e, segment.currency) for e in explanations],
            }
        ],
        "budgets": [{"id": b.id, "cap": b.cap, "used": used[b.id]} for b in segment.budgets],
        "violations": [],
    }
