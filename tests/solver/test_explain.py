from __future__ import annotations

from typing import Any

from solver.explain import explain
from solver.load import load_problem
from solver.types import Assignment, Line
from tests.solver.factories import benefit, employee, problem_doc


def explained(
    doc: dict[str, Any], assignment: Assignment, who: str = "A"
) -> list[tuple[str, tuple[str, ...], str]]:
    problem = load_problem(doc)
    return [(e.benefit, e.reasons, e.text) for e in explain(problem, assignment)[who]]


def test_not_eligible() -> None:
    doc = problem_doc(
        benefits=[benefit("GYM"), benefit("LEAVE")],
        employees=[employee("A", eligible=["LEAVE"], preferences={"GYM": 10, "LEAVE": 10})],
    )
    assert explained(doc, {("A", "LEAVE"): Line(1)}) == [
        ("GYM", ("not_eligible",), "You are not eligible for GYM.")
    ]


def test_allowance_with_numbers() -> None:
    doc = problem_doc(
        benefits=[benefit("GYM", cost=36000), benefit("LEAVE", cost=288000)],
        employees=[employee("A", allowance=300000, preferences={"GYM": 10, "LEAVE": 10})],
    )
    [(name, reasons, text)] = explained(doc, {("A", "LEAVE"): Line(1)})
    assert (name, reasons) == ("GYM", ("allowance",))
    assert text == "Your allowance of 3,000.00 EUR had 120.00 EUR left; GYM costs 360.00 EUR."


def test_top_up_room_co_funds_the_extra_unit() -> None:
    doc = problem_doc(
        benefits=[benefit("GYM", cost=300)],
        employees=[employee("A", allowance=250, top_up_limit=100, preferences={"GYM": 10})],
    )
    assert explained(doc, {})[0][1] == ("not_selected",)
    doc["employees"][0]["top_up_limit"] = 40  # employer share 260 > 250
    [(_, reasons, text)] = explained(doc, {})
    assert reasons == ("allowance",)
    assert "the employer's share is 2.60 EUR after 0.40 EUR from your top-up room" in text


def test_budget_names_the_budget() -> None:
    doc = problem_doc(
        budgets=[
            {"id": "total", "cap": 100000},
            {"id": "wellbeing", "cap": 200, "benefits": ["GYM"]},
        ],
        benefits=[benefit("GYM", cost=300)],
        employees=[employee("A", preferences={"GYM": 10})],
    )
    [(_, reasons, text)] = explained(doc, {})
    assert reasons == ("budget:wellbeing",)
    assert text == "The wellbeing budget of 2.00 EUR had 2.00 EUR left; GYM costs 3.00 EUR."


def test_capacity() -> None:
    doc = problem_doc(
        benefits=[benefit("PARKING", capacity=1)],
        employees=[
            employee("A", preferences={"PARKING": 10}),
            employee("B", preferences={"PARKING": 10}),
        ],
        policy={"equity_tolerance": 10},
    )
    [(_, reasons, text)] = explained(doc, {("B", "PARKING"): Line(1)})
    assert reasons == ("capacity",)
    assert text == "PARKING had 1 place and all were allocated."


def test_exclusive_names_the_benefit_received() -> None:
    doc = problem_doc(
        benefits=[benefit("DA", exclusive_group="dental"), benefit("DB", exclusive_group="dental")],
        employees=[employee("A", preferences={"DA": 10, "DB": 20})],
    )
    [(name, reasons, _)] = explained(doc, {("A", "DB"): Line(1)})
    assert (name, reasons) == ("DA", ("exclusive:DB",))


def test_requires_names_the_missing_benefit() -> None:
    doc = problem_doc(
        benefits=[benefit("GYM"), benefit("SPOUSE", requires=["GYM"])],
        employees=[employee("A", eligible=["SPOUSE"], preferences={"SPOUSE": 10})],
    )
    assert explained(doc, {})[0][1] == ("requires:GYM",)


def band_doc(size: int) -> dict[str, Any]:
    return problem_doc(
        policy={"equity_tolerance": 0.1, "equity_absolute": 0},
        benefits=[benefit("GYM", cost=300), benefit("LEAVE", cost=100)],
        employees=[employee(f"E{i}", preferences={"GYM": 10, "LEAVE": 10}) for i in range(size)],
    )


def test_equity_band_shows_group_figures_only_from_five_participants() -> None:
    everyone_leave = {(f"E{i}", "LEAVE"): Line(1) for i in range(5)}
    [(name, reasons, text)] = explained(band_doc(5), everyone_leave, who="E0")
    assert (name, reasons) == ("GYM", ("equity_band",))
    # 400 against the new mean (400 + 4*100)/5 = 160, cap 176.
    assert "to 4.00 EUR, above your peer group's fairness limit of 1.76 EUR" in text
    two = {(f"E{i}", "LEAVE"): Line(1) for i in range(2)}
    [(_, reasons, text)] = explained(band_doc(2), two, who="E0")
    assert reasons == ("equity_band",)
    assert "EUR" not in text


def test_the_extra_unit_lifts_the_mean_so_small_additions_can_fit() -> None:
    # Absolute slack 100 lets one extra LEAVE (100) fit even after it raises the mean.
    doc = band_doc(5)
    doc["policy"] = {"equity_tolerance": 0, "equity_absolute": 100}
    everyone_gym = {(f"E{i}", "GYM"): Line(1) for i in range(5)}
    [(name, reasons, _)] = explained(doc, everyone_gym, who="E0")
    assert (name, reasons) == ("LEAVE", ("not_selected",))


def test_several_reasons_and_partial_units() -> None:
    doc = problem_doc(
        budgets=[{"id": "total", "cap": 100}],
        benefits=[benefit("LEAVE", cost=100, max_units=3, capacity=1)],
        employees=[employee("A", allowance=100, preferences={"LEAVE": {"points": 10, "units": 3}})],
    )
    [(_, reasons, text)] = explained(doc, {("A", "LEAVE"): Line(1)})
    assert reasons == ("allowance", "budget:total", "capacity")
    assert text.startswith("You received 1 of the 3 units of LEAVE you asked for.")


def test_received_core_and_full_wishes_need_no_explanation() -> None:
    doc = problem_doc(
        benefits=[benefit("HEALTH", core=True), benefit("GYM")],
        employees=[employee("A", preferences={"HEALTH": 10, "GYM": 10})],
    )
    assert explained(doc, {("A", "HEALTH"): Line(1), ("A", "GYM"): Line(1)}) == []
