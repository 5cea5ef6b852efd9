"""Routes: POST /api/v1/api-keys, GET /api/v1/api-keys, DELETE /api/v1/api-keys/{id}."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from app.audit.service import record, snapshot
from app.auth.deps import SessionDep, require_roles
from app.auth.models import ApiKey
from app.auth.principal import Principal
from app.auth.service import KeyOwner, binding_errors, create_api_key, revoke_api_key
from app.config import Settings
from app.db import utcnow
from app.errors import Forbidden, Unprocessable, error_item
from app.pagination import Page, PageParams, keyset_page, page_params

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"])
HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]


def api_key_out(api_key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=api_key.public_id,
        name=api_key.name,
        roles=list(api_key.roles),
        employee=api_key.employee_external_id,
        person=api_key.person_id,
        created_at=api_key.created_at,
        expires_at=api_key.expires_at,
        revoked_at=api_key.revoked_at,
        last_used_at=api_key.last_used_at,
    )


def _expiry(
    requested: datetime | None, principal: Principal, settings: Settings
) -> datetime | None:
    """A key minted by a person signed in through OIDC lives at most
    `oidc_key_max_days`: their provider account may end without flexben knowing."""
    if not principal.via_oidc:
        return requested
    latest = utcnow() + timedelta(days=settings.oidc_key_max_days)
    return latest if requested is None else min(requested, latest)


@router.post("", status_code=201, response_model=ApiKeyCreated)
def create_key(
    body: ApiKeyCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: HrAdmin,
) -> ApiKeyCreated:
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise Unprocessable(
            "expires_at is in the past",
            errors=[error_item(["body", "expires_at"], "must be in the future")],
        )
    # No privilege escalation (an hr_admin minting itself an approver key would defeat the
    # four-eyes rule on approvals); self-service employee keys are HR's to hand out.
    not_held = sorted(set(body.roles) - principal.roles - {"employee"})
    if not_held:
        raise Forbidden(f"a key can only grant roles its creator holds; you lack {not_held}")
    errors = binding_errors(session, body.employee)
    if errors:
        raise Unprocessable("invalid API key request", errors=errors)
    settings: Settings = request.app.state.settings
    issued = create_api_key(
        session,
        name=body.name,
        roles=list(body.roles),
        pepper=settings.secret_key.get_secret_value(),
        employee_external_id=body.employee,
        expires_at=_expiry(body.expires_at, principal, settings),
        created_by=principal.id,
        owner=KeyOwner.of(principal),  # the key is its minter's, whoever it acts as
    )
    record(
        session,
        principal,
        "api_key.create",
        "api_key",
        issued.api_key.public_id,
        None,
        issued.api_key,
    )
    response.headers["Location"] = f"/api/v1/api-keys/{issued.api_key.public_id}"
    return ApiKeyCreated(**api_key_out(issued.api_key).model_dump(), key=issued.key)


@router.get("", response_model=Page[ApiKeyOut])
def list_keys(
    session: SessionDep,
    _principal: HrAdmin,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[ApiKeyOut]:
    rows, next_cursor = keyset_page(
        session,
        select(ApiKey),
        key_columns=[ApiKey.public_id],
        key_of=lambda key: [key.public_id],
        params=params,
    )
    return Page(items=[api_key_out(row) for row in rows], next_cursor=next_cursor)


@router.delete("/{key_id}", status_code=204)
def revoke_key(key_id: str, session: SessionDep, principal: HrAdmin) -> Response:
    api_key = revoke_api_key(session, key_id)
    before = {**snapshot(api_key), "revoked_at": None}
    record(session, principal, "api_key.revoke", "api_key", key_id, before, api_key)
    return Response(status_code=204)
