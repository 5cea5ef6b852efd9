"""The eligibility rule language: validated when a benefit is saved, evaluated per employee.

A rule is a condition `{"attr": A, "op": O, "value": V}` or a combination
`{"all": [rule, ...]}`, `{"any": [rule, ...]}`, `{"not": rule}`; `null` means everyone.
Attributes are the employee fields, `tenure_months` (whole months of service at the period's
`effective_from`), and the keys of the employee's `attributes` (written plainly, `union_member`,
or explicitly, `attributes.union_member`). Failing rules explain themselves in plain words:
"requires tenure of at least 6 months (you have 4)".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from app.errors import error_item

Kind = Literal["text", "number", "date"]

EMPLOYEE_ATTRIBUTES: dict[str, Kind] = {
    "external_id": "text",
    "email": "text",
    "display_name": "text",
    "peer_group": "text",
    "grade": "text",
    "location": "text",
    "employment_type": "text",
    "hire_date": "date",
    "fte": "number",
    "need": "number",
    "need_reason": "text",
    "top_up_limit": "number",
    "allowance_override": "number",
    "tenure_months": "number",
}
LABELS = {
    "external_id": "employee id",
    "display_name": "name",
    "peer_group": "peer group",
    "employment_type": "employment type",
    "hire_date": "hire date",
    "fte": "FTE",
    "need_reason": "need reason",
    "top_up_limit": "top-up limit",
    "allowance_override": "individual allowance",
    "tenure_months": "tenure",
}
UNITS = {"tenure_months": " months"}
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")
ORDERING = ("<", "<=", ">", ">=")
COMBINATORS = ("all", "any", "not")
CONDITION_KEYS = frozenset({"attr", "op", "value"})
ATTRIBUTES_PREFIX = "attributes."
MAX_DEPTH = 16

Loc = Sequence[str | int]


class EligibilityResult(NamedTuple):
    ok: bool
    reason: str | None = None


ELIGIBLE = EligibilityResult(True, None)


# ---------------------------------------------------------------- validation


def validate_rule(rule: Any, loc: Loc = ()) -> list[dict[str, Any]]:
    """Every problem of `rule` as problem+json errors ({loc, msg}); [] when valid."""
    if rule is None:
        return []
    return _validate_node(rule, list(loc), depth=0)


def _validate_node(node: Any, loc: list[str | int], *, depth: int) -> list[dict[str, Any]]:
    if depth > MAX_DEPTH:
        return [error_item(loc, f"rules nest at most {MAX_DEPTH} levels deep")]
    if not isinstance(node, dict):
        return [error_item(loc, "a rule is an object: a condition, or all / any / not")]
    combinators = [key for key in COMBINATORS if key in node]
    if combinators:
        if len(node) != 1:
            return [
                error_item(
                    loc, f"a {combinators[0]!r} rule has no other keys; found {sorted(node)}"
                )
            ]
        key = combinators[0]
        if key == "not":
            return _validate_node(node["not"], [*loc, "not"], depth=depth + 1)
        children = node[key]
        if not isinstance(children, list) or not children:
            return [error_item([*loc, key], f"{key!r} takes a non-empty list of rules")]
        errors: list[dict[str, Any]] = []
        for index, child in enumerate(children):
            errors += _validate_node(child, [*loc, key, index], depth=depth + 1)
        return errors
    return _validate_condition(node, loc)


def _validate_condition(node: dict[str, Any], loc: list[str | int]) -> list[dict[str, Any]]:
    missing, unknown = CONDITION_KEYS - node.keys(), node.keys() - CONDITION_KEYS
    errors = [error_item([*loc, key], "required in a condition") for key in sorted(missing)]
    errors += [
        error_item(
            [*loc, key],
            "unknown key; a condition has attr, op, value, or use all / any / not",
        )
        for key in sorted(unknown)
    ]
    if errors:
        return errors
    attr, op, value = node["attr"], node["op"], node["value"]
    attr_error = _attribute_error(attr)
    if attr_error is not None:
        errors.append(error_item([*loc, "attr"], attr_error))
    if op not in OPERATORS:
        errors.append(
            error_item([*loc, "op"], f"unknown operator {op!r}; allowed: {', '.join(OPERATORS)}")
        )
    if errors:
        return errors
    value_error = _value_error(EMPLOYEE_ATTRIBUTES.get(attr), attr, op, value)
    return [error_item([*loc, "value"], value_error)] if value_error else []


def _attribute_error(attr: Any) -> str | None:
    if not isinstance(attr, str):
        return "the attribute is a string"
    if attr in EMPLOYEE_ATTRIBUTES:
        return None
    key = attr.removeprefix(ATTRIBUTES_PREFIX)
    if key.isidentifier():
        return None
    return (
        f"unknown attribute {attr!r}; use an employee field "
        f"({', '.join(EMPLOYEE_ATTRIBUTES)}) or a key of the employee's attributes "
        "(letters, digits and _, not starting with a digit)"
    )


# Numbers in rules stay within what every JSON reader holds exactly (2^53).
MAX_RULE_NUMBER = 2**53


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    if isinstance(value, int):  # math.isfinite overflows on a huge int
        return abs(value) <= MAX_RULE_NUMBER
    return math.isfinite(value) and -MAX_RULE_NUMBER <= value <= MAX_RULE_NUMBER


def _too_large(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_RULE_NUMBER


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool) or _is_number(value)


def _value_error(kind: Kind | None, attr: str, op: str, value: Any) -> str | None:
    values = value if isinstance(value, list) else [value]
    if any(_too_large(item) for item in values):
        return f"numbers in a rule are at most {MAX_RULE_NUMBER} in magnitude"
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            return f"{op!r} takes a non-empty list of values"
        for item in value:
            problem = _scalar_error(kind, attr, item)
            if problem:
                return f"list item {item!r}: {problem}"
        return None
    if value is None:
        return None if op in ("==", "!=") else f"{op!r} needs a value, not null"
    if op in ORDERING and kind == "text":
        return f"{attr!r} is text; {op!r} needs a number or a date field (use ==, !=, in, not_in)"
    if op in ORDERING and not (_is_number(value) or _is_iso_date(value)):
        return f"{op!r} needs a number or an ISO date (YYYY-MM-DD), got {value!r}"
    return _scalar_error(kind, attr, value)


def _scalar_error(kind: Kind | None, attr: str, value: Any) -> str | None:
    if not _is_scalar(value):
        return "a value is a string, a number or true/false"
    if kind == "number" and not _is_number(value):
        return f"{attr!r} is a number; got {value!r}"
    if kind == "date" and not _is_iso_date(value):
        return f"{attr!r} is a date; write it as YYYY-MM-DD, got {value!r}"
    if kind == "text" and not isinstance(value, str):
        return f"{attr!r} is text; got {value!r}"
    return None


# ---------------------------------------------------------------- facts


def tenure_months(hire_date: date | None, on: date) -> int | None:
    """Whole months of service on `on` (0 before the hire date); None without a hire date."""
    if hire_date is None:
        return None
    months = (on.year - hire_date.year) * 12 + (on.month - hire_date.month)
    if on.day < hire_date.day:
        months -= 1
    return max(months, 0)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _is_iso_date(value):
        return date.fromisoformat(value)
    return None


def employee_facts(employee: Mapping[str, Any], *, effective_from: date) -> dict[str, Any]:
    """What rules may test about `employee` (its API fields, e.g. an EmployeeOut dump)
    for a period starting `effective_from`."""
    facts = {name: employee.get(name) for name in EMPLOYEE_ATTRIBUTES}
    facts["hire_date"] = _as_date(employee.get("hire_date"))
    facts["tenure_months"] = tenure_months(facts["hire_date"], effective_from)
    facts["attributes"] = dict(employee.get("attributes") or {})
    return facts


def _fact(facts: Mapping[str, Any], attr: str) -> Any:
    if attr in EMPLOYEE_ATTRIBUTES:
        return facts.get(attr)
    attributes = facts.get("attributes") or {}
    return attributes.get(attr.removeprefix(ATTRIBUTES_PREFIX))


# ---------------------------------------------------------------- evaluation


def evaluate(rule: Mapping[str, Any] | None, facts: Mapping[str, Any]) -> EligibilityResult:
    """Whether `facts` (see `employee_facts`) satisfy a *validated* rule, and if not, why."""
    if rule is None:
        return ELIGIBLE
    if "all" in rule:
        reasons = [r.reason for r in (evaluate(c, facts) for c in rule["all"]) if not r.ok]
        return EligibilityResult(False, "; ".join(map(str, reasons))) if reasons else ELIGIBLE
    if "any" in rule:
        results = [evaluate(child, facts) for child in rule["any"]]
        if any(result.ok for result in results):
            return ELIGIBLE
        parts = [str(result.reason).removeprefix("requires ") for result in results]
        return EligibilityResult(False, "requires " + " or ".join(parts))
    if "not" in rule:
        if evaluate(rule["not"], facts).ok:
            return EligibilityResult(False, f"not available with {describe(rule['not'])}")
        return ELIGIBLE
    return _evaluate_condition(rule, facts)


def _evaluate_condition(rule: Mapping[str, Any], facts: Mapping[str, Any]) -> EligibilityResult:
    attr, op, value = rule["attr"], rule["op"], rule["value"]
    fact = _fact(facts, attr)
    if _holds(EMPLOYEE_ATTRIBUTES.get(attr), fact, op, value):
        return ELIGIBLE
    have = "not recorded for you" if fact is None else f"you have {_format(fact)}"
    return EligibilityResult(False, f"requires {describe(rule)} ({have})")


def _comparable(kind: Kind | None, fact: Any, value: Any) -> tuple[Any, Any] | None:
    """Both sides in one comparable type, or None when they cannot be compared."""
    if kind == "date" or (_as_date(fact) is not None and _is_iso_date(value)):
        left, right = _as_date(fact), _as_date(value)
        return (left, right) if left is not None and right is not None else None
    if _is_number(fact) and _is_number(value):
        return fact, value
    if isinstance(fact, str) and isinstance(value, str):
        return fact, value
    if isinstance(fact, bool) and isinstance(value, bool):
        return fact, value
    return None


def _holds(kind: Kind | None, fact: Any, op: str, value: Any) -> bool:
    if op in ("in", "not_in"):
        found = any(_equal(kind, fact, item) for item in value)
        return found if op == "in" else fact is not None and not found
    if op == "==":
        return _equal(kind, fact, value)
    if op == "!=":
        return not _equal(kind, fact, value)
    pair = _comparable(kind, fact, value)
    if pair is None:
        return False
    left, right = pair
    return bool(
        {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    )


def _equal(kind: Kind | None, fact: Any, value: Any) -> bool:
    if fact is None or value is None:
        return fact is None and value is None
    pair = _comparable(kind, fact, value)
    return pair is not None and bool(pair[0] == pair[1])


# ---------------------------------------------------------------- plain words


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_format(item) for item in value)
    if value is None:
        return "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _label(attr: str) -> str:
    if attr in LABELS:
        return LABELS[attr]
    return attr.removeprefix(ATTRIBUTES_PREFIX).replace("_", " ")


def describe(rule: Mapping[str, Any]) -> str:
    """A rule in plain words, e.g. "tenure of at least 6 months and grade one of L2, L3"."""
    if "all" in rule:
        return " and ".join(_describe_nested(child) for child in rule["all"])
    if "any" in rule:
        return " or ".join(_describe_nested(child) for child in rule["any"])
    if "not" in rule:
        return f"not {_describe_nested(rule['not'])}"
    return _describe_condition(rule["attr"], rule["op"], rule["value"])


def _describe_nested(rule: Mapping[str, Any]) -> str:
    """Parenthesised when it is itself a combination of several rules."""
    text = describe(rule)
    children = rule.get("all") or rule.get("any") or []
    return f"({text})" if len(children) > 1 else text


DATE_PHRASES = {"<": "before", "<=": "on or before", ">": "after", ">=": "on or after"}
NUMBER_PHRASES = {"<": "less than", "<=": "at most", ">": "more than", ">=": "at least"}


def _describe_condition(attr: str, op: str, value: Any) -> str:
    label, unit, shown = _label(attr), UNITS.get(attr, ""), _format(value)
    kind = EMPLOYEE_ATTRIBUTES.get(attr)
    if op in ORDERING:
        if kind == "date" or _is_iso_date(value):
            return f"{label} {DATE_PHRASES[op]} {shown}"
        return f"{label} of {NUMBER_PHRASES[op]} {shown}{unit}"
    if op == "in":
        return f"{label} one of {shown}"
    if op == "not_in":
        return f"{label} not one of {shown}"
    if isinstance(value, bool):
        return f"{label}: {shown}" if op == "==" else f"{label} not {shown}"
    if op == "!=":
        return f"{label} other than {shown}{unit}"
    return f"{label} of {shown}{unit}" if kind == "number" else f"{label} {shown}"
