"""Who is calling: the roles of the fixed set, and an optional employee binding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy.orm import Session

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


_PRINCIPAL_KEY = "flexben_principal"


def bind_principal(session: Session, principal: Principal) -> None:
    """Remember who is acting through `session` (done once per request by authentication;
    audit events name them)."""
    session.info[_PRINCIPAL_KEY] = principal


def bound_principal(session: Session) -> Principal | None:
    principal = session.info.get(_PRINCIPAL_KEY)
    return principal if isinstance(principal, Principal) else None
