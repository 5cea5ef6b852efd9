"""Request limits: body size (413) and concurrent requests in flight."""

from __future__ import annotations

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response

# Routes that take bulk uploads get the large limit (FLEXBEN_MAX_BODY_BYTES); every other
# route, JSON bodies of a few kilobytes, the small one (FLEXBEN_MAX_JSON_BODY_BYTES).
BULK_UPLOAD_PATHS = frozenset({"/api/v1/employees/import"})


class BodySizeLimitMiddleware:
    """413 for a body over its route's limit, 408 for one that takes too long to arrive.

    A declared Content-Length over the limit is refused before reading; otherwise the body
    is counted as the route reads it (never buffered here), and reading past the limit or
    the deadline raises an HTTPException the error handler renders (FastAPI re-raises those
    from its body parsing).
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, max_json_bytes: int, read_seconds: float
    ) -> None:
        self.app = app
        self.max_bytes, self.max_json_bytes = max_bytes, min(max_json_bytes, max_bytes)
        self.read_seconds = read_seconds

    def limit_of(self, path: str) -> tuple[int, str]:
        if path in BULK_UPLOAD_PATHS:
            return self.max_bytes, "FLEXBEN_MAX_BODY_BYTES"
        return self.max_json_bytes, "FLEXBEN_MAX_JSON_BODY_BYTES"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_of(str(scope.get("path", "")))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            too_large = _too_large(limit, setting)
            response = problem_response(413, "Payload too large", str(too_large.detail))
            await response(scope, receive, send)
            return
        await self.app(scope, self._bounded(receive, limit, setting), send)

    def _bounded(self, receive: Receive, limit: int, setting: str) -> Receive:
        size = 0
        deadline: float | None = None

        async def bounded() -> Message:
            nonlocal size, deadline
            now = anyio.current_time()
            deadline = deadline if deadline is not None else now + self.read_seconds
            with anyio.move_on_after(max(0.0, deadline - now)) as waited:
                message = await receive()
            if waited.cancelled_caught:
                raise HTTPException(
                    408, f"the request body did not arrive within {self.read_seconds:g} s"
                )
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise _too_large(limit, setting)
            return message

        return bounded


def _too_large(limit: int, setting: str) -> HTTPException:
    return HTTPException(413, f"the request body exceeds {limit} bytes ({setting})")


class ConcurrencyLimitMiddleware:
    """At most `limit` requests run at once; the others wait on the event loop.

    Why: sync endpoints and dependencies run in a thread pool (40 threads). A request may
    hold a database transaction (on SQLite, the write lock) between two thread-pool hops.
    If every pool thread were taken by requests waiting for that lock or for a database
    connection, the holder could never get a thread back, and all would time out. Keeping
    `limit` below the pool size guarantees a free thread for whoever holds the lock.
    """

    def __init__(self, app: ASGIApp, limit: int, exempt: frozenset[str]) -> None:
        self.app = app
        self.exempt = exempt
        self.semaphore = anyio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        async with self.semaphore:
            await self.app(scope, receive, send)
