"""Who is calling: the roles of the fixed set, and an optional employee binding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["employee", "hr_admin", "approver", "payroll", "finance", "auditor"]
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. `id` is the API key's public id (used as actor in records);
    `person_id` the person behind it (app/auth/persons.py), whom four-eyes compares;
    `person_employee_id` the employee row that person is, if any (their keys die with it);
    `via_oidc` whether the caller signed in through the organisation's provider."""

    id: str
    name: str
    roles: frozenset[str]
    employee_external_id: str | None = None
    person_id: str | None = None
    person_employee_id: int | None = None
    via_oidc: bool = False

    @property
    def person(self) -> str:
        """The person id (a principal built without one is a person of its own)."""
        return self.person_id or self.id

    def has_any(self, roles: tuple[str, ...] | frozenset[str]) -> bool:
        return not self.roles.isdisjoint(roles)
