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
