"""One employee re-allocated after publication: exact small cases and a brute-force oracle."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest

from solver.event import (
    EventRequest,
    FrozenGroup,
    check_event,
    event_world,
    prorate,
    reallocate,
    segment_line,
)
from solver.load import load_problem
from solver.types import FixedLine, Line, Problem
from tests.solver.brute_force import bundles
from tests.solver.factories import benefit, employee, problem_doc


def world_doc(*, hire_prefs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return problem_doc(
        benefits=fields.pop(
            "benefits",
            [
                benefit("HEALTH", cost=3650, core=True),
                benefit("GYM", cost=7300),
                benefit("PARKING", cost=3650, capacity=1),
                benefit("LEAVE", cost=730, max_units=3),
            ],
        ),
        employees=[
            employee("E1", preferences={"PARKING": 50, "GYM": 50}),
            employee("E2", preferences=hire_prefs, allowance=fields.pop("allowance", 20000)),
        ],
        **fields,
    )


def fixed_e1(*, holds_place: bool = True) -> tuple[FixedLine, ...]:
    return (
        FixedLine("E1", "G", "HEALTH", 1, 3650),
        FixedLine("E1", "G", "PARKING", 1, 3650, holds_place=holds_place),
        FixedLine("E1", "G", "GYM", 1, 7300),
    )


def lines_of(result: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {
        row["benefit"]: (row["units"], row["employer_cost"], row["employee_cost"])
        for row in result["allocations"]
    }


def best_by_enumeration(problem: Problem, request: EventRequest) -> Fraction | None:
    """The best satisfaction any valid segment bundle reaches (independent of the engine)."""
    world = event_world(problem, request)
    segment = world.problem
    person = segment.employees[0]
    benefits = {b.id: b for b in segment.benefits}
    best: Fraction | None = None
    for bundle in bundles(person, benefits):
        lines = {(person.id, name): Line(units, paid) for name, units, paid in bundle.lines}
        held_ok = all(lines.get(key) == line for key, line in world.held.items())
        if not held_ok or check_event(problem, request, lines):
            continue
        score = bundle.satisfaction or Fraction(0)
        best = score if best is None else max(best, score)
    return best


def test_prorate_rounds_down_once_and_refuses_days_outside_the_period() -> None:
    assert prorate(36500, 181, 365) == 18100
    assert prorate(1000, 1, 3) == 333
    assert prorate(1000, 3, 3) == 1000
    assert segment_line(1000, Line(3, 500), 1, 3) == (999 - 166, 166)
    with pytest.raises(ValueError, match="days"):
        prorate(1000, 4, 3)


def test_a_hire_gets_pro_rated_lines_and_the_fixed_parking_place_is_counted() -> None:
    problem = load_problem(world_doc(hire_prefs={"PARKING": 60, "GYM": 40}))
    request = EventRequest(employee="E2", days=183, period_days=365, fixed=fixed_e1())
    result = reallocate(problem, request)
    assert result["status"] == "optimal"
    # PARKING's only place is E1's: the hire gets GYM, at 7300 × 183 / 365 rounded down.
    assert lines_of(result) == {"HEALTH": (1, 1830, 0), "GYM": (1, 3660, 0)}
    (explained,) = result["employees"][0]["explanations"]
    assert explained["benefit"] == "PARKING"
    assert explained["reasons"] == ["capacity"]
    # The place frees up when E1's line ends before the date.
    freed = EventRequest(
        employee="E2", days=183, period_days=365, fixed=fixed_e1(holds_place=False)
    )
    assert "PARKING" in lines_of(reallocate(problem, freed))


def test_shared_budgets_count_the_fixed_lines() -> None:
    doc = world_doc(hire_prefs={"GYM": 40}, budgets=[{"id": "total", "cap": 14600 + 3650 + 2000}])
    problem = load_problem(doc)
    request = EventRequest(employee="E2", days=365, period_days=365, fixed=fixed_e1())
    result = reallocate(problem, request)
    assert lines_of(result) == {"HEALTH": (1, 3650, 0)}
    # E1's 14600 fixed plus the hire's core 3650: 2000 left, GYM costs 7300.
    assert result["budgets"] == [{"id": "total", "cap": 20250, "used": 18250}]
    (explained,) = result["employees"][0]["explanations"]
    assert explained["reasons"] == ["budget:total"]


def test_the_band_uses_the_frozen_mean_of_the_publication() -> None:
    problem = load_problem(
        world_doc(
            hire_prefs={"GYM": 40, "LEAVE": {"points": 60, "units": 3}},
            policy={"equity_tolerance": 0},
        )
    )
    # Frozen mean 2000 with tolerance 0: at most 2000 of optional value over the whole year.
    frozen = FrozenGroup(participants=3, mean=Fraction(2000))
    request = EventRequest(
        employee="E2", days=365, period_days=365, fixed=fixed_e1(), frozen=frozen
    )
    result = reallocate(problem, request)
    assert lines_of(result) == {"HEALTH": (1, 3650, 0), "LEAVE": (2, 1460, 0)}
    assert result["employees"][0]["value_cap"] == 2000
    explained = {e["benefit"]: e for e in result["employees"][0]["explanations"]}
    assert {b: e["reasons"] for b, e in explained.items()} == {
        "GYM": ["equity_band"],
        "LEAVE": ["equity_band"],
    }
    # One more LEAVE (730) on the 1460 held: above the frozen cap, named as such.
    assert explained["LEAVE"]["details"] == [
        {
            "code": "equity_band",
            "value": 2190,
            "cap": 2000,
            "per_need": False,
            "published": True,
            "mean": None,
            "tolerance": None,
            "absolute": None,
        }
    ]
    text = explained["LEAVE"]["text"]
    assert text.startswith("You received 2 of the 3 units of LEAVE")
    assert "fairness limit of 20.00 EUR set by your peer group's figures" in text
    # Half a year: the cap is pro-rated with the days (rounded down once).
    half = EventRequest(employee="E2", days=100, period_days=365, fixed=fixed_e1(), frozen=frozen)
    assert reallocate(problem, half)["employees"][0]["value_cap"] == 2000 * 100 // 365


def test_a_lone_previous_participant_has_no_band_to_meet() -> None:
    problem = load_problem(world_doc(hire_prefs={"GYM": 40}, policy={"equity_tolerance": 0}))
    alone = FrozenGroup(participants=1, mean=Fraction(0), includes_employee=True)
    request = EventRequest(employee="E2", days=365, period_days=365, frozen=alone)
    assert "GYM" in lines_of(reallocate(problem, request))


def test_a_family_event_changes_only_its_benefits_and_holds_the_rest() -> None:
    problem = load_problem(world_doc(hire_prefs={"GYM": 40, "LEAVE": {"points": 60, "units": 3}}))
    previous = {"HEALTH": Line(1), "GYM": Line(1)}
    request = EventRequest(
        employee="E2",
        days=73,
        period_days=365,
        fixed=fixed_e1(),
        previous=previous,
        changeable=frozenset({"LEAVE"}),
    )
    result = reallocate(problem, request)
    assert lines_of(result) == {
        "HEALTH": (1, 730, 0),
        "GYM": (1, 1460, 0),
        "LEAVE": (3, 438, 0),
    }
    held = {row["benefit"] for row in result["allocations"] if row["held"]}
    assert held == {"HEALTH", "GYM"}
    # The checker refuses a changed held line and a line outside the event's benefits.
    changed = {("E2", "HEALTH"): Line(1), ("E2", "LEAVE"): Line(3)}
    families = {v.family for v in check_event(problem, request, changed)}
    assert "held" in families
    outside = EventRequest(employee="E2", days=73, period_days=365, changeable=frozenset({"GYM"}))
    extra = {("E2", "HEALTH"): Line(1), ("E2", "LEAVE"): Line(1)}
    assert "changeable" in {v.family for v in check_event(problem, outside, extra)}


def test_a_held_line_keeps_what_it_requires() -> None:
    doc = world_doc(
        hire_prefs={"SPOUSE": 50, "GYM": 50},
        benefits=[
            benefit("GYM", cost=100),
            benefit("PARKING", cost=100),
            benefit("SPOUSE", cost=100, requires=["GYM"]),
        ],
    )
    problem = load_problem(doc)
    request = EventRequest(
        employee="E2",
        days=10,
        period_days=10,
        previous={"GYM": Line(1), "SPOUSE": Line(1)},
        changeable=frozenset({"GYM"}),
    )
    assert event_world(problem, request).held.keys() == {("E2", "GYM"), ("E2", "SPOUSE")}


def test_the_checker_counts_fixed_use_in_budgets_capacities_and_the_frozen_band() -> None:
    doc = world_doc(hire_prefs={"PARKING": 60, "GYM": 40}, budgets=[{"id": "total", "cap": 20000}])
    problem = load_problem(doc)
    frozen = FrozenGroup(participants=2, mean=Fraction(1000))
    request = EventRequest(
        employee="E2", days=365, period_days=365, fixed=fixed_e1(), frozen=frozen
    )
    lines = {("E2", "HEALTH"): Line(1), ("E2", "PARKING"): Line(1), ("E2", "GYM"): Line(1)}
    assert {v.family for v in check_event(problem, request, lines)} >= {
        "budget",
        "capacity",
        "equity_band",
    }


def random_case(rng: random.Random) -> tuple[Problem, EventRequest]:
    benefits = [
        benefit("CORE", cost=rng.randint(0, 400), core=True),
        benefit("A", cost=rng.randint(100, 900), capacity=rng.randint(1, 2)),
        benefit("B", cost=rng.randint(100, 900), max_units=2, exclusive_group=None),
        benefit("C", cost=rng.randint(100, 900), requires=["A"]),
        benefit("D", cost=rng.randint(100, 900), exclusive_group="x"),
        benefit("E", cost=rng.randint(100, 900), exclusive_group="x"),
    ]
    prefs = {name: rng.randint(1, 33) for name in rng.sample(["A", "B", "C", "D", "E"], 3)}
    had_d = rng.random() < 0.5
    if had_d:  # the line held from before came from a preference
        prefs = {name: points for name, points in prefs.items() if name != "E"} | {"D": 10}
    doc = problem_doc(
        policy={"equity_tolerance": rng.choice([0, 0.2, 1])},
        budgets=[{"id": "total", "cap": rng.randint(800, 4000)}],
        benefits=benefits,
        employees=[
            employee("E1"),
            employee(
                "E2",
                preferences=prefs,
                allowance=rng.choice([None, rng.randint(200, 2000)]),
                top_up_limit=rng.choice([0, 0, 3]),
            ),
        ],
    )
    fixed = tuple(
        FixedLine("E1", "G", name, 1, rng.randint(0, 900), holds_place=rng.random() < 0.7)
        for name in rng.sample(["CORE", "A", "B"], 2)
    )
    previous = {"CORE": Line(1), **({"D": Line(1)} if had_d else {})}
    changeable = rng.choice([None, frozenset({"A", "B", "C"}), frozenset({"D", "E", "CORE"})])
    period = 12
    request = EventRequest(
        employee="E2",
        days=rng.randint(1, period),
        period_days=period,
        fixed=fixed,
        frozen=rng.choice([None, FrozenGroup(participants=3, mean=Fraction(rng.randint(0, 800)))]),
        previous=previous if changeable is not None else {},
        changeable=changeable,
    )
    return load_problem(doc), request


@pytest.mark.parametrize("seed", range(40))
def test_event_runs_reach_the_brute_force_optimum_and_pass_the_checker(seed: int) -> None:
    problem, request = random_case(random.Random(seed))
    result = reallocate(problem, request)
    best = best_by_enumeration(problem, request)
    if best is None:
        assert result["status"] == "infeasible"
        return
    assert result["status"] in ("optimal", "feasible"), result
    lines = {
        ("E2", row["benefit"]): Line(row["units"], row["employee_cost"])
        for row in result["allocations"]
    }
    assert check_event(problem, request, lines) == []
    got = result["employees"][0]["satisfaction"]
    assert abs((got or 0) - float(best)) < 1e-6
