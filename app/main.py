"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from app.auth.deps import dependency_roles
from app.auth.router import router as api_keys_router
from app.benefits.router import router as benefits_router
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory
from app.errors import PROBLEM_RESPONSES, Problem, install_error_handlers
from app.health.metrics import MetricsMiddleware, RequestMetrics
from app.health.router import router as health_router
from app.limits import BodySizeLimitMiddleware

API_DESCRIPTION = """Flexible-benefits allocation service.

Authenticate with `Authorization: Bearer <API key>` (`flexben api-keys create`).
Errors are `application/problem+json`; lists are keyset-paginated (`limit`, `cursor`).
Every operation lists the roles it accepts under `x-roles`.
"""

ROUTERS = (health_router, api_keys_router, benefits_router)


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
    """Publish each route's roles as `x-roles` in the OpenAPI document.

    Done on the routers before inclusion: FastAPI wraps included routers, so `app.routes`
    does not list APIRoutes. To audit roles, walk `app.openapi()["paths"]`.
    """
    for route in router.routes:
        if isinstance(route, APIRoute):
            roles = route_roles(route)
            if roles is not None:
                route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": roles}


def document_problems(app: FastAPI) -> None:
    """Add the Problem schema that every route's error responses refer to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url, echo=settings.sql_echo)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="flexben", version="1", description=API_DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.metrics = RequestMetrics()
    install_error_handlers(app)
    for router in ROUTERS:
        annotate_roles(router)
        app.include_router(router, responses=PROBLEM_RESPONSES)
    document_problems(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory app.main:app_factory`."""
    return create_app()
