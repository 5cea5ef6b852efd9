"""The `flexben.problem/v1` document (DESIGN.md, "The allocation problem") made from typed
inputs (app.allocations.inputs), and its one serialisation.

The document resolves what the solver wants as ids: budgets' group / benefit / category
filters (they combine with AND; a budget whose filters match nothing constrains nothing and
is left out), and the peer groups in use that override the policy's tolerances. The leftover
policy is in it (left out when `forfeit`): how unused allowance is settled is part of what a
run means (its payroll lines), so a run under one policy is never approved under another.

The document is deterministic (sorted everywhere) and serialised canonically, so the same
inputs always give the same bytes and the same SHA-256: that is how an approval checks that
a run is still the run of the current inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.allocations.inputs import (
    DEFAULT_LEFTOVER,
    BenefitInput,
    BudgetInput,
    EmployeeInput,
    PeerGroupInput,
    ProblemInputs,
    Wish,
)

PROBLEM_FORMAT = "flexben.problem/v1"


def leftover_policy_of(problem: Mapping[str, Any]) -> str:
    return str(problem.get("leftover_policy", DEFAULT_LEFTOVER))


def canonical_json(doc: Any) -> str:
    """The one serialisation of a document: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _number(value: Decimal) -> int | float:
    """A Decimal as the plainest JSON number (1 rather than 1.0 keeps documents short)."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def _benefit(benefit: BenefitInput) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": benefit.code, "cost": benefit.cost}
    if benefit.core:
        doc["core"] = True
    if benefit.max_units != 1:
        doc["max_units"] = benefit.max_units
    if benefit.capacity is not None:
        doc["capacity"] = benefit.capacity
    if benefit.exclusive_group:
        doc["exclusive_group"] = benefit.exclusive_group
    if benefit.requires:
        doc["requires"] = sorted(benefit.requires)
    return doc


def _budget(
    budget: BudgetInput, benefits: Sequence[BenefitInput], groups_in_use: set[str]
) -> dict[str, Any] | None:
    """The solver's budget: group and benefit ids; None when its filters match nothing."""
    doc: dict[str, Any] = {"id": budget.id, "cap": budget.cap}
    if budget.groups is not None:
        groups = sorted(set(budget.groups) & groups_in_use)
        if not groups:
            return None
        doc["groups"] = groups
    if budget.benefits is not None or budget.categories is not None:
        codes = {benefit.code for benefit in benefits}
        if budget.benefits is not None:
            codes &= set(budget.benefits)
        if budget.categories is not None:
            wanted = set(budget.categories)
            codes &= {b.code for b in benefits if b.category in wanted}
        if not codes:
            return None
        doc["benefits"] = sorted(codes)
    return doc


def _peer_group(group: PeerGroupInput) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": group.code}
    if group.equity_tolerance is not None:
        doc["equity_tolerance"] = _number(group.equity_tolerance)
    if group.equity_absolute is not None:
        doc["equity_absolute"] = group.equity_absolute
    return doc


def _wish(wish: Wish) -> int | dict[str, int]:
    if wish.units == 1 and not wish.spelled_out:
        return wish.points
    return {"points": wish.points, "units": wish.units}


def _employee(employee: EmployeeInput) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": employee.external_id,
        "group": employee.group,
        "need": _number(employee.need),
        "top_up_limit": employee.top_up_limit,
        "eligible": list(employee.eligible),
        "preferences": {code: _wish(wish) for code, wish in sorted(employee.wishes.items())},
    }
    if employee.allowance is not None:
        doc["allowance"] = employee.allowance
    return doc


def document(
    inputs: ProblemInputs, *, employees: Sequence[EmployeeInput] | None = None
) -> dict[str, Any]:
    """The problem document of `inputs`.

    `employees`: those the problem allocates (default: every employee of `inputs`); budgets
    and peer groups are resolved against the peer groups of every employee of `inputs` all
    the same (an event run allocates one person against everyone's budgets).
    """
    groups_in_use = {employee.group for employee in inputs.employees}
    budgets = [
        doc
        for budget in inputs.budgets
        if (doc := _budget(budget, inputs.benefits, groups_in_use)) is not None
    ]
    peer_groups = [
        _peer_group(group)
        for group in inputs.peer_groups
        if group.code in groups_in_use
        and (group.equity_tolerance is not None or group.equity_absolute is not None)
    ]
    settlement = (
        {}
        if inputs.leftover_policy == DEFAULT_LEFTOVER
        else {"leftover_policy": inputs.leftover_policy}
    )
    policy = inputs.policy
    return {
        **settlement,
        "format": PROBLEM_FORMAT,
        "currency": inputs.currency,
        "points_per_employee": inputs.points_per_employee,
        "policy": {
            "objective": policy.objective,
            "equity_tolerance": _number(policy.equity_tolerance),
            "equity_absolute": policy.equity_absolute,
        },
        "budgets": budgets,
        "peer_groups": peer_groups,
        "benefits": [_benefit(benefit) for benefit in inputs.benefits],
        "employees": [
            _employee(employee)
            for employee in (inputs.employees if employees is None else employees)
        ],
    }
