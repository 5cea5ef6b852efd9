"""Statistical disclosure control for aggregate readers (finance) and for an employee set
against their peer group: the one home of the rule.

A figure over fewer than MIN_GROUP_SIZE people describes individuals: finance, who may see
aggregates only, gets such figures withheld (null, with `suppressed: true`), and never a
sensitive benefit named in a figure over fewer people. That holds for peer groups, and for
budgets: a budget's use describes the participants it covers (a scenario's `new_budgets`
over a small group and one benefit would otherwise show what those few chose), so a
budget covering fewer than MIN_GROUP_SIZE participants has its use withheld in run
summaries and comparisons, and cannot be swept into a budget curve. An employee reading
their own result sees their peer group's figures (its mean; the band's in an explanation)
only when the group has at least MIN_GROUP_SIZE participants.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from itertools import islice
from typing import Any, Protocol

MIN_GROUP_SIZE = 5
# Roles entitled to individual-level figures; a principal with none of them is held to
# aggregates (finance).
INDIVIDUAL_READERS = frozenset({"hr_admin", "approver", "auditor"})
GROUP_FIGURES = ("mean_value", "max_ratio")


class RoleHolder(Protocol):
    """A caller as this rule sees it (app.auth.principal.Principal is one; security sits
    below auth, whose dependencies it serves)."""

    def has_any(self, roles: frozenset[str]) -> bool: ...


def aggregates_only(principal: RoleHolder) -> bool:
    return not principal.has_any(INDIVIDUAL_READERS)


def peer_figures_shown(participants: int, *, reader: RoleHolder | None = None) -> bool:
    """Whether a person's own figures may be set against their peer group's (the band's
    mean and cap in an explanation, the group's mean on their result): only for groups of
    at least MIN_GROUP_SIZE participants, since a small group's mean reveals colleagues'
    allocations; an individual reader (`reader`, e.g. HR) sees those anyway."""
    if reader is not None and not aggregates_only(reader):
        return True
    return participants >= MIN_GROUP_SIZE


def suppress_small_groups(groups: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Peer-group rows with their figures withheld below MIN_GROUP_SIZE participants."""
    out = []
    for group in groups:
        row = dict(group)
        if int(row.get("participants") or 0) < MIN_GROUP_SIZE:
            row.update({name: None for name in GROUP_FIGURES if name in row})
            row["suppressed"] = True
        out.append(row)
    return out


def suppress_sensitive_benefits(
    rows: Sequence[Mapping[str, Any]],
    *,
    sensitive: Collection[str],
    benefit_key: str = "benefit",
    count_key: str = "employees",
) -> list[dict[str, Any]]:
    """Rows naming a sensitive benefit over fewer than MIN_GROUP_SIZE people are dropped
    (for finance outputs listing benefits, e.g. scenario comparisons)."""
    return [
        dict(row)
        for row in rows
        if row.get(benefit_key) not in sensitive or int(row.get(count_key) or 0) >= MIN_GROUP_SIZE
    ]


def _wanted(preference: Any) -> bool:
    points = preference.get("points", 0) if isinstance(preference, Mapping) else preference
    return isinstance(points, int) and points > 0


def budget_participants(
    problem: Mapping[str, Any], *, at_most: int | None = None
) -> dict[str, int]:
    """Per budget of a flexben.problem/v1 document, the participants its use describes:
    employees of its groups who want one of its (optional) benefits; counted up to
    `at_most` when given (whether a budget is small needs no more)."""
    core = {benefit["id"] for benefit in problem.get("benefits", []) if benefit.get("core")}
    employees = problem.get("employees", [])
    counts: dict[str, int] = {}
    for budget in problem.get("budgets", []):
        groups = set(budget.get("groups") or ())
        benefits = set(budget.get("benefits") or ())
        participants = (
            employee
            for employee in employees
            if (not groups or employee.get("group") in groups)
            and any(
                _wanted(preference) and code not in core and (not benefits or code in benefits)
                for code, preference in employee.get("preferences", {}).items()
            )
        )
        counts[budget["id"]] = sum(1 for _ in islice(participants, at_most))
    return counts


def small_budgets(problem: Mapping[str, Any]) -> set[str]:
    """Budgets whose use describes fewer than MIN_GROUP_SIZE participants."""
    counted = budget_participants(problem, at_most=MIN_GROUP_SIZE)
    return {bid for bid, n in counted.items() if n < MIN_GROUP_SIZE}


def suppress_small_budgets(
    budgets: Sequence[Mapping[str, Any]], small: Collection[str]
) -> list[dict[str, Any]]:
    """Budget rows (`id`, `cap`, `used`) with `used` withheld for the `small` ones."""
    out = []
    for budget in budgets:
        row = dict(budget)
        if row.get("id") in small:
            row.update({"used": None, "suppressed": True})
        out.append(row)
    return out
