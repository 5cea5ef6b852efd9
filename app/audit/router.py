"""Route: GET /api/v1/audit-events (read-only: no route changes or deletes an event)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit.models import AuditEvent
from app.audit.repository import EventFilter, events_query
from app.audit.schemas import AuditEventOut
from app.auth.deps import SessionDep, require_roles
from app.auth.principal import Principal
from app.errors import Unprocessable, error_item
from app.pagination import Page, PageParams, keyset_page, page_params

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])
Auditor = Annotated[Principal, Depends(require_roles("auditor", "hr_admin"))]
Text = Annotated[str | None, Query(min_length=1, max_length=200)]


@router.get("", response_model=Page[AuditEventOut])
def list_audit_events(
    session: SessionDep,
    _principal: Auditor,
    params: Annotated[PageParams, Depends(page_params)],
    *,
    actor: Text = None,
    entity_type: Text = None,
    entity_key: Text = None,
    action: Text = None,
    since: Annotated[datetime | None, Query(description="RFC 3339; inclusive")] = None,
    until: Annotated[datetime | None, Query(description="RFC 3339; exclusive")] = None,
) -> Page[AuditEventOut]:
    """Events in the order they were recorded, filtered; keyset-paginated."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Unprocessable(
                f"{name} needs a time zone",
                errors=[error_item(["query", name], "RFC 3339 with an offset, e.g. ...Z")],
            )
    where = EventFilter(
        actor=actor,
        entity_type=entity_type,
        entity_key=entity_key,
        action=action,
        since=since,
        until=until,
    )
    rows, next_cursor = keyset_page(
        session,
        events_query(where),
        key_columns=[AuditEvent.id],
        key_of=lambda event: [event.id],
        params=params,
    )
    items = [AuditEventOut.model_validate(row, from_attributes=True) for row in rows]
    return Page(items=items, next_cursor=next_cursor)
