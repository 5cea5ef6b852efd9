"""The employees that principals and keys are bound to, as authentication needs them.

The employees domain builds on auth (its routes need auth's dependencies), so auth reads
employees through this seam, which app/employees/directory.py fills in when imported (the
composition roots, app.main and app.cli, import it); auth imports nothing of employees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement
from sqlalchemy.orm import QueryableAttribute, Session

EmployeeField = Literal["email", "external_id"]


@dataclass(frozen=True)
class EmployeeRef:
    """An employee row, as far as authentication cares."""

    id: int
    external_id: str
    active: bool


@dataclass(frozen=True)
class EmployeeDirectory:
    """`by_external_id`: any employee with that id; `active_matching`: the active employee
    whose field (email case-insensitively, or external_id) is the value; `active_of`: SQL
    for the `active` flag of the employee an id column names (NULL when none), so a key and
    its owner are read in one query."""

    by_external_id: Callable[[Session, str], EmployeeRef | None]
    active_matching: Callable[[Session, EmployeeField, str], EmployeeRef | None]
    active_of: Callable[[QueryableAttribute[Any]], ColumnElement[Any]]


_DIRECTORIES: list[EmployeeDirectory] = []


def register_directory(directory: EmployeeDirectory) -> None:
    _DIRECTORIES[:] = [directory]


def employee_directory() -> EmployeeDirectory:
    if not _DIRECTORIES:  # pragma: no cover (the composition roots import the employees')
        raise RuntimeError("no employee directory: import app.employees.directory first")
    return _DIRECTORIES[0]
