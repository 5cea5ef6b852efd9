"""The allowance of one employee for one period.

Rule, in this order:

1. base: the employee's ``allowance_override`` when set, else the period's
   ``by_group[peer_group]`` when the group is listed, else the period's ``default``;
   when none of them is set the employee has no individual cap (``None``).
2. when ``prorate_fte``: base × FTE (the override is pro-rated too: it states the
   full-time amount for that person, like the group and default amounts do).
3. when ``prorate_start`` and the hire date falls inside [effective_from, effective_to]:
   × covered share = (days from the hire date to effective_to, both inclusive) ÷
   (days of the period, both inclusive). A hire date before the period means the whole
   period is covered; a hire date after it means nothing is covered (share 0).

The product is computed exactly (``Fraction``; FTE arrives as ``Decimal`` text, never a
float) and rounded DOWN once, at the end, to integer minor units: an employee never gets
a cent more than the rule gives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class AllowanceRules:
    """A period's allowance rules (the ``allowance`` object of a period)."""

    default: int | None = None
    by_group: Mapping[str, int] = field(default_factory=dict)
    prorate_fte: bool = False
    prorate_start: bool = False


def covered_share(hire_date: date | None, effective_from: date, effective_to: date) -> Fraction:
    """Share of [effective_from, effective_to] covered by an employee hired on `hire_date`."""
    if effective_to < effective_from:
        raise ValueError("effective_to is before effective_from")
    if hire_date is None or hire_date <= effective_from:
        return Fraction(1)
    if hire_date > effective_to:
        return Fraction(0)
    period_days = (effective_to - effective_from).days + 1
    covered_days = (effective_to - hire_date).days + 1
    return Fraction(covered_days, period_days)


def employee_allowance(
    rules: AllowanceRules,
    *,
    peer_group: str,
    fte: Decimal | Fraction | int,
    hire_date: date | None,
    allowance_override: int | None,
    effective_from: date,
    effective_to: date,
) -> int | None:
    """The employee's allowance in minor units, rounded down; None when no amount applies."""
    if allowance_override is not None:
        base = allowance_override
    elif peer_group in rules.by_group:
        base = rules.by_group[peer_group]
    elif rules.default is not None:
        base = rules.default
    else:
        return None
    if not (rules.prorate_fte or rules.prorate_start):
        return base  # whole minor units already (and 100,000 Fractions saved)
    amount = Fraction(base)
    if rules.prorate_fte:
        amount *= Fraction(fte)
    if rules.prorate_start:
        amount *= covered_share(hire_date, effective_from, effective_to)
    return math.floor(amount)


def with_carry_over(allowance: int | None, carried: int) -> int | None:
    """The allowance a run gives: the period's plus what was carried over (no cap: none)."""
    return None if allowance is None else allowance + carried
