"""Who is calling: the roles of the fixed set, and an optional employee binding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["employee", "hr_admin", "approver", "payroll", "finance", "auditor"]
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. `id` is the API key's public id (used as actor in records)."""

    id: str
    name: str
    roles: frozenset[str]
    employee_external_id: str | None = None

    def has_any(self, roles: tuple[str, ...] | frozenset[str]) -> bool:
        return not self.roles.isdisjoint(roles)
