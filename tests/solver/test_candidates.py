"""Compilation: who can receive what (limits, requirements, prerequisites), and core use."""

from __future__ import annotations

from typing import Any

from solver.candidates import Person, compile_problem
from solver.load import load_problem
from tests.solver.factories import benefit, employee, problem_doc


def _persons(doc: dict[str, Any]) -> dict[str, Person]:
    return {person.id: person for person in compile_problem(load_problem(doc)).persons}


def chain_doc(**fields: Any) -> dict[str, Any]:
    """A wants CHILD, which requires SPOUSE, which requires PLUS; and GYM."""
    return problem_doc(
        benefits=[
            benefit("PLUS", cost=600),
            benefit("SPOUSE", cost=800, requires=["PLUS"]),
            benefit("CHILD", cost=100, requires=["SPOUSE"]),
            benefit("GYM", cost=300),
        ],
        employees=[employee("A", preferences={"CHILD": 60, "GYM": 40}, **fields)],
    )


def test_a_chain_whose_last_prerequisite_never_fits_is_dropped_whole() -> None:
    person = _persons(chain_doc(allowance=500))["A"]  # PLUS (600) never fits
    assert [c.benefit for c in person.candidates] == ["GYM"]
    assert (person.total_points, person.participant) == (100, True)  # wishes still count


def test_a_chain_that_fits_brings_its_prerequisites_as_single_units() -> None:
    person = _persons(chain_doc(allowance=1500, top_up_limit=100))["A"]
    assert [(c.benefit, c.max_units, c.points, c.required_by) for c in person.candidates] == [
        ("CHILD", 1, 60, ()),
        ("GYM", 1, 40, ()),
        ("PLUS", 1, 0, ("SPOUSE",)),
        ("SPOUSE", 1, 0, ("CHILD",)),
    ]


def test_a_benefit_requiring_a_core_benefit_out_of_reach_is_no_candidate() -> None:
    doc = problem_doc(
        benefits=[
            benefit("HEALTH", cost=1000, core=True),
            benefit("SPOUSE", cost=800, requires=["HEALTH"]),
            benefit("LEAVE", cost=100, max_units=5),
        ],
        employees=[
            employee("A", preferences={"SPOUSE": 50, "LEAVE": {"points": 50, "units": 4}}),
            employee("B", preferences={"SPOUSE": 50, "LEAVE": 50}, eligible=["SPOUSE", "LEAVE"]),
        ],
    )
    persons = _persons(doc)
    assert [(c.benefit, c.max_units) for c in persons["A"].candidates] == [
        ("LEAVE", 4),
        ("SPOUSE", 1),
    ]
    assert [(c.benefit, c.max_units) for c in persons["B"].candidates] == [("LEAVE", 1)]
    assert (persons["A"].core, persons["B"].core) == (("HEALTH",), ())


def test_persons_with_the_same_wishes_share_their_candidates() -> None:
    doc = chain_doc(allowance=1500)
    doc["employees"].append(employee("B", preferences={"CHILD": 60, "GYM": 40}, allowance=1500))
    persons = _persons(doc)
    assert all(
        mine is theirs
        for mine, theirs in zip(persons["A"].candidates, persons["B"].candidates, strict=True)
    )


def test_core_use_counts_the_eligible_members_of_each_budgets_groups() -> None:
    doc = problem_doc(
        budgets=[
            {"id": "total", "cap": 10**6},
            {"id": "north", "cap": 10**6, "groups": ["N"]},
            {"id": "gym", "cap": 10**6, "benefits": ["GYM"]},
        ],
        benefits=[
            benefit("HEALTH", cost=1000, core=True),
            benefit("LIFE", cost=10, core=True),
            benefit("GYM", cost=300, capacity=5),
        ],
        employees=[
            employee("A", group="N"),
            employee("B", group="N", eligible=["GYM", "LIFE"]),
            employee("C", group="S"),
        ],
    )
    compiled = compile_problem(load_problem(doc))
    assert {scope.id: scope.core_use for scope in compiled.budgets} == {
        "total": 2030,
        "north": 1020,
        "gym": 0,
    }
    assert compiled.capacities == (("GYM", 5),)
