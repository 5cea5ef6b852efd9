"""Structured logs: one JSON object per line, carrying the request id.

Only ids go into logs: route templates instead of raw paths, the principal's id instead
of its name, never bodies, emails or names.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.asgi import call_observed, route_template
from app.security.request_id import current_request_id

ACCESS_LOGGER = "flexben.access"
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": current_request_id(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# "flexben.*": our access log; "app.*": every module's logging.getLogger(__name__).
SERVICE_LOGGERS = ("flexben", "app")


def configure_logging(level: str) -> None:
    """JSON lines on stderr for the service's loggers (idempotent)."""
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        if not any(getattr(h, "flexben_json", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            handler.flexben_json = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
            logger.propagate = False


class AccessLogMiddleware:
    """One access line per request: method, route template, status, duration, actor id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await call_observed(self.app, scope, receive, send, self._log)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        self.logger.info(
            "request",
            extra={
                "method": scope.get("method"),
                "route": route_template(scope),
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "actor": scope.get("state", {}).get("principal_id"),
            },
        )
