"""The typed inputs of an allocation problem: what the tables say about one period, resolved
once (app.allocations.period_inputs) and turned into the `flexben.problem/v1` document by
app.allocations.problem.document. Scenarios and life events change these values (pure
functions from inputs to inputs), never a document.

App-side types: `app` never imports `solver` outside app.allocations.solver_adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from app.periods.allowance import AllowanceRules, employee_allowance, with_carry_over
from app.preferences.rules import OfferedBenefit, proposed_from

# Unused allowance is forfeited unless the period says otherwise.
DEFAULT_LEFTOVER = "forfeit"


@dataclass(frozen=True)
class BenefitInput:
    """An offered benefit the solver may allocate (its category filters budgets)."""

    code: str
    cost: int
    category: str | None = None
    core: bool = False
    max_units: int = 1
    capacity: int | None = None
    exclusive_group: str | None = None
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wish:
    """Points on one benefit for `units` units. `spelled_out`: written as
    {"points", "units"} even for one unit, as event wishes are stored (the document keeps
    each wish's spelling, so that its bytes never change)."""

    points: int
    units: int = 1
    spelled_out: bool = False


@dataclass(frozen=True)
class AllowanceBasis:
    """What an employee's allowance is computed from, besides the period's rules."""

    fte: Decimal
    hire_date: date | None
    override: int | None
    carried_over: int = 0


@dataclass(frozen=True)
class EmployeeInput:
    """An active employee: eligibility resolved, allowance (carry-over included) and wishes.

    `previous_choices`: the previous period's points when `wishes` are proposed from them
    (a non-submitter of a `previous_choices` period), so a changed catalogue proposes anew.
    """

    external_id: str
    group: str
    need: Decimal
    top_up_limit: int
    eligible: tuple[str, ...]
    wishes: Mapping[str, Wish]
    allowance: int | None
    basis: AllowanceBasis
    previous_choices: Mapping[str, Mapping[str, int]] | None = None


@dataclass(frozen=True)
class BudgetInput:
    """A period budget with its filters as the period states them (None: no filter)."""

    id: str
    cap: int
    groups: tuple[str, ...] | None = None
    benefits: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PolicyInput:
    objective: str = "utilitarian"
    equity_tolerance: Decimal = Decimal("0.15")
    equity_absolute: int = 0


@dataclass(frozen=True)
class PeerGroupInput:
    """A peer group's own tolerances (None: the policy's)."""

    code: str
    equity_tolerance: Decimal | None = None
    equity_absolute: int | None = None


@dataclass(frozen=True)
class ProblemInputs:
    """Everything a run's problem holds, approval's hash included (`leftover_policy`)."""

    currency: str
    points_per_employee: int
    effective_from: date
    effective_to: date
    allowance: AllowanceRules
    policy: PolicyInput
    budgets: tuple[BudgetInput, ...]
    peer_groups: tuple[PeerGroupInput, ...]
    benefits: tuple[BenefitInput, ...]
    employees: tuple[EmployeeInput, ...]
    leftover_policy: str = DEFAULT_LEFTOVER


def solvable(offered: Iterable[BenefitInput]) -> tuple[BenefitInput, ...]:
    """Offered benefits minus those requiring a benefit that is not (transitively) offered,
    by code."""
    kept = {benefit.code: benefit for benefit in offered}
    changed = True
    while changed:
        changed = False
        for code, benefit in list(kept.items()):
            if any(needed not in kept for needed in benefit.requires):
                del kept[code]
                changed = True
    return tuple(kept[code] for code in sorted(kept))


def allowance_of(inputs: ProblemInputs, basis: AllowanceBasis, group: str) -> int | None:
    """The allowance a run gives (app.periods.allowance, plus what was carried over)."""
    base = employee_allowance(
        inputs.allowance,
        peer_group=group,
        fte=basis.fte,
        hire_date=basis.hire_date,
        allowance_override=basis.override,
        effective_from=inputs.effective_from,
        effective_to=inputs.effective_to,
    )
    return with_carry_over(base, basis.carried_over)


def wishes_of(points: Mapping[str, Any], offered: Mapping[str, BenefitInput]) -> dict[str, Wish]:
    """Stored points (`p` or {"points": p, "units": r}) on offered optional benefits (by
    code); units capped at today's max_units (points on benefits no longer offered, or
    core, skipped)."""
    wishes: dict[str, Wish] = {}
    for code in sorted(points):
        benefit = offered.get(code)
        if benefit is None or benefit.core:
            continue
        entry = points[code]
        given, units = (
            (entry["points"], entry.get("units", 1)) if isinstance(entry, dict) else (entry, 1)
        )
        wishes[code] = _wish(given, min(int(units), benefit.max_units))
    return wishes


@lru_cache(maxsize=4096, typed=True)
def _wish(points: int, units: int) -> Wish:
    """Wishes are immutable: 100,000 employees' ~900,000 share a few hundred objects."""
    return Wish(points=points, units=units)


def proposed_wishes(
    previous: Mapping[str, Mapping[str, int]],
    *,
    benefits: Sequence[BenefitInput],
    eligible: Callable[[str], bool],
    points_per_employee: int,
) -> dict[str, Wish]:
    """The previous period's choices proposed under today's catalogue (app.preferences.rules)."""
    offered = {
        b.code: OfferedBenefit(
            code=b.code, name=b.code, max_units=b.max_units, core=b.core, requires=b.requires
        )
        for b in benefits
    }
    proposal = proposed_from(
        previous, offered=offered, eligible=eligible, points_per_employee=points_per_employee
    )
    return wishes_of(proposal, {benefit.code: benefit for benefit in benefits})
