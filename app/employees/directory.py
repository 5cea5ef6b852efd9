"""Fills in auth's employee directory (app/auth/directory.py) from the employees table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from app.auth.directory import EmployeeDirectory, EmployeeField, EmployeeRef, register_directory
from app.employees.models import Employee
from app.employees.repository import employee_by_external_id


def _ref(employee: Employee | None) -> EmployeeRef | None:
    if employee is None:
        return None
    return EmployeeRef(id=employee.id, external_id=employee.external_id, active=employee.active)


def by_external_id(session: Session, external_id: str) -> EmployeeRef | None:
    return _ref(employee_by_external_id(session, external_id))


def active_matching(session: Session, field: EmployeeField, value: str) -> EmployeeRef | None:
    if field == "email":
        condition = func.lower(Employee.email) == value.lower()
    else:
        condition = Employee.external_id == value
    return _ref(session.scalar(select(Employee).where(condition, Employee.active.is_(True))))


def active_of(employee_id: QueryableAttribute[Any]) -> ColumnElement[Any]:
    return select(Employee.active).where(Employee.id == employee_id).scalar_subquery()


register_directory(
    EmployeeDirectory(
        by_external_id=by_external_id, active_matching=active_matching, active_of=active_of
    )
)
