"""Who a principal is as a person: the one home of person ids.

Four-eyes and on-behalf records compare persons, never keys or tokens: every key of a
person (and their OIDC identity) shares one person id.

- an employee's person id derives from the employee row (stable across erasure, which
  keeps the row and revokes its keys);
- an OIDC identity not bound to an employee: derived from (issuer, subject);
- a key belongs to the person who minted it (through the API), or, from the command line,
  to the employee it is bound to, the person of an existing key, or a new person.
"""

from __future__ import annotations

import uuid

from app.auth.principal import Principal

_EMPLOYEE_NAMESPACE = uuid.UUID("6c3f5a0e-1d6b-4f0e-9a7e-3b1f1c0d2e10")


def employee_person(employee_id: int) -> str:
    """The person id of the employee whose database row id is `employee_id`."""
    return str(uuid.uuid5(_EMPLOYEE_NAMESPACE, str(employee_id)))


def oidc_person(issuer: str, subject: str) -> str:
    """The person id (also the principal id) of a provider's subject."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}#{subject}"))


def new_person() -> str:
    return str(uuid.uuid4())


def is_that_employee(principal: Principal, employee_id: int) -> bool:
    """Whether `principal` is the employee in person (else it acts on their behalf, e.g.
    with an `employee` key HR minted for them: recorded as on behalf)."""
    return principal.person == employee_person(employee_id)
