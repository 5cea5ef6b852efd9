"""Erasure: the person's identity fields are cleared and their external_id replaced by a
pseudonym; their preferences (current and history) are deleted; records that must be kept
(published payroll lines, legal retention) stay under the pseudonym. Audited.

The pseudonym is an HMAC of the external_id under the service's secret key: stable (the
same person always maps to the same key), not reversible without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.audit.service import record, snapshot
from app.auth.models import ApiKey
from app.db import utcnow
from app.employees.service import get_employee
from app.preferences.models import Preference, PreferenceVersion

PSEUDONYM_PREFIX = "ERASED-"
# Cleared on erasure: who the person is, and anything said about their circumstances.
IDENTITY_FIELDS = ("email", "display_name", "need_reason", "grade", "location", "hire_date")


@dataclass(frozen=True)
class Erasure:
    external_id: str
    erased_at: datetime
    preferences_removed: int
    preference_versions_removed: int
    api_keys_revoked: int


def pseudonym_of(external_id: str, *, pepper: str) -> str:
    mac = hmac.new(pepper.encode(), external_id.encode(), hashlib.sha256).hexdigest()
    return f"{PSEUDONYM_PREFIX}{mac[:20]}"


def erase_employee(session: Session, external_id: str, *, pepper: str) -> Erasure:
    """Erase one person (404 when unknown or already erased); commits."""
    employee = get_employee(session, external_id, for_update=True)
    before = snapshot(employee)
    pseudonym = pseudonym_of(external_id, pepper=pepper)
    now = utcnow()
    removed = session.execute(delete(Preference).where(Preference.employee_id == employee.id))
    removed_versions = session.execute(
        delete(PreferenceVersion).where(PreferenceVersion.employee_id == employee.id)
    )
    revoked = session.execute(
        update(ApiKey)
        .where(ApiKey.employee_external_id == external_id)
        .values(employee_external_id=pseudonym, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    for field in IDENTITY_FIELDS:
        setattr(employee, field, None)
    employee.external_id = pseudonym
    employee.attributes = {}
    employee.active = False
    employee.version += 1
    employee.updated_at = now
    record(session, None, "employee.erase", "employee", pseudonym, before, employee)
    session.commit()
    return Erasure(
        external_id=pseudonym,
        erased_at=now,
        preferences_removed=removed.rowcount,  # type: ignore[attr-defined]
        preference_versions_removed=removed_versions.rowcount,  # type: ignore[attr-defined]
        api_keys_revoked=revoked.rowcount,  # type: ignore[attr-defined]
    )
