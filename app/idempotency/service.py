"""Replay the first response to a retried request.

Usage in a route (the record is stored in the same transaction as the work, so a rejected
request stores nothing and may be retried with the same key):

    @router.post(...)
    async def start(..., idem: Annotated[Idempotency, Depends(idempotency)]):
        if (replay := idem.replay()) is not None:
            return replay
        ... do the work, build `body` ...
        idem.record(status_code=202, body=body, headers={"Location": url})
        # the request's session dependency commits both, or neither
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from app.auth.deps import PrincipalDep, SessionDep
from app.auth.principal import Principal
from app.db import utcnow
from app.errors import Unprocessable, error_item
from app.idempotency.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
# How long a key's first response is replayed; afterwards the key may be reused.
RETENTION = timedelta(hours=24)


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _validated_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not raw or len(raw) > MAX_KEY_LENGTH or not raw.isprintable():
        raise Unprocessable(
            "invalid Idempotency-Key",
            errors=[error_item(["header", HEADER], f"1 to {MAX_KEY_LENGTH} printable characters")],
        )
    return raw


@dataclass
class Idempotency:
    """The request's idempotency context; inert when no Idempotency-Key was sent."""

    session: Session
    principal: Principal
    key: str | None
    fingerprint: str

    def replay(self) -> JSONResponse | None:
        """The stored first response for this key, 422 when the key was used for another
        request, None when the work must be done."""
        if self.key is None:
            return None
        self._serialise()
        record = self.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal_id == self.principal.id,
                IdempotencyRecord.key == self.key,
            )
        )
        if record is None:
            return None
        if record.created_at < utcnow() - RETENTION:
            self.session.delete(record)  # expired: the key may be used afresh
            self.session.flush()
            return None
        if record.request_hash != self.fingerprint:
            raise Unprocessable(
                "this Idempotency-Key was already used with a different request",
                errors=[error_item(["header", HEADER], "reused with another body; use a new key")],
            )
        headers = {**record.response_headers, REPLAYED_HEADER: "true"}
        return JSONResponse(record.response_body, status_code=record.status_code, headers=headers)

    def _serialise(self) -> None:
        """Concurrent retries with one key wait for each other (until the first commits),
        then replay: PostgreSQL takes a transaction advisory lock on the key; SQLite's
        write transactions (BEGIN IMMEDIATE) are serial already."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.sha256(f"{self.principal.id}\n{self.key}".encode()).digest()
        lock_id = int.from_bytes(digest[:8], "big", signed=True)
        self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})

    def record(self, *, status_code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Remember the response; committed together with the caller's work."""
        if self.key is None:
            return
        # Keep the table bounded: drop every expired record (indexed on created_at).
        self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION)
        )
        self.session.add(
            IdempotencyRecord(
                principal_id=self.principal.id,
                key=self.key,
                request_hash=self.fingerprint,
                status_code=status_code,
                response_body=jsonable_encoder(body),
                response_headers=dict(headers or {}),
            )
        )
        self.session.flush()


async def idempotency(
    request: Request, session: SessionDep, principal: PrincipalDep
) -> Idempotency:
    """FastAPI dependency reading the Idempotency-Key header and fingerprinting the request."""
    key = _validated_key(request.headers.get(HEADER))
    body = await request.body() if key is not None else b""
    fingerprint = request_fingerprint(request.method, request.url.path, request.url.query, body)
    return Idempotency(session=session, principal=principal, key=key, fingerprint=fingerprint)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
