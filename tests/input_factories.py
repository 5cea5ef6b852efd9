"""Small keyword-only factories of typed problem inputs (app.allocations.inputs)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from app.allocations.inputs import (
    AllowanceBasis,
    BenefitInput,
    BudgetInput,
    EmployeeInput,
    PolicyInput,
    ProblemInputs,
    Wish,
)
from app.periods.allowance import AllowanceRules


def benefit(*, code: str, cost: int = 1000, **fields: Any) -> BenefitInput:
    return BenefitInput(code=code, cost=cost, **fields)


def employee(
    *,
    external_id: str = "E1",
    group: str = "HQ",
    eligible: tuple[str, ...] = (),
    wishes: Mapping[str, Wish] | None = None,
    allowance: int | None = None,
    fte: str = "1",
    hire_date: date | None = None,
    carried_over: int = 0,
    previous_choices: Mapping[str, Mapping[str, int]] | None = None,
) -> EmployeeInput:
    return EmployeeInput(
        external_id=external_id,
        group=group,
        need=Decimal(1),
        top_up_limit=0,
        eligible=eligible,
        wishes=wishes or {},
        allowance=allowance,
        basis=AllowanceBasis(
            fte=Decimal(fte), hire_date=hire_date, override=None, carried_over=carried_over
        ),
        previous_choices=previous_choices,
    )


def inputs(
    *,
    benefits: tuple[BenefitInput, ...] = (),
    employees: tuple[EmployeeInput, ...] = (),
    budgets: tuple[BudgetInput, ...] = (),
    allowance: AllowanceRules | None = None,
    policy: PolicyInput | None = None,
    points_per_employee: int = 100,
) -> ProblemInputs:
    return ProblemInputs(
        currency="EUR",
        points_per_employee=points_per_employee,
        effective_from=date(2027, 1, 1),
        effective_to=date(2027, 12, 31),
        allowance=allowance or AllowanceRules(),
        policy=policy or PolicyInput(),
        budgets=budgets,
        peer_groups=(),
        benefits=benefits,
        employees=employees,
    )
