"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import app.wiring  # noqa: F401 (every seam filled in, every job kind registered)
from app.allocations.router import me_router as my_options_router
from app.allocations.router import router as runs_router
from app.api_keys.router import router as api_keys_router
from app.audit.router import router as audit_router
from app.auth.openapi import annotate_roles
from app.benefits.router import router as benefits_router
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory
from app.employees.router import router as employees_router
from app.errors import install_error_handlers
from app.health.metrics import MetricsMiddleware, RequestMetrics
from app.health.router import router as health_router
from app.jobs.runner import install_dispatch, start_job_runner, stop_job_runner
from app.life_events.router import router as life_events_router
from app.limits import BodySizeLimitMiddleware
from app.payroll.router import me_router as my_allocation_router
from app.payroll.router import router as payroll_router
from app.periods.router import router as periods_router
from app.preferences.router import router as preferences_router
from app.privacy.router import router as privacy_router
from app.scenarios.router import router as scenarios_router
from app.security.headers import SecurityHeadersMiddleware
from app.security.logs import AccessLogMiddleware, configure_logging
from app.security.rate_limit import TokenBucketLimiter
from app.security.request_id import RequestIdMiddleware

API_DESCRIPTION = """Flexible-benefits allocation service.

Authenticate with `Authorization: Bearer <API key>` (`flexben api-keys create`).
Errors are `application/problem+json`; lists are keyset-paginated (`limit`, `cursor`).
Every operation lists the roles it accepts under `x-roles`.
"""

ROUTERS = (health_router, api_keys_router, benefits_router)
DOMAIN_ROUTERS = (employees_router, periods_router, preferences_router)
RUN_ROUTERS = (runs_router, my_allocation_router, my_options_router, payroll_router)
SCENARIO_ROUTERS = (scenarios_router, life_events_router)
SECURITY_ROUTERS = (audit_router, privacy_router)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url, echo=settings.sql_echo)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = start_job_runner(app)
        yield
        stop_job_runner(app, runner)
        engine.dispose()

    app = FastAPI(
        title="flexben",
        version="1",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by the portal (vendored Swagger UI)
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    install_dispatch(app)
    app.state.metrics = RequestMetrics()
    install_error_handlers(app)
    for router in (*ROUTERS, *DOMAIN_ROUTERS, *RUN_ROUTERS, *SCENARIO_ROUTERS, *SECURITY_ROUTERS):
        annotate_roles(router)
        app.include_router(router)
    from app.portal.router import install_portal  # here: keeps the import block merge-free

    install_portal(app)
    install_limits(app, settings)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    install_security(app, settings)
    return app


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Innermost first: body limits, the concurrency slot, and outside both the
    authentication of API requests (app/auth/gate.py): an anonymous request is refused
    before its body is read and without taking a slot."""
    from app.auth.gate import AuthenticateFirstMiddleware
    from app.limits import ConcurrencyLimitMiddleware

    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_json_bytes=settings.max_json_body_bytes,
        read_seconds=settings.body_read_seconds,
    )
    app.add_middleware(
        ConcurrencyLimitMiddleware,
        limit=settings.max_concurrent_requests,
        exempt=frozenset({"/healthz", "/metrics"}),
    )
    # 36: the most requests in flight allowed (config.py), 4 threads below the pool of 40.
    app.add_middleware(
        AuthenticateFirstMiddleware, slots=max(1, 36 - settings.max_concurrent_requests)
    )


def install_security(app: FastAPI, settings: Settings) -> None:
    """Rate limiter, structured access logs, CORS, security headers and request ids
    (added last, so the request id wraps everything, even a 413)."""
    configure_logging(settings.log_level)
    app.state.rate_limiter = TokenBucketLimiter(
        per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
    )
    app.state.auth_failure_limiter = TokenBucketLimiter(
        per_minute=settings.auth_failures_per_minute, burst=settings.auth_failures_burst
    )
    app.add_middleware(AccessLogMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)
    from app.security.proxies import TrustedProxyMiddleware

    app.add_middleware(TrustedProxyMiddleware, trusted=settings.trusted_proxies)


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory app.main:app_factory`."""
    return create_app()
