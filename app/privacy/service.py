"""Erasure: the person's identity fields are cleared and their external_id replaced by a
pseudonym; their preferences (current and history) are deleted; records that must be kept
(published payroll lines, legal retention) stay under the pseudonym. Audited.

The pseudonym is an HMAC of the person (their employee row) and external_id under the
service's secret key: stable for that person, distinct for a later person given the same
external_id (who can be erased in turn), not reversible without the secret. Everything
that kept the external_id moves to the pseudonym: run results and inputs, budget-curve
jobs' inputs, payroll lines, carry-overs, audit entity keys; the person's API keys are
revoked and renamed (a key's name may name its holder).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.allocations.models import Run, RunEmployee, RunLine
from app.allocations.problem import canonical_json, sha256_hex
from app.audit.models import AuditEvent
from app.audit.service import record, snapshot
from app.auth.models import ApiKey
from app.db import utcnow
from app.employees.service import get_employee
from app.errors import Conflict
from app.jobs.models import Job
from app.payroll.models import CarryOver, PayrollLine
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


def pseudonym_of(employee_id: int, external_id: str, *, pepper: str) -> str:
    message = f"{employee_id}:{external_id}".encode()
    mac = hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()
    return f"{PSEUDONYM_PREFIX}{mac[:20]}"


def erase_employee(session: Session, external_id: str, *, pepper: str) -> Erasure:
    """Erase one person (404 when unknown or already erased); flushes."""
    employee = get_employee(session, external_id, for_update=True)
    _refuse_while_a_run_holds(session, external_id)
    before = snapshot(employee)
    pseudonym = pseudonym_of(employee.id, external_id, pepper=pepper)
    now = utcnow()
    removed = session.execute(delete(Preference).where(Preference.employee_id == employee.id))
    removed_versions = session.execute(
        delete(PreferenceVersion).where(PreferenceVersion.employee_id == employee.id)
    )
    revoked = session.execute(
        update(ApiKey)
        .where(
            or_(
                ApiKey.employee_external_id == external_id,
                ApiKey.person_employee_id == employee.id,
            )
        )
        .values(
            employee_external_id=case(
                (ApiKey.employee_external_id == external_id, pseudonym),
                else_=ApiKey.employee_external_id,
            ),
            name=f"key of {pseudonym}",
            revoked_at=func.coalesce(ApiKey.revoked_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    for field in IDENTITY_FIELDS:
        setattr(employee, field, None)
    employee.external_id = pseudonym
    employee.attributes = {}
    employee.active = False
    employee.version += 1
    employee.updated_at = now
    rekey_retained_records(session, external_id, pseudonym)
    record(session, None, "employee.erase", "employee", pseudonym, before, employee)
    session.flush()
    return Erasure(
        external_id=pseudonym,
        erased_at=now,
        preferences_removed=removed.rowcount,  # type: ignore[attr-defined]
        preference_versions_removed=removed_versions.rowcount,  # type: ignore[attr-defined]
        api_keys_revoked=revoked.rowcount,  # type: ignore[attr-defined]
    )


def _runs_holding(session: Session, external_id: str) -> list[str]:
    """Unfinished runs whose problem includes the person, or is still being built (its job
    may have read the person before the erasure commits)."""
    needle = json.dumps(external_id)
    return list(
        session.scalars(
            select(Run.id).where(
                Run.status.in_(("queued", "running")),
                Run.problem.is_(None) | Run.problem.contains(needle, autoescape=True),
            )
        )
    )


def _refuse_while_a_run_holds(session: Session, external_id: str) -> None:
    """A queued or running run would write the old external_id back with its results."""
    pending = _runs_holding(session, external_id)
    if pending:
        raise Conflict(
            f"runs {', '.join(pending)} include this person and have not finished; "
            "erase once they have"
        )


def rekey_retained_records(session: Session, external_id: str, pseudonym: str) -> None:
    """Run results, published payroll lines and carried-over allowances (kept for legal
    retention and for the organisation's totals) move to the pseudonym; so does the
    person's entry in stored run inputs, so a run still reproduces under the new key."""
    for table in (RunLine, RunEmployee, PayrollLine, CarryOver):
        session.execute(
            update(table)
            .where(table.employee == external_id)
            .values(employee=pseudonym)
            .execution_options(synchronize_session=False)
        )
    needle = json.dumps(external_id)  # canonical JSON writes the id exactly like this
    runs = session.scalars(select(Run).where(Run.problem.contains(needle, autoescape=True)))
    for run in runs:
        problem = json.loads(run.problem or "{}")  # contains() matched: never None
        if _rename_employee(problem, external_id, pseudonym):
            run.problem = canonical_json(problem)
            run.problem_sha256 = sha256_hex(run.problem)
    jobs = session.scalars(select(Job).where(Job.problem.contains(needle, autoescape=True)))
    for job in jobs:
        problem = json.loads(job.problem or "{}")
        if _rename_employee(problem, external_id, pseudonym):
            job.problem = canonical_json(problem)
    _rekey_audit(session, external_id, pseudonym)


def _rekey_audit(session: Session, external_id: str, pseudonym: str) -> None:
    """Audit entity keys naming the person (`E1`, `<period>/E1`) move to the pseudonym;
    the events themselves (who did what, when, hashes) are kept as they were."""
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.entity_type == "employee", AuditEvent.entity_key == external_id)
        .values(entity_key=pseudonym)
        .execution_options(synchronize_session=False)
    )
    suffix = f"/{external_id}"
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "preferences",
            AuditEvent.entity_key.endswith(suffix, autoescape=True),
        )
    )
    for event in events:
        event.entity_key = event.entity_key.removesuffix(suffix) + f"/{pseudonym}"


def _rename_employee(problem: dict[str, Any], external_id: str, pseudonym: str) -> bool:
    renamed = False
    for entry in problem.get("employees", []):
        if entry.get("id") == external_id:
            entry["id"] = pseudonym
            renamed = True
    if renamed:  # the solver sorts employees by id: keep the document canonical
        problem["employees"].sort(key=lambda entry: entry["id"])
    return renamed
