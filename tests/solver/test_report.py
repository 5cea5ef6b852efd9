from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import pytest

from solver.engine import solve
from solver.families import FAMILIES
from solver.generate import generate
from solver.load import load_problem
from solver.report import ResultDocument, build_result, to_json, to_json_bytes
from solver.types import (
    Assignment,
    Infeasibility,
    Line,
    Problem,
    SolveOptions,
    SolveOutcome,
    SolverInfo,
)
from solver.validate import Violation, check_result, round_float
from tests.solver.factories import benefit, employee, problem_doc


def problem() -> Problem:
    return load_problem(
        problem_doc(
            budgets=[{"id": "total", "cap": 10000}],
            policy={"equity_tolerance": 1},
            benefits=[
                benefit("HEALTH", cost=100, core=True),
                benefit("GYM", cost=300),
                benefit("PARK", cost=200, capacity=1),
            ],
            employees=[
                employee("B", group="G2", preferences={"GYM": 50, "PARK": 50}),
                employee("A", group="G1", preferences={"GYM": 60, "PARK": 40}),
                employee("C", group="G1", preferences={"PARK": 10}),
                employee("D", group="G1"),  # not a participant
            ],
        )
    )


def assignment() -> Assignment:
    return {
        ("D", "HEALTH"): Line(1),
        ("A", "HEALTH"): Line(1),
        ("A", "GYM"): Line(1),
        ("B", "HEALTH"): Line(1),
        ("B", "PARK"): Line(1),
        ("C", "HEALTH"): Line(1),
    }


def outcome(*, seconds: float = 1.234567891, **changes: object) -> SolveOutcome:
    fields: dict[str, object] = {
        "status": "feasible",
        "assignment": assignment(),
        "objective": 2.1,
        "bound": 2.5,
        "solver": SolverInfo(name="test", version="1", seconds=seconds),
    }
    fields.update(changes)
    return SolveOutcome(**fields)  # type: ignore[arg-type]


def test_document_sections_and_order() -> None:
    doc = build_result(problem(), outcome())
    assert doc["format"] == "flexben.allocation/v1"
    assert [(row["employee"], row["benefit"]) for row in doc["allocations"]] == sorted(assignment())
    assert [row["id"] for row in doc["employees"]] == ["A", "B", "C", "D"]
    by_id = {row["id"]: row for row in doc["employees"]}
    assert by_id["A"]["satisfaction"] == 0.6 and by_id["A"]["value"] == 300
    assert by_id["D"]["satisfaction"] is None
    assert by_id["C"]["explanations"] == [
        {
            "benefit": "PARK",
            "reasons": ["capacity"],
            "details": [{"code": "capacity", "places": 1}],
            "units_wanted": 1,
            "units_received": 0,
            "text": "PARK had 1 place and all were allocated.",
        }
    ]
    assert doc["groups"][0] == {
        "id": "G1",
        "participants": 2,
        "mean_value": 150,
        "max_ratio": 2.0,
        "tolerance": 1.0,
        "absolute": 0,
    }
    assert doc["budgets"] == [{"id": "total", "cap": 10000, "used": 900}]
    assert doc["capacity"] == [{"benefit": "PARK", "capacity": 1, "used": 1}]
    assert doc["objective"] == 1.1  # recomputed exactly: 0.6 + 0.5 + 0, not the engine's 2.1
    assert doc["gap"] == 0.56  # (2.5 - 1.1) / 2.5
    assert check_result(problem(), doc) == []


def test_kpis() -> None:
    kpis = build_result(problem(), outcome())["kpis"]
    assert kpis["employees"] == 4 and kpis["participants"] == 3
    # satisfaction of A, B, C: 0.6, 0.5, 0
    assert kpis["min_satisfaction"] == 0.0 and kpis["p10_satisfaction"] == 0.0
    assert kpis["median_satisfaction"] == 0.5
    assert kpis["mean_satisfaction"] == 0.366667
    assert kpis["top_choice_share"] == 0.666667  # A got GYM, B a tied top choice, C nothing
    assert kpis["full_satisfaction_share"] == 0.0
    assert kpis["gini_satisfaction"] == 0.363636  # (2*0.6 - 0) / (3 * 1.1)
    assert kpis["held_back_capacity"] == 2 and kpis["held_back_equity_band"] == 0  # A, C: PARK
    assert kpis["not_selected"] == 1  # B: GYM, nothing in the way
    assert kpis["total_employer_cost"] == 900 and kpis["core_employer_cost"] == 400
    assert kpis["optional_employer_cost"] == 500 and kpis["total_employee_cost"] == 0


def test_json_is_deterministic_and_reproducible_mode_zeroes_the_clock() -> None:
    slow = to_json(build_result(problem(), outcome(seconds=9.87), reproducible=True))
    fast = to_json(build_result(problem(), outcome(seconds=0.01), reproducible=True))
    assert slow == fast
    assert json.loads(slow)["solver"]["seconds"] == 0.0
    assert '"seconds":0.0' in slow
    timed = json.loads(to_json(build_result(problem(), outcome())))
    assert timed["solver"]["seconds"] == 1.234568  # rounded to 6 decimals


def test_to_json_sorts_keys_and_rounds_floats() -> None:
    text = to_json({"b": [3, 1], "a": 1 / 3, "c": {"z": -0.0000001, "y": None}}, indent=1)
    assert (
        text
        == '{\n "a": 0.333333,\n "b": [\n  3,\n  1\n ],\n "c": {\n  "y": null,\n  "z": 0.0\n }\n}\n'
    )


def test_infeasible_and_error_documents_carry_no_allocation() -> None:
    reason = Infeasibility(constraint="budget:total", required=5, available=4, text="over")
    doc = build_result(
        problem(), outcome(status="infeasible", assignment={}, infeasibility=(reason,))
    )
    assert doc["status"] == "infeasible" and doc["allocations"] == []
    assert doc["infeasibility"] == [
        {"constraint": "budget:total", "required": 5, "available": 4, "text": "over"}
    ]
    broken = build_result(problem(), outcome(), violations=[Violation("budget", "total", "over")])
    assert broken["status"] == "error" and broken["allocations"] == []
    assert broken["violations"] == [
        {"family": "budget", "key": "total", "numbers": {}, "text": "over"}
    ]
    assert check_result(problem(), broken) == []
    many = build_result(
        problem(), outcome(), violations=[Violation("budget", "total", "over")] * 150
    )
    assert (many["violation_count"], len(many["violations"])) == (150, 100)


def test_compact_json_by_default() -> None:
    assert to_json({"b": 1.0, "a": [1, 2]}) == '{"a":[1,2],"b":1.0}\n'


def test_compact_json_is_utf8_bytes_with_every_number_exact() -> None:
    doc = {"é": "Prévoyance", "small": 0.0000123, "z": 10**30, "a": -2.5}
    data = to_json_bytes(doc)
    assert data.endswith(b"\n") and to_json(doc) == data.decode("utf-8")
    assert "Prévoyance".encode() in data  # not escaped
    # orjson refuses integers beyond 64 bits: the standard library writes those documents
    assert json.loads(data) == {"a": -2.5, "small": 0.000012, "z": 10**30, "é": "Prévoyance"}
    assert list(json.loads(data)) == ["a", "small", "z", "é"]  # keys sorted
    assert json.loads(to_json_bytes({"small": 0.0000123})) == {"small": 0.000012}


def test_a_bound_below_the_achieved_objective_is_discarded_with_a_note() -> None:
    doc = build_result(problem(), outcome(bound=0.5))  # achieved 1.1
    assert doc["bound"] is None and doc["gap"] is None
    assert "below the achieved objective" in doc["notes"][-1]
    noise = build_result(problem(), outcome(bound=1.1 - 1e-9))
    assert noise["bound"] == 1.1 and noise["gap"] == 0.0


def test_reproducible_mode_zeroes_durations_in_notes() -> None:
    noted = outcome(notes=("polish (total 9.1437): 0.72s", "rounds 3"))
    assert build_result(problem(), noted, reproducible=True)["notes"] == [
        "polish (total 9.1437): 0.00s",
        "rounds 3",
    ]
    assert build_result(problem(), noted)["notes"][0].endswith("0.72s")


def _floats(value: object) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _floats(item)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_float_of_a_real_result_is_rounded_when_it_is_made(name: str) -> None:
    """to_json writes a ResultDocument without rounding it: build_result must have."""
    doc = generate(employees=60, seed=5, family_name=name)
    doc["policy"]["equity_tolerance"] = 0.12345678  # the band's figures: a float to round
    problem = load_problem(doc)
    result = build_result(problem, solve(problem, SolveOptions(time_limit_s=20, max_rounds=0)))
    floats = list(_floats(result))
    assert isinstance(result, ResultDocument) and result["status"] in ("optimal", "feasible")
    assert 0.123457 in floats  # a group's tolerance, and the figures of any equity_band reason
    assert [value for value in floats if value != round_float(value) or str(value) == "-0.0"] == []
    assert to_json(result) == to_json(dict(result))  # a plain copy is walked and rounded


def test_an_error_documents_violation_figures_are_rounded_too() -> None:
    odd = Violation("value", "A", "stated 1/3", {"stated": 1 / 3})
    broken = build_result(problem(), outcome(), violations=[odd])
    assert broken["violations"][0]["numbers"] == {"stated": 0.333333}
    assert to_json(broken) == to_json(dict(broken))


def test_building_a_result_leaves_the_garbage_collector_as_it_was() -> None:
    assert gc.isenabled()
    build_result(problem(), outcome())
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        build_result(problem(), outcome())
        assert not gc.isenabled()
    finally:
        gc.enable()
