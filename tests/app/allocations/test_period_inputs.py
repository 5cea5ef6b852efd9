"""A run's inputs read as columns: the same eligibility facts as the employee's API fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.allocations.period_inputs import _facts, _people
from app.benefits.eligibility import employee_facts
from app.employees.service import employee_out
from tests.domain_factories import make_employee, make_peer_group


def test_the_facts_rules_test_are_those_of_the_employees_api_fields(session: Session) -> None:
    group = make_peer_group(session, code="LAB")
    employee = make_employee(
        session,
        external_id="E-77",
        peer_group=group,
        email="e77@example.com",
        grade="L4",
        location="Lyon",
        employment_type="part_time",
        hire_date=date(2019, 3, 31),
        fte=Decimal("0.8"),
        need=Decimal("1.25"),
        need_reason="two children",
        top_up_limit=5000,
        allowance_override=120000,
        attributes={"site": "north", "badge": 7, "since": "2021-02-01"},
    )
    make_employee(session, external_id="E-78", peer_group=group, active=False)
    on = date(2027, 1, 1)
    expected = employee_facts(employee_out(employee).model_dump(mode="json"), effective_from=on)

    (person,) = _people(session, with_facts=True)

    assert _facts(person, effective_from=on) == expected
    assert expected["tenure_months"] == 93 and expected["fte"] == 0.8
