"""The pure derivations of typed problem inputs."""

from __future__ import annotations

from decimal import Decimal

from app.allocations.inputs import Wish, allowance_of, proposed_wishes, solvable, wishes_of
from app.periods.allowance import AllowanceRules
from tests.input_factories import benefit, employee, inputs


def test_a_benefit_requiring_one_not_offered_is_not_solvable_transitively() -> None:
    offered = [
        benefit(code="C", requires=("B",)),
        benefit(code="B", requires=("A",)),
        benefit(code="D"),
    ]
    assert [b.code for b in solvable(offered)] == ["D"]
    assert [b.code for b in solvable([*offered, benefit(code="A")])] == ["A", "B", "C", "D"]


def test_stored_points_keep_offered_optional_benefits_with_units_capped() -> None:
    catalogue = {
        "CORE": benefit(code="CORE", core=True),
        "LEAVE": benefit(code="LEAVE", max_units=3),
    }
    points = {"LEAVE": {"points": 40, "units": 5}, "CORE": 10, "GONE": 50}
    assert wishes_of(points, catalogue) == {"LEAVE": Wish(points=40, units=3)}
    assert wishes_of({"LEAVE": 7}, catalogue) == {"LEAVE": Wish(points=7)}


def test_previous_choices_are_proposed_within_the_catalogue_eligibility_and_points() -> None:
    catalogue = [benefit(code="GYM"), benefit(code="LEAVE", max_units=2), benefit(code="CAR")]
    previous = {
        "GYM": {"points": 60, "units": 1},
        "LEAVE": {"points": 60, "units": 4},
        "CAR": {"points": 30, "units": 1},
        "GONE": {"points": 10, "units": 1},
    }
    proposal = proposed_wishes(
        previous, benefits=catalogue, eligible={"GYM", "LEAVE"}.__contains__, points_per_employee=60
    )
    assert proposal == {"GYM": Wish(points=30), "LEAVE": Wish(points=30, units=2)}


def test_the_allowance_is_the_periods_rule_plus_what_was_carried_over() -> None:
    rules = AllowanceRules(default=1000, by_group={"SALES": 3000}, prorate_fte=True)
    problem = inputs(allowance=rules)
    part_time = employee(group="SALES", fte="0.5", carried_over=7).basis
    assert allowance_of(problem, part_time, "SALES") == 1507
    assert allowance_of(problem, part_time, "HQ") == 507
    assert allowance_of(inputs(), part_time, "HQ") is None  # no rule: no cap, nothing carried
    assert part_time.fte == Decimal("0.5")
