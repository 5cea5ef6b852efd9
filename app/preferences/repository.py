"""All queries on preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, contains_eager

from app.employees.models import Employee, PeerGroup
from app.preferences.models import Preference, PreferenceVersion


def current(session: Session, period_id: str, employee_id: int) -> Preference | None:
    return session.scalar(
        select(Preference).where(
            Preference.period_id == period_id, Preference.employee_id == employee_id
        )
    )


def listing(period_id: str) -> Select[Preference]:
    return (
        select(Preference)
        .join(Preference.employee)
        .options(contains_eager(Preference.employee))
        .where(Preference.period_id == period_id)
    )


def compare_and_set(
    session: Session, preference_id: int, *, expected_version: int, values: dict[str, Any]
) -> bool:
    """Write `values` only if the row is still at `expected_version`; True when written."""
    result = session.execute(
        update(Preference)
        .where(Preference.id == preference_id, Preference.version == expected_version)
        .values(version=expected_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def add_version(
    session: Session,
    *,
    period_id: str,
    employee_id: int,
    version: int,
    points: dict[str, Any],
    submitted_by: str,
    on_behalf: bool,
    submitted_at: datetime,
) -> None:
    session.add(
        PreferenceVersion(
            period_id=period_id,
            employee_id=employee_id,
            version=version,
            points=points,
            submitted_by=submitted_by,
            on_behalf=on_behalf,
            submitted_at=submitted_at,
        )
    )


def versions(session: Session, period_id: str, employee_id: int) -> list[PreferenceVersion]:
    stmt = (
        select(PreferenceVersion)
        .where(
            PreferenceVersion.period_id == period_id,
            PreferenceVersion.employee_id == employee_id,
        )
        .order_by(PreferenceVersion.version)
    )
    return list(session.scalars(stmt))


def participation_by_group(session: Session, period_id: str) -> list[tuple[str, int, int]]:
    """(peer group code, active employees, of whom submitted) for every peer group."""
    submitted = select(Preference.employee_id).where(Preference.period_id == period_id).subquery()
    stmt = (
        select(
            PeerGroup.code,
            func.count(Employee.id),
            func.count(submitted.c.employee_id),
        )
        .select_from(PeerGroup)
        .outerjoin(Employee, (Employee.peer_group_id == PeerGroup.id) & Employee.active.is_(True))
        .outerjoin(submitted, submitted.c.employee_id == Employee.id)
        .group_by(PeerGroup.code)
        .order_by(PeerGroup.code)
    )
    return [(code, employees, done) for code, employees, done in session.execute(stmt)]
