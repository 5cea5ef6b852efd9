"""FastAPI dependencies: authenticate the bearer token, then check roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.auth.principal import ROLES, Principal
from app.auth.service import authenticate
from app.config import Settings
from app.db import get_session
from app.errors import Forbidden, Unauthorized

SessionDep = Annotated[Session, Depends(get_session)]


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("missing Authorization: Bearer <token> header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must read 'Bearer <token>'")
    return token.strip()


# Declares the scheme in OpenAPI (the "Authorize" button of /docs); errors stay ours.
bearer_scheme = HTTPBearer(auto_error=False, description="An API key: fb_<prefix>_<secret>")


def current_principal(
    request: Request,
    session: SessionDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The authenticated caller (401 otherwise)."""
    settings: Settings = request.app.state.settings
    return authenticate(
        session,
        _bearer_token(request),
        pepper=settings.secret_key.get_secret_value(),
        touch_after=timedelta(seconds=settings.api_key_touch_seconds),
    )


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class RoleRequirement:
    """Dependency accepting a caller holding any of `roles`; `roles` is read by main.py to
    publish `x-roles` on every route of the OpenAPI document."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise ValueError(f"unknown roles {sorted(unknown)}; allowed: {ROLES}")
        self.roles = roles

    def __call__(self, principal: PrincipalDep) -> Principal:
        if not principal.has_any(self.roles):
            raise Forbidden(f"this action needs one of the roles: {', '.join(self.roles)}")
        return principal


def require_roles(*roles: str) -> RoleRequirement:
    """`Depends(require_roles("hr_admin"))` → the Principal, or 401/403."""
    return RoleRequirement(roles)


ALL_ROLES = require_roles(*ROLES)


class EmployeeRequirement(RoleRequirement):
    """The caller as an employee: an `employee` key bound to an external_id."""

    def __init__(self) -> None:
        super().__init__(("employee",))

    def __call__(self, principal: PrincipalDep) -> Principal:
        principal = super().__call__(principal)
        if principal.employee_external_id is None:
            raise Forbidden("this key is not bound to an employee")
        return principal


def require_employee() -> EmployeeRequirement:
    """`Depends(require_employee())` → a Principal whose employee_external_id is set."""
    return EmployeeRequirement()


def dependency_roles(call: Callable[..., object]) -> tuple[str, ...] | None:
    """Roles declared by a dependency callable, if it is a role requirement."""
    return call.roles if isinstance(call, RoleRequirement) else None
