"""Sign-in links (work once, expire) and cookie sessions, each tied to one person.

A link and a session cookie are 256 random bits shown once; only their SHA-256 is
stored. The person id is derived from who the link names (an employee's external_id or
an administrator's name), so every session of one person acts as the same principal:
the four-eyes rule of approvals compares people, not sessions.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.principal import ROLES, Principal
from app.db import utcnow
from app.employees.repository import employee_by_external_id
from app.errors import Unauthorized, Unprocessable, error_item
from app.portal.models import PortalSession, SignInLink

PERSON_NAMESPACE = uuid.UUID("5b0c2f6e-0f4e-4d2a-9a57-3f1d7e8e2c11")
SIGN_IN_PATH = "/portal/sign-in/"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def person_id(*, employee: str | None, name: str) -> str:
    """The stable principal id of a person (36 characters, like API key ids)."""
    key = f"employee:{employee}" if employee else f"user:{name.strip().casefold()}"
    return str(uuid.uuid5(PERSON_NAMESPACE, key))


def issue_link(
    session: Session,
    *,
    roles: list[str],
    minutes: int,
    employee: str | None = None,
    name: str | None = None,
) -> str:
    """Store a new link (flushed, the caller commits) and return its secret token."""
    wanted = set(roles) | ({"employee"} if employee else set())
    roles = sorted(wanted, key=lambda r: (ROLES.index(r) if r in ROLES else len(ROLES), r))
    errors = [
        error_item(["roles", i], f"unknown role {r!r}; allowed: {', '.join(ROLES)}")
        for i, r in enumerate(roles)
        if r not in ROLES
    ]
    if not roles:
        errors.append(error_item(["roles"], "an employee or at least one role"))
    if "employee" in roles and not employee:
        errors.append(error_item(["employee"], "the employee role needs --employee"))
    display = name
    if employee:
        person = employee_by_external_id(session, employee)
        if person is None or not person.active:
            errors.append(error_item(["employee"], f"no active employee {employee!r}"))
        else:
            display = display or person.display_name or employee
    if not display and not employee:
        errors.append(error_item(["name"], "an administrator's link needs a name"))
    if errors:
        raise Unprocessable("cannot issue the sign-in link", errors=errors)
    assert display is not None
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            token_hash=_digest(token),
            person_id=person_id(employee=employee, name=display),
            name=display,
            roles=roles,
            employee_external_id=employee,
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class NewSession:
    cookie: str
    record: PortalSession


def redeem_link(session: Session, token: str, *, hours: int) -> NewSession:
    """Exchange a link for a session; a used, expired or unknown link is 401."""
    now = utcnow()
    # One conditional UPDATE: of two concurrent redemptions only one marks the link used.
    used = session.execute(
        update(SignInLink)
        .where(
            SignInLink.token_hash == _digest(token),
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Unauthorized("this sign-in link is unknown, already used or expired")
    link = session.scalars(select(SignInLink).where(SignInLink.token_hash == _digest(token))).one()
    return open_session(
        session,
        Principal(
            id=link.person_id,
            name=link.name,
            roles=frozenset(link.roles),
            employee_external_id=link.employee_external_id,
        ),
        hours=hours,
    )


def open_session(session: Session, principal: Principal, *, hours: int) -> NewSession:
    """A new session acting as `principal` (flushed; the caller commits)."""
    cookie = secrets.token_urlsafe(32)
    record = PortalSession(
        token_hash=_digest(cookie),
        person_id=principal.id,
        name=principal.name,
        roles=sorted(principal.roles, key=ROLES.index),
        employee_external_id=principal.employee_external_id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(record)
    session.flush()
    return NewSession(cookie=cookie, record=record)


def session_of(session: Session, cookie: str | None) -> PortalSession | None:
    """The live session behind a cookie, or None."""
    if not cookie:
        return None
    record = session.scalars(
        select(PortalSession).where(PortalSession.token_hash == _digest(cookie))
    ).one_or_none()
    if record is None or record.ended_at is not None or record.expires_at <= utcnow():
        return None
    return record


def principal_of(record: PortalSession) -> Principal:
    return Principal(
        id=record.person_id,
        name=record.name,
        roles=frozenset(record.roles),
        employee_external_id=record.employee_external_id,
    )


def end_session(record: PortalSession) -> None:
    record.ended_at = utcnow()


def csrf_matches(record: PortalSession, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(record.csrf_token, given)
