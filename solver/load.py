"""Load and validate a `flexben.problem/v1` document into a `solver.types.Problem`.

Every rule of the format (DESIGN.md) is checked and every broken rule is collected, each
with its JSON path, the offending value and what is allowed; `ProblemError` carries them
all. Nothing is solved from an invalid document.

Policy decisions the format leaves open (documented here, relied on by the checker):
- Preferences on a core benefit are allowed and ignored: core benefits are received anyway
  and do not count in satisfaction.
- Preferences on a benefit the employee is not eligible for are allowed (eligibility is
  decided by HR, the wish is the employee's); they do not count in satisfaction and the
  result explains them with `not_eligible`. Their points still count toward
  `points_per_employee`.
- Optional fields may be null, meaning their default (`eligible`: every benefit,
  `preferences`: none, `requires`/`budgets`/`peer_groups`: empty, `policy`: defaults).
- Lists of ids (`eligible`, `requires`, budget `groups` / `benefits`) must not repeat an id;
  an empty budget `groups` or `benefits` list is rejected (omit the field to cover all).
- A core benefit may not be in an exclusive group (two core benefits in one group could
  never both be given) and may only require core benefits; an employee eligible for a core
  benefit must be eligible for the core benefits it requires.
- Money, points, units and limits are JSON integers (booleans and floats such as 3.0 are
  rejected); ratios (`need`, tolerances) are numbers kept exactly as `Fraction(str(value))`.
- `Problem.employees` is sorted by id, each employee's preferences by benefit id;
  `Problem.benefits`, `budgets` and `peer_groups` keep document order.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from solver.collector import collector_paused
from solver.errors import Issue, ProblemError
from solver.types import (
    PROBLEM_FORMAT,
    Benefit,
    Budget,
    Employee,
    Objective,
    PeerGroup,
    Policy,
    Preference,
    Problem,
)

OBJECTIVES: tuple[Objective, ...] = ("utilitarian", "maxmin")
_CURRENCY = re.compile(r"[A-Z]{3}")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")

_TOP_REQUIRED = ("format", "currency", "points_per_employee", "benefits", "employees")
# `leftover_policy` is the service's (how unused allowance is settled): validated, carried
# in the hashed document, never read by the solve.
_TOP_OPTIONAL = ("policy", "budgets", "peer_groups", "leftover_policy")
LEFTOVER_POLICIES = ("forfeit", "cash", "carry_over")
_POLICY_FIELDS = ("objective", "equity_tolerance", "equity_absolute")
_BUDGET_FIELDS = ("id", "cap", "groups", "benefits")
_GROUP_FIELDS = ("id", "equity_tolerance", "equity_absolute")
_BENEFIT_FIELDS = ("id", "cost", "core", "max_units", "capacity", "exclusive_group", "requires")
_EMPLOYEE_FIELDS = (
    "id",
    "group",
    "allowance",
    "need",
    "top_up_limit",
    "eligible",
    "preferences",
)
_PREFERENCE_FIELDS = ("points", "units")
_EMPLOYEE_FIELD_SET = frozenset(_EMPLOYEE_FIELDS)
_PREFERENCE_FIELD_SET = frozenset(_PREFERENCE_FIELDS)


def key_path(path: str, key: str) -> str:
    """`$.a` + `GYM` -> `$.a.GYM`; keys with other characters use bracket notation."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


class _Issues:
    """Collects every issue instead of stopping at the first."""

    def __init__(self) -> None:
        self.items: list[Issue] = []

    def add(self, path: str, value: Any, message: str) -> None:
        self.items.append(Issue(path, value, message))

    def object(
        self, path: str, value: Any, required: Sequence[str], optional: Sequence[str]
    ) -> Mapping[str, Any] | None:
        """`value` as an object with only known fields, or None (issue recorded)."""
        if not isinstance(value, Mapping):
            self.add(path, value, "must be a JSON object")
            return None
        for name in required:
            if name not in value:
                self.add(key_path(path, name), None, "is required")
        if len(value) <= len(required) + len(optional) and all(
            name in required or name in optional for name in value
        ):
            return value
        known = set(required) | set(optional)
        for name in value:
            if name not in known:
                allowed = ", ".join(sorted(known))
                self.add(
                    key_path(path, str(name)),
                    value[name],
                    f"unknown field {name!r}; allowed fields are: {allowed}",
                )
        return value

    def integer(self, path: str, value: Any, *, minimum: int, what: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, value, f"must be an integer {what} >= {minimum}")
            return None
        if value < minimum:
            self.add(path, value, f"must be an integer {what} >= {minimum}")
            return None
        return value

    def ratio(self, path: str, value: Any, *, positive: bool) -> Fraction | None:
        allowed = "a number > 0" if positive else "a number >= 0"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, value, f"must be {allowed}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.add(path, value, f"must be {allowed} (finite)")
            return None
        exact = Fraction(str(value))
        if exact < 0 or (positive and exact == 0):
            self.add(path, value, f"must be {allowed}")
            return None
        return exact

    def identifier(self, path: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.add(path, value, "must be a non-empty string")
            return None
        return value

    def id_list(
        self, path: str, value: Any, *, known: Mapping[str, Any] | set[str], kind: str
    ) -> tuple[str, ...] | None:
        """A list of distinct ids, each one of `known`; None when not a valid list."""
        if not isinstance(value, list):
            self.add(path, value, f"must be a list of {kind} ids")
            return None
        # The common case (every id a known string, none twice) is checked at once; the
        # item paths are only built for the issues of a list that fails.
        if all(type(item) is str and item in known for item in value) and len(set(value)) == len(
            value
        ):
            return tuple(value)
        result: list[str] = []
        seen: set[str] = set()
        ok = True
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            name = self.identifier(item_path, item)
            if name is None:
                ok = False
            elif name not in known:
                self.add(item_path, item, f"unknown {kind} {name!r}")
                ok = False
            elif name in seen:
                self.add(item_path, item, f"{kind} {name!r} is listed twice")
                ok = False
            else:
                seen.add(name)
                result.append(name)
        return tuple(result) if ok else None


def load_problem(doc: Mapping[str, Any]) -> Problem:
    """Validate `doc` and build the problem; raises `ProblemError` listing every issue."""
    with collector_paused():
        return _load(doc)


def load_problem_file(path: str | Path) -> Problem:
    """Read a JSON problem file; unreadable JSON is reported like any other issue."""
    text = Path(path).read_text(encoding="utf-8")
    with collector_paused():
        try:
            doc = json.loads(text, parse_constant=_reject_constant)
        except ValueError as error:
            raise ProblemError([Issue("$", None, f"is not valid JSON: {error}")]) from error
        return _load(doc)


def _load(doc: Mapping[str, Any]) -> Problem:
    issues = _Issues()
    top = issues.object("$", doc, _TOP_REQUIRED, _TOP_OPTIONAL)
    if top is None:
        raise ProblemError(issues.items)

    if "format" in top and top["format"] != PROBLEM_FORMAT:
        issues.add("$.format", top["format"], f"must be {PROBLEM_FORMAT!r}")
    currency = top.get("currency")
    if "currency" in top and not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        issues.add("$.currency", currency, "must be an ISO 4217 code: three capital letters")
    points_per_employee = None
    if "points_per_employee" in top:
        points_per_employee = issues.integer(
            "$.points_per_employee", top["points_per_employee"], minimum=1, what="of points"
        )
    if top.get("leftover_policy", "forfeit") not in LEFTOVER_POLICIES:
        issues.add(
            "$.leftover_policy",
            top["leftover_policy"],
            f"must be one of: {', '.join(LEFTOVER_POLICIES)}",
        )
    policy = _policy(issues, top.get("policy") or {})
    benefits, benefit_ids = _benefits(issues, top.get("benefits", []))
    employees = _employees(
        issues, top.get("employees", []), benefits, benefit_ids, points_per_employee
    )
    # From the raw documents, so one employee's unrelated issue does not hide their group.
    used_groups = _raw_groups(top.get("employees"))
    budgets = _budgets(issues, _or_empty_list(top.get("budgets")), benefit_ids, used_groups)
    peer_groups = _peer_groups(issues, _or_empty_list(top.get("peer_groups")), used_groups)

    if issues.items:
        raise ProblemError(issues.items)
    assert isinstance(currency, str) and points_per_employee is not None and policy is not None
    return Problem(
        currency=currency,
        points_per_employee=points_per_employee,
        policy=policy,
        budgets=budgets,
        peer_groups=peer_groups,
        benefits=tuple(benefits.values()),
        employees=tuple(sorted(employees, key=lambda employee: employee.id)),
    )


def _raw_groups(raws: Any) -> set[str]:
    if not isinstance(raws, list):
        return set()
    return {
        raw["group"]
        for raw in raws
        if isinstance(raw, Mapping) and isinstance(raw.get("group"), str)
    }


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _policy(issues: _Issues, value: Any) -> Policy | None:
    raw = issues.object("$.policy", value, (), _POLICY_FIELDS)
    if raw is None:
        return None
    objective = raw.get("objective", "utilitarian")
    if objective not in OBJECTIVES:
        issues.add("$.policy.objective", objective, f"must be one of {', '.join(OBJECTIVES)}")
        objective = "utilitarian"
    tolerance = issues.ratio(
        "$.policy.equity_tolerance", raw.get("equity_tolerance", 0), positive=False
    )
    absolute = issues.integer(
        "$.policy.equity_absolute", raw.get("equity_absolute", 0), minimum=0, what="amount"
    )
    if tolerance is None or absolute is None:
        return None
    return Policy(objective=objective, equity_tolerance=tolerance, equity_absolute=absolute)


def _or_empty_list(value: Any) -> Any:
    """Optional list fields: null means the default, an empty list."""
    return [] if value is None else value


def _list(issues: _Issues, path: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        issues.add(path, value, "must be a list")
        return []
    return value


def _benefits(issues: _Issues, value: Any) -> tuple[dict[str, Benefit], set[str]]:
    """Valid benefits by id in document order, and every id present (valid or not).

    References to a benefit with issues of its own are not reported again as unknown.
    """
    raws = _list(issues, "$.benefits", value)
    ids = _unique_ids(issues, "$.benefits", raws, "benefit")
    benefits: dict[str, Benefit] = {}
    for index, raw_value in enumerate(raws):
        path = f"$.benefits[{index}]"
        raw = issues.object(path, raw_value, ("id", "cost"), _BENEFIT_FIELDS)
        if raw is None:
            continue
        benefit = _benefit(issues, path, raw, ids)
        if benefit is not None and benefit.id not in benefits:
            benefits[benefit.id] = benefit
    _check_requires(issues, raws, benefits)
    return benefits, ids


def _unique_ids(issues: _Issues, path: str, raws: list[Any], kind: str) -> set[str]:
    """All ids present, reporting the second and later occurrences of each."""
    seen: set[str] = set()
    for index, raw in enumerate(raws):
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
            ident = raw["id"]
            if ident in seen:
                issues.add(f"{path}[{index}].id", ident, f"duplicate {kind} id {ident!r}")
            seen.add(ident)
    return seen


def _benefit(issues: _Issues, path: str, raw: Mapping[str, Any], ids: set[str]) -> Benefit | None:
    before = len(issues.items)
    ident = issues.identifier(f"{path}.id", raw.get("id"))
    cost = issues.integer(f"{path}.cost", raw.get("cost"), minimum=0, what="amount")
    core = raw.get("core", False)
    if not isinstance(core, bool):
        issues.add(f"{path}.core", core, "must be true or false")
    max_units = issues.integer(
        f"{path}.max_units", raw.get("max_units", 1), minimum=1, what="number of units"
    )
    capacity = raw.get("capacity")
    if capacity is not None:
        capacity = issues.integer(
            f"{path}.capacity", capacity, minimum=0, what="number of units (or null)"
        )
    group = raw.get("exclusive_group")
    if group is not None:
        group = issues.identifier(f"{path}.exclusive_group", group)
        if group is not None and max_units is not None and max_units > 1:
            issues.add(
                f"{path}.max_units",
                max_units,
                f"must be 1: the benefit is in exclusive group {group!r}",
            )
        if group is not None and core is True:
            issues.add(
                f"{path}.exclusive_group",
                group,
                "must be null for a core benefit (core benefits are given to everyone)",
            )
    requires = issues.id_list(
        f"{path}.requires", _or_empty_list(raw.get("requires")), known=ids, kind="benefit"
    )
    if requires is not None and ident in requires:
        issues.add(f"{path}.requires", raw.get("requires"), f"benefit {ident!r} requires itself")
    if len(issues.items) > before:
        return None
    assert ident is not None and cost is not None and max_units is not None
    assert requires is not None and isinstance(core, bool)
    return Benefit(
        id=ident,
        cost=cost,
        core=core,
        max_units=max_units,
        capacity=capacity,
        exclusive_group=group,
        requires=requires,
    )


def _check_requires(issues: _Issues, raws: list[Any], benefits: dict[str, Benefit]) -> None:
    """Cycles (A requires B requires A) and core benefits requiring optional ones."""
    index_of = {
        raw["id"]: index
        for index, raw in reversed(list(enumerate(raws)))
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str)
    }
    for benefit in benefits.values():
        path = f"$.benefits[{index_of[benefit.id]}].requires"
        if benefit.core:
            for needed in benefit.requires:
                if needed in benefits and not benefits[needed].core:
                    issues.add(
                        path,
                        list(benefit.requires),
                        f"core benefit {benefit.id!r} may only require core benefits, "
                        f"{needed!r} is optional",
                    )
        cycle = _cycle_from(benefit.id, benefits)
        if cycle is not None and len(cycle) > 2 and cycle[0] == min(cycle[:-1]):
            issues.add(path, list(benefit.requires), f"requires cycle: {' -> '.join(cycle)}")


def _cycle_from(start: str, benefits: dict[str, Benefit]) -> list[str] | None:
    """A requires path from `start` back to `start`, if any (self-requires excluded)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        current, trail = stack.pop()
        for needed in sorted(benefits[current].requires if current in benefits else ()):
            if needed == start and needed != current:
                return [*trail, start]
            if needed not in visited and needed != current:
                visited.add(needed)
                stack.append((needed, [*trail, needed]))
    return None


def _employees(
    issues: _Issues,
    value: Any,
    benefits: dict[str, Benefit],
    benefit_ids: set[str],
    points_per_employee: int | None,
) -> list[Employee]:
    raws = _list(issues, "$.employees", value)
    _unique_ids(issues, "$.employees", raws, "employee")
    employees: list[Employee] = []
    seen: set[str] = set()
    plain = _PlainEmployees(benefits, benefit_ids, points_per_employee)
    for index, raw_value in enumerate(raws):
        employee = plain.employee(raw_value)
        if employee is None:  # something is wrong, or unusual: the issue-collecting path
            path = f"$.employees[{index}]"
            raw = issues.object(path, raw_value, ("id", "group"), _EMPLOYEE_FIELDS)
            if raw is None:
                continue
            employee = _employee(
                issues,
                path,
                raw,
                benefits=benefits,
                benefit_ids=benefit_ids,
                points_per_employee=points_per_employee,
            )
        if employee is not None and employee.id not in seen:
            seen.add(employee.id)
            employees.append(employee)
    return employees


class _PlainEmployees:
    """Employees that break no rule, built without collecting issues (large documents).

    `employee` accepts only the common forms (plain dicts, str ids, int amounts, int or
    {points, units} preferences) and returns None for anything else, valid or not: the
    issue-collecting `_employee` then decides, so both paths give the same `Employee` and
    the same issues. The values many employees share (eligibility lists, need ratios,
    preferences) are checked and built once.
    """

    def __init__(
        self, benefits: dict[str, Benefit], benefit_ids: set[str], points_per_employee: int | None
    ) -> None:
        self.benefits = benefits
        self.benefit_ids = benefit_ids
        self.points_per_employee = points_per_employee
        # Core benefits with requirements: an eligible employee must be eligible for those too.
        self.core_requires = tuple(
            (b.id, b.requires) for b in benefits.values() if b.core and b.requires
        )
        self.eligible_sets: dict[tuple[Any, ...], frozenset[str] | None] = {}
        self.ratios: dict[tuple[type, Any], Fraction | None] = {}
        self.preferences: dict[tuple[int, int], Preference] = {}
        self.plain: dict[int, Preference] = {}  # points alone (units 1), by points

    def employee(self, raw: Any) -> Employee | None:
        if type(raw) is not dict or not raw.keys() <= _EMPLOYEE_FIELD_SET:
            return None
        ident, group = raw.get("id"), raw.get("group")
        if type(ident) is not str or type(group) is not str or not ident.strip():
            return None
        if not group.strip():
            return None
        allowance = raw.get("allowance")
        if allowance is not None and (type(allowance) is not int or allowance < 0):
            return None
        top_up_limit = raw.get("top_up_limit", 0)
        if type(top_up_limit) is not int or top_up_limit < 0:
            return None
        need = self.positive_ratio(raw.get("need", 1))
        eligible = raw.get("eligible")
        if eligible is not None:
            eligible = self.eligible(eligible)
            if eligible is None:
                return None
        preferences = self.preference_list(raw.get("preferences") or {})
        if need is None or preferences is None:
            return None
        return Employee(
            id=ident,
            group=group,
            allowance=allowance,
            need=need,
            top_up_limit=top_up_limit,
            eligible=eligible,
            preferences=preferences,
        )

    def positive_ratio(self, value: Any) -> Fraction | None:
        """`_Issues.ratio(positive=True)` of an int or float, or None."""
        kind = type(value)
        if kind is not int and kind is not float:
            return None
        key = (kind, value)
        if key not in self.ratios:
            exact = None
            if kind is int or math.isfinite(value):
                exact = Fraction(str(value))
            self.ratios[key] = exact if exact is not None and exact > 0 else None
        return self.ratios[key]

    def eligible(self, value: Any) -> frozenset[str] | None:
        """A list of distinct known benefit ids that satisfies the core requirements, or None."""
        if type(value) is not list:
            return None
        key = tuple(value)
        try:
            return self.eligible_sets[key]
        except KeyError:
            found = frozenset(key)
            valid = (
                all(type(item) is str for item in key)
                and len(found) == len(key)
                and found <= self.benefit_ids
                and all(
                    core not in found or all(needed in found for needed in requires)
                    for core, requires in self.core_requires
                )
            )
            self.eligible_sets[key] = found if valid else None
            return self.eligible_sets[key]
        except TypeError:  # an unhashable item: not an id
            return None

    def preference_list(self, value: Any) -> tuple[tuple[str, Preference], ...] | None:
        """Preferences sorted by benefit id within points_per_employee, or None."""
        if type(value) is not dict or not value.keys() <= self.benefit_ids:
            return None
        result: list[tuple[str, Preference]] = []
        total = 0
        for name in sorted(value):
            item = value[name]
            preference = self.plain.get(item) if type(item) is int else None
            if preference is None:
                preference = self.preference(name, item)
            if preference is None:
                return None
            total += preference.points
            result.append((name, preference))
        if self.points_per_employee is not None and total > self.points_per_employee:
            return None
        return tuple(result)

    def preference(self, name: str, value: Any) -> Preference | None:
        """Points alone, or {points, units} within the benefit's max_units; else None."""
        points: Any = value
        units: Any = 1
        if type(value) is dict and value.keys() <= _PREFERENCE_FIELD_SET:
            points, units = value.get("points"), value.get("units", 1)
            benefit = self.benefits.get(name)
            if type(units) is not int or benefit is None or not 1 <= units <= benefit.max_units:
                return None
        if type(points) is not int or points < 1:
            return None
        key = (points, units)
        preference = self.preferences.get(key)
        if preference is None:
            preference = self.preferences[key] = Preference(points=points, units=units)
        if type(value) is int:
            self.plain[points] = preference
        return preference


def _employee(
    issues: _Issues,
    path: str,
    raw: Mapping[str, Any],
    *,
    benefits: dict[str, Benefit],
    benefit_ids: set[str],
    points_per_employee: int | None,
) -> Employee | None:
    before = len(issues.items)
    ident = issues.identifier(f"{path}.id", raw.get("id"))
    group = issues.identifier(f"{path}.group", raw.get("group"))
    allowance = raw.get("allowance")
    if allowance is not None:
        allowance = issues.integer(
            f"{path}.allowance", allowance, minimum=0, what="amount (or null)"
        )
    need = issues.ratio(f"{path}.need", raw.get("need", 1), positive=True)
    top_up_limit = issues.integer(
        f"{path}.top_up_limit", raw.get("top_up_limit", 0), minimum=0, what="amount"
    )
    eligible: frozenset[str] | None = None
    if raw.get("eligible") is not None:
        listed = issues.id_list(
            f"{path}.eligible", raw["eligible"], known=benefit_ids, kind="benefit"
        )
        if listed is not None:
            eligible = frozenset(listed)
            _check_core_requires(issues, f"{path}.eligible", listed, benefits)
    preferences = _preferences(
        issues,
        f"{path}.preferences",
        raw.get("preferences") or {},
        benefits=benefits,
        benefit_ids=benefit_ids,
        points_per_employee=points_per_employee,
    )
    if len(issues.items) > before:
        return None
    assert ident is not None and group is not None and need is not None
    assert top_up_limit is not None and preferences is not None
    return Employee(
        id=ident,
        group=group,
        allowance=allowance,
        need=need,
        top_up_limit=top_up_limit,
        eligible=eligible,
        preferences=preferences,
    )


def _check_core_requires(
    issues: _Issues, path: str, eligible: tuple[str, ...], benefits: dict[str, Benefit]
) -> None:
    """A core benefit is given to every eligible employee, so what it requires must be too."""
    for name in eligible:
        benefit = benefits.get(name)
        if benefit is None or not benefit.core:
            continue
        for needed in benefit.requires:
            if needed not in eligible:
                issues.add(
                    path,
                    list(eligible),
                    f"must include {needed!r}: core benefit {name!r} requires it",
                )


def _preferences(
    issues: _Issues,
    path: str,
    value: Any,
    *,
    benefits: dict[str, Benefit],
    benefit_ids: set[str],
    points_per_employee: int | None,
) -> tuple[tuple[str, Preference], ...] | None:
    if not isinstance(value, Mapping):
        issues.add(path, value, 'must be an object {"BENEFIT": points or {"points", "units"}}')
        return None
    result: list[tuple[str, Preference]] = []
    ok = True
    total = 0
    for name in sorted(value, key=str):
        if name not in benefit_ids:
            issues.add(key_path(path, str(name)), value[name], f"unknown benefit {name!r}")
            ok = False
            continue
        preference = _preference(issues, path, name, value[name], benefits.get(name))
        if preference is None:
            ok = False
            continue
        total += preference.points
        result.append((name, preference))
    if ok and points_per_employee is not None and total > points_per_employee:
        issues.add(
            path,
            dict(value),
            f"spends {total} points; at most points_per_employee = {points_per_employee} allowed",
        )
        ok = False
    return tuple(result) if ok else None


def _preference(
    issues: _Issues, parent: str, name: str, value: Any, benefit: Benefit | None
) -> Preference | None:
    """One preference; `benefit` None when the benefit itself is invalid (units unchecked)."""
    if type(value) is int and value >= 1:  # the common case: points alone
        return Preference(points=value)
    path = key_path(parent, str(name))
    if isinstance(value, Mapping):
        raw = issues.object(path, value, ("points",), _PREFERENCE_FIELDS)
        if raw is None:
            return None
        points = issues.integer(f"{path}.points", raw.get("points"), minimum=1, what="of points")
        units = raw.get("units", 1)
        if isinstance(units, bool) or not isinstance(units, int):
            issues.add(f"{path}.units", units, "must be an integer >= 1")
            return None
        if benefit is not None and not 1 <= units <= benefit.max_units:
            issues.add(
                f"{path}.units",
                units,
                f"must be an integer from 1 to {benefit.max_units} (max_units of {benefit.id!r})",
            )
            return None
        return None if points is None else Preference(points=points, units=units)
    points = issues.integer(path, value, minimum=1, what="of points")
    return None if points is None else Preference(points=points)


def _budgets(
    issues: _Issues, value: Any, benefits: set[str], used_groups: set[str]
) -> tuple[Budget, ...]:
    raws = _list(issues, "$.budgets", value)
    _unique_ids(issues, "$.budgets", raws, "budget")
    budgets: list[Budget] = []
    seen: set[str] = set()
    for index, raw_value in enumerate(raws):
        path = f"$.budgets[{index}]"
        raw = issues.object(path, raw_value, ("id", "cap"), _BUDGET_FIELDS)
        if raw is None:
            continue
        before = len(issues.items)
        ident = issues.identifier(f"{path}.id", raw.get("id"))
        cap = issues.integer(f"{path}.cap", raw.get("cap"), minimum=0, what="amount")
        groups = _budget_scope(
            issues, f"{path}.groups", raw=raw, name="groups", known=used_groups, kind="peer group"
        )
        covered = _budget_scope(
            issues, f"{path}.benefits", raw=raw, name="benefits", known=benefits, kind="benefit"
        )
        if len(issues.items) > before or ident is None or cap is None or ident in seen:
            continue
        seen.add(ident)
        budgets.append(Budget(id=ident, cap=cap, groups=groups, benefits=covered))
    return tuple(budgets)


def _budget_scope(
    issues: _Issues,
    path: str,
    *,
    raw: Mapping[str, Any],
    name: str,
    known: Mapping[str, Any] | set[str],
    kind: str,
) -> tuple[str, ...] | None:
    if raw.get(name) is None:
        return None
    if raw[name] == []:
        issues.add(path, [], f"must name at least one {kind}; omit the field to cover all")
        return None
    if kind == "peer group":
        kind = "peer group (no employee is in it)"
    return issues.id_list(path, raw[name], known=known, kind=kind)


def _peer_groups(issues: _Issues, value: Any, used_groups: set[str]) -> tuple[PeerGroup, ...]:
    raws = _list(issues, "$.peer_groups", value)
    _unique_ids(issues, "$.peer_groups", raws, "peer group")
    groups: list[PeerGroup] = []
    seen: set[str] = set()
    for index, raw_value in enumerate(raws):
        path = f"$.peer_groups[{index}]"
        raw = issues.object(path, raw_value, ("id",), _GROUP_FIELDS)
        if raw is None:
            continue
        before = len(issues.items)
        ident = issues.identifier(f"{path}.id", raw.get("id"))
        if ident is not None and ident not in used_groups:
            issues.add(f"{path}.id", ident, f"peer group {ident!r} has no employees")
        tolerance = None
        if raw.get("equity_tolerance") is not None:
            tolerance = issues.ratio(
                f"{path}.equity_tolerance", raw["equity_tolerance"], positive=False
            )
        absolute = None
        if raw.get("equity_absolute") is not None:
            absolute = issues.integer(
                f"{path}.equity_absolute", raw["equity_absolute"], minimum=0, what="amount"
            )
        if len(issues.items) > before or ident is None or ident in seen:
            continue
        seen.add(ident)
        groups.append(PeerGroup(id=ident, equity_tolerance=tolerance, equity_absolute=absolute))
    return tuple(groups)
