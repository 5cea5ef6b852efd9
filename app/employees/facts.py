"""The facts an eligibility rule sees about an employee (API.md: the employee fields,
`tenure_months` at the period's `effective_from`, and the keys of `attributes`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.employees.models import Employee


def tenure_months(hire_date: date | None, at: date) -> int | None:
    """Whole months from the hire date to `at` (0 before the first monthiversary)."""
    if hire_date is None:
        return None
    months = (at.year - hire_date.year) * 12 + (at.month - hire_date.month)
    if at.day < hire_date.day:
        months -= 1
    return max(months, 0)


def employee_facts(employee: Employee, *, at: date) -> dict[str, Any]:
    """Attributes first, so a custom attribute can never shadow a real field."""
    return {
        **employee.attributes,
        "external_id": employee.external_id,
        "email": employee.email,
        "display_name": employee.display_name,
        "peer_group": employee.peer_group.code,
        "grade": employee.grade,
        "location": employee.location,
        "employment_type": employee.employment_type,
        "hire_date": employee.hire_date.isoformat() if employee.hire_date else None,
        "fte": employee.fte,
        "need": employee.need,
        "top_up_limit": employee.top_up_limit,
        "allowance_override": employee.allowance_override,
        "active": employee.active,
        "tenure_months": tenure_months(employee.hire_date, at),
    }
