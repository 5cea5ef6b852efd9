from __future__ import annotations

from solver.diagnose import diagnose
from solver.load import load_problem
from solver.types import Infeasibility
from tests.solver.factories import benefit, employee, problem_doc


def core_doc(*, cap: int, capacity: int | None = None) -> dict[str, object]:
    return problem_doc(
        budgets=[{"id": "total", "cap": cap}, {"id": "north", "cap": cap, "groups": ["N"]}],
        benefits=[benefit("HEALTH", cost=120000, core=True, capacity=capacity), benefit("GYM")],
        employees=[
            employee("A", group="N"),
            employee("B", group="S"),
            employee("C", group="S", eligible=["GYM"]),  # no HEALTH for C
        ],
    )


def test_feasible_when_core_benefits_fit() -> None:
    assert diagnose(load_problem(core_doc(cap=240000))) == ()


def test_core_over_a_budget_is_reported_with_the_numbers() -> None:
    found = diagnose(load_problem(core_doc(cap=200000)))
    assert found == (
        Infeasibility(
            constraint="budget:total",
            required=240000,
            available=200000,
            text="Core benefits alone cost 2,400.00 EUR in budget 'total', whose cap is "
            "2,000.00 EUR: over by 400.00 EUR.",
        ),
    )


def test_core_over_a_capacity_is_reported() -> None:
    [found] = diagnose(load_problem(core_doc(cap=10**9, capacity=1)))
    assert (found.constraint, found.required, found.available) == ("capacity:HEALTH", 2, 1)
    assert (
        found.text
        == "Core benefit 'HEALTH' must go to 2 eligible employees but has 1 place: 1 short."
    )


def test_a_budget_scoped_to_other_benefits_ignores_core_costs() -> None:
    doc = core_doc(cap=10**9)
    doc["budgets"] = [{"id": "gyms", "cap": 0, "benefits": ["GYM"]}]
    assert diagnose(load_problem(doc)) == ()
