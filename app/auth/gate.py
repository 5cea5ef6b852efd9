"""Authenticate API requests before anything reads their body.

FastAPI reads and parses a JSON body before it resolves dependencies, so a 401 used to come
after an anonymous caller's whole body was in memory. This middleware resolves the one
`current_principal` dependency first (through FastAPI, so dependency overrides and the
request's session work as in any route), answers 401/429 without reading a byte of the
body, and leaves the principal for the route's own `current_principal` to reuse. It sits
outside the concurrency limit: an anonymous request never takes a slot.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import anyio
from fastapi import Request
from fastapi.dependencies.utils import get_dependant, solve_dependencies
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.deps import PRINCIPAL_STATE, PrincipalDep
from app.auth.principal import Principal
from app.errors import DomainError, problem_response

# Paths whose every route needs a principal (the rest: health, docs, the portal's own).
AUTHENTICATED_PREFIXES = ("/api/", "/metrics")


def _probe(principal: PrincipalDep) -> Principal:
    return principal


_PROBE = get_dependant(path="", call=_probe)


async def authenticate_headers(scope: Scope) -> Principal:
    """The principal of a request from its headers alone (DomainError: 401, 429)."""
    scope.setdefault("state", {})  # shared with the probe: the access log reads it
    async with AsyncExitStack() as stack:
        probe_scope = {**scope, "fastapi_inner_astack": stack, "fastapi_function_astack": stack}
        request = Request(probe_scope)  # no receive: the body cannot be read here
        solved = await solve_dependencies(
            request=request,
            dependant=_PROBE,
            dependency_overrides_provider=scope["app"],
            async_exit_stack=stack,
            embed_body_fields=False,
        )
    principal: Principal = solved.values["principal"]
    return principal


class AuthenticateFirstMiddleware:
    """`slots` authentications at a time: with the concurrency limit's requests they stay
    below the 40-thread pool (see app/limits.py), or authentications waiting for SQLite's
    write lock could take every thread from the request holding it."""

    def __init__(self, app: ASGIApp, slots: int) -> None:
        self.app = app
        self.slots = anyio.Semaphore(slots)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or not str(scope["path"]).startswith(AUTHENTICATED_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        try:
            async with self.slots:
                principal = await authenticate_headers(scope)
        except DomainError as exc:
            response = problem_response(
                exc.status, exc.title, exc.detail, errors=exc.errors, headers=exc.headers
            )
            await response(scope, receive, send)
            return
        scope["state"][PRINCIPAL_STATE] = principal
        await self.app(scope, receive, send)
