"""Each scenario override as a function from inputs to inputs (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from app.allocations.inputs import BudgetInput, PolicyInput, Wish
from app.periods.allowance import AllowanceRules
from app.scenarios.overrides import (
    overridden,
    with_allowance,
    with_budgets,
    with_catalogue,
    with_policy,
    without_benefits,
)
from app.scenarios.schemas import Overrides
from tests.input_factories import benefit, employee, inputs


def overrides(**fields: Any) -> Overrides:
    return Overrides.model_validate(fields)


def test_allowance_is_scaled_then_set_by_group_and_keeps_what_was_carried_over() -> None:
    rules = AllowanceRules(default=1000, by_group={"SALES": 2000}, prorate_start=True)
    people = (
        employee(external_id="E1", group="HQ", carried_over=5),
        employee(external_id="E2", group="SALES"),
        employee(external_id="E3", group="LYON", hire_date=date(2027, 7, 1)),
    )
    before = inputs(allowance=rules, employees=people)
    after = with_allowance(
        before, overrides(allowance_multiplier="1.105", group_allowances={"LYON": 730})
    )
    assert after.allowance == AllowanceRules(
        default=1105, by_group={"SALES": 2210, "LYON": 730}, prorate_start=True
    )
    # 1000 x 1.105 + 5 carried; 2000 x 1.105; 730 x 184/365 (hired 1 July), rounded down.
    assert [e.allowance for e in after.employees] == [1110, 2210, 730 * 184 // 365]
    assert before.employees[0].allowance is None  # the inputs are values: never changed


def test_budgets_get_new_caps_and_new_budgets_follow() -> None:
    before = inputs(budgets=(BudgetInput(id="total", cap=100), BudgetInput(id="hq", cap=5)))
    after = with_budgets(
        before,
        overrides(
            budget_caps={"hq": 7},
            new_budgets=[{"id": "gym", "cap": 3, "benefits": ["GYM"]}],
        ),
    )
    assert after.budgets == (
        BudgetInput(id="total", cap=100),
        BudgetInput(id="hq", cap=7),
        BudgetInput(id="gym", cap=3, benefits=("GYM",)),
    )


def test_the_policy_changes_only_where_overridden() -> None:
    before = inputs(policy=PolicyInput(objective="utilitarian", equity_absolute=500))
    after = with_policy(before, overrides(equity_tolerance="0.25"))
    assert after.policy == PolicyInput(
        objective="utilitarian", equity_tolerance=Decimal("0.25"), equity_absolute=500
    )
    assert with_policy(before, overrides(objective="maxmin")).policy.objective == "maxmin"


def test_withdrawn_benefits_and_those_requiring_them_leave_catalogue_eligibility_and_wishes() -> (
    None
):
    catalogue = (
        benefit(code="BIKE"),
        benefit(code="BIKE-INS", requires=("BIKE",)),
        benefit(code="GYM"),
    )
    chosen = employee(
        external_id="E1",
        eligible=("BIKE", "BIKE-INS", "GYM"),
        wishes={"BIKE": Wish(60), "GYM": Wish(40)},
    )
    # E2 submitted nothing: proposed its previous choices, scaled into this period's points.
    proposed = employee(
        external_id="E2",
        eligible=("BIKE", "GYM"),
        wishes={"BIKE": Wish(50), "GYM": Wish(50)},
        previous_choices={"BIKE": {"points": 100, "units": 1}, "GYM": {"points": 100, "units": 1}},
    )
    before = inputs(benefits=catalogue, employees=(chosen, proposed))
    after = without_benefits(before, ["BIKE"])
    assert [b.code for b in after.benefits] == ["GYM"]
    e1, e2 = after.employees
    assert e1.eligible == ("GYM",) and e1.wishes == {"GYM": Wish(40)}
    assert e2.wishes == {"GYM": Wish(100)}  # proposed anew: GYM alone fits 100 points
    assert without_benefits(before, []) is before


def test_costs_are_scaled_by_benefit_before_category_and_capacities_set_or_lifted() -> None:
    catalogue = (
        benefit(code="BIKE", cost=1000, category="mobility"),
        benefit(code="CAR", cost=1000, category="mobility", capacity=4),
        benefit(code="GYM", cost=333, category="wellbeing", capacity=9),
    )
    after = with_catalogue(
        inputs(benefits=catalogue),
        overrides(
            cost_multipliers={"CAR": "1.5"},
            category_cost_multipliers={"mobility": "0.9", "wellbeing": "1.5"},
            capacities={"CAR": None, "BIKE": 2},
        ),
    )
    assert [(b.code, b.cost, b.capacity) for b in after.benefits] == [
        ("BIKE", 900, 2),
        ("CAR", 1500, None),
        ("GYM", 500, 9),  # 333 x 1.5 = 499.5, rounded half up
    ]


def test_overridden_applies_every_override() -> None:
    before = inputs(
        benefits=(benefit(code="GYM", cost=100), benefit(code="BIKE")),
        employees=(employee(eligible=("BIKE", "GYM")),),
        allowance=AllowanceRules(default=1000),
        budgets=(BudgetInput(id="total", cap=10),),
    )
    after = overridden(
        before,
        overrides(
            withdrawn_benefits=["BIKE"],
            allowance_multiplier="2",
            budget_caps={"total": 20},
            objective="maxmin",
            cost_multipliers={"GYM": "3"},
        ),
    )
    assert [(b.code, b.cost) for b in after.benefits] == [("GYM", 300)]
    assert after.employees[0].eligible == ("GYM",) and after.employees[0].allowance == 2000
    assert after.budgets == (BudgetInput(id="total", cap=20),)
    assert after.policy.objective == "maxmin"
