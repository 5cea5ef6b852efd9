"""A helper for pure ASGI middlewares that look at each HTTP response after the fact."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Called once per HTTP request with its scope, response status and duration in seconds.
Observer = Callable[[Scope, int, float], None]


async def call_observed(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, observe: Observer
) -> None:
    """Run `app`; for an HTTP request, then call `observe` even when the app raises. The
    status is the one the app started its response with, 500 when it raised before that.
    Other scopes (lifespan, websocket) pass through unobserved."""
    if scope["type"] != "http":
        await app(scope, receive, send)
        return
    started = time.perf_counter()
    status = 500

    async def send_with_status(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        await send(message)

    try:
        await app(scope, receive, send_with_status)
    finally:
        observe(scope, status, time.perf_counter() - started)


def send_with_headers(send: Send, extra: dict[bytes, bytes]) -> Send:
    """`send` that sets the `extra` headers (lower-case names) on the response start,
    replacing any the app set under those names; other messages pass unchanged."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in extra]
            headers.extend(extra.items())
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


UNMATCHED = "<unmatched>"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Plain Starlette routes (/docs, /openapi.json) are static: their path is the template.
    return str(scope.get("path", UNMATCHED)) if "endpoint" in scope else UNMATCHED
