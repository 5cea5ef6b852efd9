from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.benefits.eligibility import (
    EligibilityResult,
    describe,
    employee_facts,
    evaluate,
    tenure_months,
    validate_rule,
)

PERIOD_START = date(2027, 1, 1)


def facts(**employee: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "external_id": "E1",
        "grade": "L2",
        "location": "HQ",
        "employment_type": "full_time",
        "hire_date": "2026-09-01",
        "fte": 1.0,
        "attributes": {},
    }
    return employee_facts({**base, **employee}, effective_from=PERIOD_START)


def cond(attr: str, op: str, value: Any) -> dict[str, Any]:
    return {"attr": attr, "op": op, "value": value}


@pytest.mark.parametrize(
    ("hire", "on", "months"),
    [
        (date(2026, 9, 1), date(2027, 1, 1), 4),
        (date(2026, 9, 2), date(2027, 1, 1), 3),
        (date(2020, 1, 31), date(2020, 2, 29), 0),
        (date(2027, 3, 1), date(2027, 1, 1), 0),
        (None, date(2027, 1, 1), None),
    ],
)
def test_tenure_months_counts_whole_months(hire: date | None, on: date, months: int | None) -> None:
    assert tenure_months(hire, on) == months


def test_the_documented_reason() -> None:
    rule = {"all": [cond("tenure_months", ">=", 6)]}
    assert evaluate(rule, facts()) == EligibilityResult(
        False, "requires tenure of at least 6 months (you have 4)"
    )
    assert evaluate(rule, facts(hire_date="2025-01-01")).ok


def test_no_rule_means_everyone() -> None:
    assert evaluate(None, facts()) == EligibilityResult(True, None)


@pytest.mark.parametrize(
    ("rule", "ok"),
    [
        (cond("grade", "==", "L2"), True),
        (cond("grade", "!=", "L2"), False),
        (cond("grade", "in", ["L1", "L2"]), True),
        (cond("grade", "not_in", ["L1", "L2"]), False),
        (cond("fte", "<", 1), False),
        (cond("fte", "<=", 1), True),
        (cond("fte", ">", 0.5), True),
        (cond("hire_date", "<", "2026-09-02"), True),
        (cond("hire_date", ">=", "2026-09-02"), False),
        (cond("union_member", "==", True), True),
        (cond("attributes.union_member", "==", True), True),
        (cond("union_member", "==", False), False),
        (cond("shift", "==", "night"), False),  # missing attribute: not eligible
        (cond("shift", "!=", "night"), True),
        (cond("shift", "not_in", ["night"]), False),  # unknown value is not "not night"
        (cond("need_reason", "==", None), True),
        (cond("fte", ">", "0.5"), False),  # mismatched types never compare
        ({"any": [cond("grade", "==", "L9"), cond("location", "==", "HQ")]}, True),
        ({"any": [cond("grade", "==", "L9"), cond("location", "==", "X")]}, False),
        ({"not": cond("employment_type", "==", "contractor")}, True),
        ({"not": cond("employment_type", "==", "full_time")}, False),
    ],
)
def test_operators(rule: dict[str, Any], ok: bool) -> None:
    result = evaluate(rule, facts(attributes={"union_member": True}))
    assert result.ok is ok
    assert (result.reason is None) is ok


def test_reasons_are_plain_words() -> None:
    employee = facts(attributes={"union_member": False})
    assert evaluate(cond("grade", "in", ["L3", "L4"]), employee).reason == (
        "requires grade one of L3, L4 (you have L2)"
    )
    assert evaluate(cond("shift", "==", "night"), employee).reason == (
        "requires shift night (not recorded for you)"
    )
    assert evaluate(cond("hire_date", "<", "2026-01-01"), employee).reason == (
        "requires hire date before 2026-01-01 (you have 2026-09-01)"
    )
    either = {"any": [cond("grade", "==", "L3"), cond("tenure_months", ">=", 12)]}
    assert evaluate(either, employee).reason == (
        "requires grade L3 (you have L2) or tenure of at least 12 months (you have 4)"
    )
    assert evaluate({"not": cond("location", "==", "HQ")}, employee).reason == (
        "not available with location HQ"
    )


def test_all_reports_every_failing_condition() -> None:
    rule = {"all": [cond("grade", "==", "L3"), cond("location", "==", "HQ"), cond("fte", ">=", 2)]}
    reason = evaluate(rule, facts()).reason
    assert reason == "requires grade L3 (you have L2); requires FTE of at least 2 (you have 1)"


def test_describe_nests_with_parentheses() -> None:
    rule = {
        "all": [
            cond("tenure_months", ">=", 6),
            {"any": [cond("grade", "==", "L3"), cond("location", "==", "HQ")]},
        ]
    }
    assert describe(rule) == "tenure of at least 6 months and (grade L3 or location HQ)"


@pytest.mark.parametrize(
    ("rule", "loc", "fragment"),
    [
        ([], [], "a rule is an object"),
        ({"all": []}, ["all"], "non-empty list"),
        ({"all": [1]}, ["all", 0], "a rule is an object"),
        ({"all": [], "any": []}, [], "no other keys"),
        ({"not": {"attr": "grade", "op": "~", "value": 1}}, ["not", "op"], "allowed: ==, !="),
        (cond("hire-date", "==", "x"), ["attr"], "unknown attribute 'hire-date'"),
        (cond("attributes.2x", "==", "x"), ["attr"], "unknown attribute"),
        (cond(3, "==", "x"), ["attr"], "string"),
        ({"attr": "grade", "op": "=="}, ["value"], "required"),
        ({"attr": "grade", "op": "==", "value": 1, "x": 2}, ["x"], "unknown key"),
        (cond("grade", "<", "L2"), ["value"], "is text"),
        (cond("tenure_months", ">=", "six"), ["value"], "needs a number or an ISO date"),
        (cond("tenure_months", "==", "6"), ["value"], "is a number"),
        (cond("hire_date", "==", "01/02/2020"), ["value"], "is a date"),
        (cond("grade", "in", "L2"), ["value"], "non-empty list"),
        (cond("grade", "in", ["L2", {"a": 1}]), ["value"], "list item"),
        (cond("grade", ">=", None), ["value"], "not null"),
        (cond("shift", "==", {"a": 1}), ["value"], "a string, a number or true/false"),
    ],
)
def test_validation_names_the_bad_path(rule: Any, loc: list[Any], fragment: str) -> None:
    errors = validate_rule(rule, ["body", "eligibility"])
    assert errors, rule
    assert errors[0]["loc"] == ["body", "eligibility", *loc]
    assert fragment in errors[0]["msg"]


def test_validation_reports_every_error() -> None:
    rule = {"all": [cond("grade", "<", "x"), cond("a b", "==", 1), {"any": []}]}
    assert [e["loc"] for e in validate_rule(rule)] == [
        ["all", 0, "value"],
        ["all", 1, "attr"],
        ["all", 2, "any"],
    ]


def test_valid_rules_pass() -> None:
    rule = {
        "all": [
            cond("tenure_months", ">=", 6),
            cond("hire_date", "<=", "2026-06-30"),
            {"not": cond("employment_type", "in", ["contractor", "intern"])},
            {"any": [cond("union_member", "==", True), cond("attributes.site_code", "==", 7)]},
        ]
    }
    assert validate_rule(rule) == []
    assert validate_rule(None) == []


def test_rules_deeper_than_the_limit_are_refused() -> None:
    rule: dict[str, Any] = cond("grade", "==", "L1")
    for _ in range(20):
        rule = {"not": rule}
    assert "nest at most" in validate_rule(rule)[0]["msg"]


def test_decimal_and_date_facts_from_models_compare() -> None:
    from decimal import Decimal

    employee = employee_facts(
        {"fte": Decimal("0.8"), "hire_date": date(2020, 5, 1)}, effective_from=PERIOD_START
    )
    assert evaluate(cond("fte", ">=", 0.5), employee).ok
    assert not evaluate(cond("fte", "==", 1), employee).ok
    assert employee["tenure_months"] == 80
    assert evaluate(cond("hire_date", "<", "2021-01-01"), employee).ok
