from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from solver.errors import ProblemError
from solver.load import load_problem, load_problem_file
from solver.types import Preference
from tests.solver.factories import benefit, design_example, employee, problem_doc

Doc = dict[str, Any]


def _set(path: list[str | int], value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def _append(path: list[str | int], value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target: Any = doc
        for step in path:
            target = target[step]
        target.append(value)

    return mutate


def _delete(path: list[str | int]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


# (case id, mutation of the DESIGN.md example, expected JSON path, fragment of the message)
CASES: list[tuple[str, Callable[[Doc], None], str, str]] = [
    ("format", _set(["format"], "flexben.problem/v2"), "$.format", "flexben.problem/v1"),
    ("currency shape", _set(["currency"], "eur"), "$.currency", "ISO 4217"),
    ("missing field", _delete(["employees"]), "$.employees", "is required"),
    ("unknown top field", _set(["extra"], 1), "$.extra", "unknown field 'extra'"),
    ("points bool", _set(["points_per_employee"], True), "$.points_per_employee", "integer"),
    ("points zero", _set(["points_per_employee"], 0), "$.points_per_employee", ">= 1"),
    ("objective", _set(["policy", "objective"], "max"), "$.policy.objective", "utilitarian"),
    (
        "tolerance < 0",
        _set(["policy", "equity_tolerance"], -0.1),
        "$.policy.equity_tolerance",
        ">= 0",
    ),
    (
        "tolerance text",
        _set(["policy", "equity_tolerance"], "0.1"),
        "$.policy.equity_tolerance",
        "number",
    ),
    (
        "absolute float",
        _set(["policy", "equity_absolute"], 10.0),
        "$.policy.equity_absolute",
        "integer",
    ),
    ("unknown policy field", _set(["policy", "fairness"], 1), "$.policy.fairness", "unknown field"),
    ("negative cost", _set(["benefits", 1, "cost"], -5), "$.benefits[1].cost", ">= 0"),
    ("float cost", _set(["benefits", 1, "cost"], 360.5), "$.benefits[1].cost", "integer"),
    ("bool cost", _set(["benefits", 1, "cost"], False), "$.benefits[1].cost", "integer"),
    ("max_units 0", _set(["benefits", 2, "max_units"], 0), "$.benefits[2].max_units", ">= 1"),
    ("capacity < 0", _set(["benefits", 3, "capacity"], -1), "$.benefits[3].capacity", ">= 0"),
    ("core not bool", _set(["benefits", 0, "core"], "yes"), "$.benefits[0].core", "true or false"),
    (
        "duplicate benefit",
        _set(["benefits", 2, "id"], "GYM"),
        "$.benefits[2].id",
        "duplicate benefit id",
    ),
    (
        "unknown requires",
        _set(["benefits", 6, "requires"], ["NOPE"]),
        "$.benefits[6].requires[0]",
        "unknown benefit 'NOPE'",
    ),
    (
        "self requires",
        _set(["benefits", 1, "requires"], ["GYM"]),
        "$.benefits[1].requires",
        "requires itself",
    ),
    (
        "requires cycle",
        lambda d: (
            _set(["benefits", 1, "requires"], ["LEAVE"])(d),
            _set(["benefits", 2, "requires"], ["GYM"])(d),
        ),
        "$.benefits[1].requires",
        "requires cycle: GYM -> LEAVE -> GYM",
    ),
    (
        "exclusive multi-unit",
        _set(["benefits", 4, "max_units"], 2),
        "$.benefits[4].max_units",
        "exclusive group 'dental'",
    ),
    (
        "core exclusive",
        _set(["benefits", 0, "exclusive_group"], "dental"),
        "$.benefits[0].exclusive_group",
        "core benefit",
    ),
    (
        "core requires optional",
        _set(["benefits", 0, "requires"], ["GYM"]),
        "$.benefits[0].requires",
        "only require core",
    ),
    (
        "unknown benefit field",
        _set(["benefits", 1, "colour"], "red"),
        "$.benefits[1].colour",
        "unknown field",
    ),
    (
        "duplicate employee",
        _set(["employees", 1, "id"], "E00042"),
        "$.employees[1].id",
        "duplicate employee id",
    ),
    ("missing group", _delete(["employees", 1, "group"]), "$.employees[1].group", "is required"),
    (
        "negative allowance",
        _set(["employees", 0, "allowance"], -1),
        "$.employees[0].allowance",
        ">= 0",
    ),
    ("need zero", _set(["employees", 0, "need"], 0), "$.employees[0].need", "> 0"),
    (
        "top_up negative",
        _set(["employees", 0, "top_up_limit"], -3),
        "$.employees[0].top_up_limit",
        ">= 0",
    ),
    (
        "unknown eligible",
        _set(["employees", 0, "eligible"], ["GYM", "SPA"]),
        "$.employees[0].eligible[1]",
        "unknown benefit 'SPA'",
    ),
    (
        "duplicate eligible",
        _set(["employees", 0, "eligible"], ["GYM", "GYM"]),
        "$.employees[0].eligible[1]",
        "listed twice",
    ),
    (
        "unknown preference",
        _set(["employees", 0, "preferences", "SPA"], 10),
        "$.employees[0].preferences.SPA",
        "unknown benefit",
    ),
    (
        "points zero pref",
        _set(["employees", 0, "preferences", "GYM"], 0),
        "$.employees[0].preferences.GYM",
        ">= 1",
    ),
    (
        "points float pref",
        _set(["employees", 0, "preferences", "GYM"], 4.0),
        "$.employees[0].preferences.GYM",
        "integer",
    ),
    (
        "units too many",
        _set(["employees", 0, "preferences", "LEAVE", "units"], 6),
        "$.employees[0].preferences.LEAVE.units",
        "from 1 to 5",
    ),
    (
        "units zero",
        _set(["employees", 0, "preferences", "LEAVE", "units"], 0),
        "$.employees[0].preferences.LEAVE.units",
        "from 1 to 5",
    ),
    (
        "unknown pref field",
        _set(["employees", 0, "preferences", "LEAVE", "weight"], 1),
        "$.employees[0].preferences.LEAVE.weight",
        "unknown field",
    ),
    (
        "points over budget",
        _set(["employees", 0, "preferences", "GYM"], 41),
        "$.employees[0].preferences",
        "spends 101 points",
    ),
    (
        "unknown employee field",
        _set(["employees", 0, "salary"], 1),
        "$.employees[0].salary",
        "unknown field",
    ),
    (
        "core requires ineligible",
        lambda d: (
            _append(["benefits"], {"id": "LIFE", "cost": 1, "core": True, "requires": ["HEALTH"]})(
                d
            ),
            _set(["employees", 0, "eligible"], ["LIFE", "GYM", "LEAVE"])(d),
        ),
        "$.employees[0].eligible",
        "must include 'HEALTH'",
    ),
    (
        "duplicate budget",
        _set(["budgets", 1, "id"], "total"),
        "$.budgets[1].id",
        "duplicate budget id",
    ),
    ("budget cap negative", _set(["budgets", 0, "cap"], -1), "$.budgets[0].cap", ">= 0"),
    (
        "budget unknown group",
        _set(["budgets", 1, "groups"], ["HQ-L9"]),
        "$.budgets[1].groups[0]",
        "no employee is in it",
    ),
    (
        "budget unknown benefit",
        _set(["budgets", 2, "benefits"], ["BIKE"]),
        "$.budgets[2].benefits[0]",
        "unknown benefit 'BIKE'",
    ),
    (
        "budget empty scope",
        _set(["budgets", 2, "benefits"], []),
        "$.budgets[2].benefits",
        "at least one",
    ),
    (
        "duplicate peer group",
        _append(["peer_groups"], {"id": "SALES-L1"}),
        "$.peer_groups[1].id",
        "duplicate peer group id",
    ),
    (
        "unused peer group",
        _append(["peer_groups"], {"id": "HQ-L2"}),
        "$.peer_groups[1].id",
        "has no employees",
    ),
    (
        "group tolerance < 0",
        _set(["peer_groups", 0, "equity_tolerance"], -1),
        "$.peer_groups[0].equity_tolerance",
        ">= 0",
    ),
    ("not an object", _set(["employees", 1], "E1"), "$.employees[1]", "JSON object"),
]


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_is_reported_with_path_and_reason(
    mutate: Callable[[Doc], None], path: str, fragment: str
) -> None:
    doc = design_example()
    mutate(doc)
    with pytest.raises(ProblemError) as raised:
        load_problem(doc)
    found = [(issue.path, issue.message) for issue in raised.value.issues]
    assert any(p == path and fragment in m for p, m in found), found


def test_every_issue_is_collected_not_just_the_first() -> None:
    doc = design_example()
    doc["currency"] = "euro"
    doc["benefits"][1]["cost"] = -1
    doc["employees"][0]["preferences"]["SPA"] = 1
    with pytest.raises(ProblemError) as raised:
        load_problem(doc)
    paths = {issue.path for issue in raised.value.issues}
    assert {"$.currency", "$.benefits[1].cost", "$.employees[0].preferences.SPA"} <= paths


def test_valid_document_loads_with_exact_ratios_and_sorted_employees() -> None:
    problem = load_problem(design_example())
    assert [e.id for e in problem.employees] == ["E00007", "E00042"]
    assert problem.policy.equity_tolerance == Fraction(3, 20)
    assert problem.peer_groups[0].equity_tolerance == Fraction(1, 10)
    ana = problem.employees[1]
    assert ana.preferences == (("GYM", Preference(40)), ("LEAVE", Preference(60, 3)))
    assert ana.eligible == frozenset({"HEALTH", "GYM", "LEAVE", "PARKING"})
    assert problem.employees[0].eligible is None  # default: every benefit


def test_preferences_on_core_and_ineligible_benefits_are_allowed() -> None:
    doc = design_example()
    doc["employees"][0]["preferences"] = {"HEALTH": 10, "DENTAL-A": 20}  # core, not eligible
    problem = load_problem(doc)
    assert dict(problem.employees[1].preferences) == {
        "DENTAL-A": Preference(20),
        "HEALTH": Preference(10),
    }


def test_file_with_invalid_json_or_nan_is_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ProblemError, match="not valid JSON"):
        load_problem_file(broken)
    doc = design_example()
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps(doc).replace('"need": 1.0', '"need": NaN'), encoding="utf-8")
    with pytest.raises(ProblemError, match="NaN"):
        load_problem_file(nan)


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(design_example()), encoding="utf-8")
    assert load_problem_file(path) == load_problem(design_example())


def test_references_to_an_invalid_benefit_are_not_reported_as_unknown() -> None:
    doc = design_example()
    doc["benefits"][1]["cost"] = -1  # GYM, which E00042 lists and wants
    with pytest.raises(ProblemError) as raised:
        load_problem(doc)
    assert [issue.path for issue in raised.value.issues] == ["$.benefits[1].cost"]


def test_null_optional_fields_mean_their_defaults() -> None:
    doc = design_example()
    doc["policy"] = None
    doc["peer_groups"] = None
    doc["benefits"][6]["requires"] = None
    doc["employees"][0]["eligible"] = None
    doc["employees"][1]["preferences"] = None
    problem = load_problem(doc)
    assert problem.peer_groups == () and problem.policy.objective == "utilitarian"
    assert problem.employees[1].eligible is None and problem.employees[0].preferences == ()


def test_the_leftover_policy_is_carried_and_checked_but_never_changes_the_solve() -> None:
    from solver.api import solve_document

    settled = {**design_example(), "leftover_policy": "cash"}
    assert load_problem(settled) == load_problem(design_example())
    timeless = ("notes", "solver")  # wall-clock figures

    def outcome(doc: Doc) -> dict[str, Any]:
        return {k: v for k, v in solve_document(doc).items() if k not in timeless}

    assert outcome(settled) == outcome(design_example())
    with pytest.raises(ProblemError) as raised:
        load_problem({**design_example(), "leftover_policy": "burn"})
    assert [(i.path, i.message) for i in raised.value.issues] == [
        ("$.leftover_policy", "must be one of: forfeit, cash, carry_over")
    ]


def test_every_valid_form_of_an_employee_loads_alike() -> None:
    forms: list[Any] = [
        employee("A", preferences={"GYM": 5}),
        employee(
            "A",
            preferences={"GYM": {"points": 5}},
            allowance=None,
            need=1,
            top_up_limit=0,
            eligible=None,
        ),
        employee("A", preferences={"GYM": {"points": 5, "units": 1}}, need=1.0),
        OrderedDict(employee("A", preferences=OrderedDict(GYM=5))),  # not a plain dict
    ]
    loaded = [
        load_problem(problem_doc(benefits=[benefit("GYM")], employees=[form])) for form in forms
    ]
    assert all(problem == loaded[0] for problem in loaded)


def test_a_broken_value_shared_by_employees_is_reported_for_each() -> None:
    doc = problem_doc(
        benefits=[
            benefit("HEALTH", core=True, requires=["LIFE"]),
            benefit("LIFE", core=True),
            benefit("GYM"),
        ],
        employees=[
            employee("A", eligible=["HEALTH", "GYM"], preferences={"GYM": 0}),
            employee("B", eligible=["HEALTH", "GYM"], preferences={"GYM": 0}),
            employee("C", eligible=["HEALTH", "LIFE", "GYM"], preferences={"GYM": 5}),
        ],
    )
    with pytest.raises(ProblemError) as raised:
        load_problem(doc)
    assert [issue.path for issue in raised.value.issues] == [
        "$.employees[0].eligible",
        "$.employees[0].preferences.GYM",
        "$.employees[1].eligible",
        "$.employees[1].preferences.GYM",
    ]


def test_what_one_document_allows_is_checked_again_for_the_next() -> None:
    def doc(*, max_units: int) -> Doc:
        return problem_doc(
            benefits=[benefit("LEAVE", max_units=max_units)],
            employees=[employee("A", preferences={"LEAVE": {"points": 5, "units": 3}})],
        )

    load_problem(doc(max_units=3))
    with pytest.raises(ProblemError) as raised:
        load_problem(doc(max_units=2))
    assert [issue.path for issue in raised.value.issues] == [
        "$.employees[0].preferences.LEAVE.units"
    ]
