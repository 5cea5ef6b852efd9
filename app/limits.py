"""Request limits: body size (413) and concurrent requests in flight."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        if declared is None:
            # Chunked upload: buffer up to the limit, then replay to the app.
            messages, too_large = await self._buffer(receive)
            if too_large:
                await self._reject(scope, receive, send)
                return
            receive = _replay(messages, receive)
        await self.app(scope, receive, send)

    async def _buffer(self, receive: Receive) -> tuple[list[Message], bool]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages, False
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return messages, True
            if not message.get("more_body", False):
                return messages, False

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "Payload too large",
            f"the request body exceeds {self.max_bytes} bytes (FLEXBEN_MAX_BODY_BYTES)",
        )
        await response(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


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
