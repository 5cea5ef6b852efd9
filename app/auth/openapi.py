"""Route metadata for the OpenAPI document: the roles each route accepts (`x-roles`) and
its problem+json error responses."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from app.auth.deps import dependency_roles
from app.errors import PROBLEM_RESPONSES


def route_roles(route: APIRoute) -> list[str] | None:
    """The roles a route accepts, read from its role-requirement dependencies."""
    roles: list[str] = []
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        found = dependency_roles(dependant.call) if dependant.call is not None else None
        if found is not None:
            roles.extend(role for role in found if role not in roles)
        pending.extend(dependant.dependencies)
    return roles or None


def annotate_roles(router: APIRouter) -> None:
    """Publish each route's roles as `x-roles` and document its problem+json errors.

    Done on the routers before inclusion: FastAPI wraps included routers, so `app.routes`
    does not list APIRoutes. To audit roles, walk `app.openapi()["paths"]`.
    """
    for route in router.routes:
        if isinstance(route, APIRoute):
            route.responses = {**PROBLEM_RESPONSES, **route.responses}
            roles = route_roles(route)
            if roles is not None:
                route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": roles}
