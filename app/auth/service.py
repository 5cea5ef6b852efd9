"""Issuing, verifying and revoking API keys.

A key reads `fb_<prefix>_<secret>`: the prefix finds the row, the secret (256 random bits)
is stored only as HMAC-SHA256 under the service's secret key and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.directory import employee_directory
from app.auth.models import ApiKey
from app.auth.persons import employee_person, new_person
from app.auth.principal import ROLES, Principal
from app.db import utcnow, write_now
from app.errors import NotFound, Unauthorized, Unprocessable, error_item

KEY_SCHEME = "fb"
PREFIX_BYTES = 6


@dataclass(frozen=True)
class KeyOwner:
    """The person a key belongs to, and the employee row that person is (if any)."""

    person_id: str
    employee_id: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> KeyOwner:
        """A key minted by `principal` belongs to the same person."""
        return cls(principal.person, principal.person_employee_id)


def owner_of_employee(session: Session, external_id: str) -> KeyOwner | None:
    employee = employee_directory().by_external_id(session, external_id)
    return None if employee is None else KeyOwner(employee_person(employee.id), employee.id)


def owner_of_key(session: Session, public_id: str) -> KeyOwner:
    """The owner of an existing key (a new key for the same person); 404 when unknown."""
    api_key = session.scalar(select(ApiKey).where(ApiKey.public_id == public_id))
    if api_key is None:
        raise NotFound(f"no API key with id {public_id!r}")
    return KeyOwner(api_key.person_id, api_key.person_employee_id)


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key: `key` is the only time the secret is ever visible."""

    api_key: ApiKey
    key: str


def hash_secret(secret: str, *, pepper: str) -> str:
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _check_roles(roles: list[str], employee_external_id: str | None) -> list[str]:
    errors = []
    if not roles:
        errors.append(error_item(["body", "roles"], f"at least one role; allowed: {ROLES}"))
    for index, role in enumerate(roles):
        if role not in ROLES:
            errors.append(
                error_item(
                    ["body", "roles", index],
                    f"unknown role {role!r}; allowed: {', '.join(ROLES)}",
                )
            )
    if "employee" in roles and not employee_external_id:
        errors.append(
            error_item(
                ["body", "employee"],
                "an employee key must be bound to an employee (external_id)",
            )
        )
    if errors:
        raise Unprocessable("invalid API key request", errors=errors)
    return sorted(set(roles), key=ROLES.index)


def create_api_key(
    session: Session,
    *,
    name: str,
    roles: list[str],
    pepper: str,
    employee_external_id: str | None = None,
    expires_at: datetime | None = None,
    created_by: str | None = None,
    owner: KeyOwner | None = None,
) -> IssuedKey:
    """Store a new key (the caller commits) and return it with its one-time secret.

    Without an `owner` the key belongs to the employee it is bound to, else to a new person.
    """
    clean_roles = _check_roles(roles, employee_external_id)
    if owner is None and employee_external_id is not None:
        owner = owner_of_employee(session, employee_external_id)
    owner = owner or KeyOwner(new_person())
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey(
        prefix=prefix,
        secret_hash=hash_secret(secret, pepper=pepper),
        name=name,
        roles=clean_roles,
        employee_external_id=employee_external_id,
        expires_at=expires_at,
        created_by=created_by,
        person_id=owner.person_id,
        person_employee_id=owner.employee_id,
    )
    session.add(api_key)
    session.flush()
    return IssuedKey(api_key=api_key, key=f"{KEY_SCHEME}_{prefix}_{secret}")


def _split_token(token: str) -> tuple[str, str] | None:
    scheme, _, rest = token.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not prefix or not secret:
        return None
    return prefix, secret


def authenticate(session: Session, token: str, *, pepper: str, touch_after: timedelta) -> Principal:
    """The principal behind `token`, or 401. Revocation and expiry take effect at once."""
    parts = _split_token(token)
    if parts is None:
        raise Unauthorized("malformed API key")
    prefix, secret = parts
    owner_is_active = employee_directory().active_of(ApiKey.person_employee_id)
    found = session.execute(select(ApiKey, owner_is_active).where(ApiKey.prefix == prefix)).first()
    api_key, owner_active = (found[0], found[1]) if found is not None else (None, None)
    expected = api_key.secret_hash if api_key is not None else "0" * 64
    matches = hmac.compare_digest(expected, hash_secret(secret, pepper=pepper))
    if api_key is None or not matches:
        raise Unauthorized("unknown API key")
    now = utcnow()
    if api_key.revoked_at is not None:
        raise Unauthorized("API key revoked")
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise Unauthorized("API key expired")
    if owner_active is False:  # keys die with the person they belong to
        raise Unauthorized("API key of an inactive employee")
    if api_key.last_used_at is None or now - api_key.last_used_at >= touch_after:
        # Its own short write: a read-only request stays read-only (no SQLite write lock).
        write_now(session, lambda _session: setattr(api_key, "last_used_at", now))
    return Principal(
        id=api_key.public_id,
        name=api_key.name,
        roles=frozenset(api_key.roles),
        employee_external_id=api_key.employee_external_id,
        person_id=api_key.person_id,
        person_employee_id=api_key.person_employee_id,
    )


def binding_errors(session: Session, employee_external_id: str | None) -> list[dict[str, Any]]:
    """Problems with binding a key to `employee_external_id` (it must be an active employee)."""
    if employee_external_id is None:
        return []
    employee = employee_directory().by_external_id(session, employee_external_id)
    if employee is None:
        message = f"no employee with external_id {employee_external_id!r}"
    elif not employee.active:
        message = f"employee {employee_external_id!r} is not active"
    else:
        return []
    return [error_item(["body", "employee"], message)]


def revoke_api_key(session: Session, public_id: str) -> ApiKey:
    """Revoke (idempotently), with every key minted through it, and theirs; 404 for an
    unknown id. The caller commits."""
    api_key = session.scalar(select(ApiKey).where(ApiKey.public_id == public_id))
    if api_key is None:
        raise NotFound(f"no API key with id {public_id!r}")
    now, pending, seen = utcnow(), [api_key.public_id], {api_key.public_id}
    if api_key.revoked_at is None:
        api_key.revoked_at = now
    while pending:  # minted keys die with the key that minted them
        minted = session.scalars(select(ApiKey).where(ApiKey.created_by.in_(pending))).all()
        pending = [key.public_id for key in minted if key.public_id not in seen]
        seen.update(pending)
        for key in minted:
            key.revoked_at = key.revoked_at or now
    return api_key
