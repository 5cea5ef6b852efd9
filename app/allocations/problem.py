"""Build the `flexben.problem/v1` document of a period from the database.

What goes in (DESIGN.md, "The allocation problem"):
- benefits: the period's offered benefits that are active (a benefit requiring one that is
  not offered is left out too: nobody could receive it);
- employees: every active employee, with the benefits they are eligible for (rules
  evaluated at the period's `effective_from`), their allowance (app.periods.allowance, plus
  any allowance carried over from the previous period), need, top-up limit and current
  preferences (points on benefits no longer offered, or on core benefits, are skipped);
- budgets with their group / benefit / category filters resolved to ids (filters combine
  with AND; a budget whose filters match nothing constrains nothing and is left out);
- the period policy and the peer groups that override its tolerances;
- the leftover policy (`leftover_policy`, left out when `forfeit`).

The document is deterministic (sorted everywhere) and serialised canonically, so the same
inputs always give the same bytes and the same SHA-256: that is how an approval checks that
a run is still the run of the current inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.benefits.eligibility import employee_facts, evaluate
from app.benefits.models import Benefit
from app.employees.models import Employee, PeerGroup
from app.employees.service import employee_out
from app.periods import repository as periods
from app.periods.allowance import with_carry_over
from app.periods.models import Period
from app.periods.service import allowance_rules, period_allowance
from app.preferences.models import Preference
from app.preferences.rules import proposed_from
from app.preferences.service import offered_of, previous_choices

PROBLEM_FORMAT = "flexben.problem/v1"
# How unused allowance is settled is part of what a run means (its payroll lines), so it
# is in the hashed problem: a run under one policy is never approved under another. The
# default is left out, so documents of `forfeit` periods are unchanged.
DEFAULT_LEFTOVER = "forfeit"


def leftover_policy_of(problem: Mapping[str, Any]) -> str:
    return str(problem.get("leftover_policy", DEFAULT_LEFTOVER))


def canonical_json(doc: Any) -> str:
    """The one serialisation of a document: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _benefit_doc(benefit: Benefit) -> dict[str, Any]:
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


def solvable_benefits(offered: Sequence[Benefit]) -> list[Benefit]:
    """Offered benefits minus those requiring a benefit that is not (transitively) offered."""
    kept = {benefit.code: benefit for benefit in offered}
    changed = True
    while changed:
        changed = False
        for code, benefit in list(kept.items()):
            if any(needed not in kept for needed in benefit.requires or ()):
                del kept[code]
                changed = True
    return [kept[code] for code in sorted(kept)]


def _budget_doc(
    budget: Mapping[str, Any], benefits: Sequence[Benefit], groups_in_use: set[str]
) -> dict[str, Any] | None:
    """The solver's budget: group and benefit ids; None when its filters match nothing."""
    doc: dict[str, Any] = {"id": budget["id"], "cap": budget["cap"]}
    if budget.get("groups") is not None:
        groups = sorted(set(budget["groups"]) & groups_in_use)
        if not groups:
            return None
        doc["groups"] = groups
    if budget.get("benefits") is not None or budget.get("categories") is not None:
        codes = {benefit.code for benefit in benefits}
        if budget.get("benefits") is not None:
            codes &= set(budget["benefits"])
        if budget.get("categories") is not None:
            wanted = set(budget["categories"])
            codes &= {b.code for b in benefits if b.category in wanted}
        if not codes:
            return None
        doc["benefits"] = sorted(codes)
    return doc


def _preferences_doc(points: Mapping[str, Any], benefits: Mapping[str, Benefit]) -> dict[str, Any]:
    """Current points on offered optional benefits; units capped at today's max_units."""
    doc: dict[str, Any] = {}
    for code in sorted(points):
        benefit = benefits.get(code)
        if benefit is None or benefit.core:
            continue
        entry = points[code]
        given, units = (
            (entry["points"], entry.get("units", 1))
            if isinstance(entry, dict)
            else (
                entry,
                1,
            )
        )
        units = min(int(units), benefit.max_units)
        doc[code] = given if units == 1 else {"points": given, "units": units}
    return doc


def _number(value: Any) -> int | float:
    """A Decimal as the plainest JSON number (1 rather than 1.0 keeps documents short)."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def _peer_group_docs(groups: Iterable[PeerGroup], used: set[str]) -> list[dict[str, Any]]:
    docs = []
    for group in sorted(groups, key=lambda g: g.code):
        if group.code not in used:
            continue
        if group.equity_tolerance is None and group.equity_absolute is None:
            continue
        doc: dict[str, Any] = {"id": group.code}
        if group.equity_tolerance is not None:
            doc["equity_tolerance"] = _number(group.equity_tolerance)
        if group.equity_absolute is not None:
            doc["equity_absolute"] = group.equity_absolute
        docs.append(doc)
    return docs


def build_problem(
    session: Session, period: Period, *, carried_over: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The problem document of `period` from the current database state.

    `carried_over`: external_id -> allowance carried over from the previous period (added
    to employees who have an allowance).
    """
    carried_over = carried_over or {}
    benefits = solvable_benefits(periods.offered_benefits(session, period))
    by_code = {benefit.code: benefit for benefit in benefits}
    employees = session.scalars(
        select(Employee).where(Employee.active.is_(True)).order_by(Employee.external_id)
    ).all()
    rows = session.execute(
        select(Preference.employee_id, Preference.points).where(Preference.period_id == period.id)
    )
    # Not dict(rows): a Result has .keys(), so dict() would read it as a mapping.
    preferences: dict[int, dict[str, Any]] = {key: value for key, value in rows}  # noqa: C416
    rules = allowance_rules(period)
    previous = previous_choices(session, period)
    offered = offered_of(benefits) if previous else {}
    employee_docs = []
    for employee in employees:
        facts = employee_facts(
            employee_out(employee).model_dump(mode="json"), effective_from=period.effective_from
        )
        eligible = [b.code for b in benefits if evaluate(b.eligibility, facts).ok]
        doc: dict[str, Any] = {
            "id": employee.external_id,
            "group": employee.peer_group.code,
            "need": _number(employee.need),
            "top_up_limit": employee.top_up_limit,
            "eligible": eligible,
            "preferences": _preferences_doc(preferences.get(employee.id, {}), by_code),
        }
        if employee.id not in preferences and employee.id in previous:
            # A non-submitter: the previous period's choices, proposed (period setting).
            proposal = proposed_from(
                previous[employee.id],
                offered=offered,
                eligible=set(eligible).__contains__,
                points_per_employee=period.points_per_employee,
            )
            doc["preferences"] = _preferences_doc(proposal, by_code)
        allowance = with_carry_over(
            period_allowance(period, employee, rules), carried_over.get(employee.external_id, 0)
        )
        if allowance is not None:
            doc["allowance"] = allowance
        employee_docs.append(doc)
    groups_in_use = {doc["group"] for doc in employee_docs}
    budgets = [
        budget_doc
        for budget in period.budgets
        if (budget_doc := _budget_doc(budget, benefits, groups_in_use)) is not None
    ]
    policy = period.policy
    settlement = (
        {}
        if period.leftover_policy == DEFAULT_LEFTOVER
        else {"leftover_policy": period.leftover_policy}
    )
    return {
        **settlement,
        "format": PROBLEM_FORMAT,
        "currency": period.currency,
        "points_per_employee": period.points_per_employee,
        "policy": {
            "objective": policy.get("objective", "utilitarian"),
            "equity_tolerance": _number(policy.get("equity_tolerance", "0.15")),
            "equity_absolute": int(policy.get("equity_absolute", 0)),
        },
        "budgets": budgets,
        "peer_groups": _peer_group_docs(session.scalars(select(PeerGroup)), groups_in_use),
        "benefits": [_benefit_doc(benefit) for benefit in benefits],
        "employees": employee_docs,
    }
