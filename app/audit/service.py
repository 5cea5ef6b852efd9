"""Recording audit events in the caller's transaction.

A write service calls `record(...)` before it commits: the event is committed with the
change or rolled back with it, so a refused request leaves no event. The actor is the
principal the authentication dependency bound to the request's session (see
`app.auth.principal.bind_principal`), unless one is passed explicitly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth.principal import Principal, bound_principal
from app.db import Base, utcnow
from app.ids import time_ordered_uuid
from app.security.request_id import current_request_id

SYSTEM_ACTOR = "system"  # command-line tools and jobs without a calling principal

State = Mapping[str, Any] | Base | None


def snapshot(entity: Base) -> dict[str, Any]:
    """The column values of an ORM row, as recorded (pending values included)."""
    mapper = inspect(type(entity))
    return {attr.key: getattr(entity, attr.key) for attr in mapper.column_attrs}


def _as_dict(state: State) -> dict[str, Any] | None:
    if state is None:
        return None
    if isinstance(state, Base):
        return snapshot(state)
    return dict(state)


def canonical_json(state: Mapping[str, Any]) -> bytes:
    return json.dumps(state, sort_keys=True, separators=(",", ":"), default=str).encode()


def digest(state: Mapping[str, Any] | None) -> str | None:
    """SHA-256 (hex) of the canonical JSON of `state`; None when there is no state."""
    return None if state is None else hashlib.sha256(canonical_json(state)).hexdigest()


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    before, after = before or {}, after or {}
    names = set(before) | set(after)
    return sorted(name for name in names if _jsonish(before.get(name)) != _jsonish(after.get(name)))


def _jsonish(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def record(  # noqa: PLR0917 (the one-line call every write service makes)
    session: Session,
    principal: Principal | None,
    action: str,
    entity_type: str,
    key: str,
    before: State,
    after: State,
) -> AuditEvent:
    """Append an audit event to `session` (committed with the caller's transaction).

    `principal` None means the principal bound to the session (or the system actor).
    `before` / `after` are ORM rows or mappings; only their digests and the names of the
    changed fields are stored, never the values.
    """
    actor = principal or bound_principal(session)
    before_state, after_state = _as_dict(before), _as_dict(after)
    event = AuditEvent(
        occurred_at=utcnow(),
        actor=actor.id if actor is not None else SYSTEM_ACTOR,
        roles=sorted(actor.roles) if actor is not None else [],
        action=action,
        entity_type=entity_type,
        entity_key=key,
        request_id=current_request_id(),
        before_digest=digest(before_state),
        after_digest=digest(after_state),
        changed=changed_fields(before_state, after_state),
    )
    session.add(event)
    return event


def record_many(
    session: Session,
    principal: Principal | None,
    action: str,
    entity_type: str,
    changes: list[tuple[str, State, State]],
) -> int:
    """One event per (key, before, after), written in one statement (bulk imports, listings).

    Returns how many events were added.
    """
    if not changes:
        return 0
    actor = principal or bound_principal(session)
    now, request_id = utcnow(), current_request_id()
    rows = []
    for key, before, after in changes:
        before_state, after_state = _as_dict(before), _as_dict(after)
        rows.append(
            {
                "id": time_ordered_uuid(),
                "occurred_at": now,
                "actor": actor.id if actor is not None else SYSTEM_ACTOR,
                "roles": sorted(actor.roles) if actor is not None else [],
                "action": action,
                "entity_type": entity_type,
                "entity_key": key,
                "request_id": request_id,
                "before_digest": digest(before_state),
                "after_digest": digest(after_state),
                "changed": changed_fields(before_state, after_state),
            }
        )
    session.execute(insert(AuditEvent), rows)
    return len(rows)
