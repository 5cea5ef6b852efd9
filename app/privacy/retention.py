"""Retention: preferences of periods published longer ago than N days are purged.

What goes: current preferences and their history, the copies kept with each run of the
period (per-employee preferences and the explanations derived from them, and the
preferences inside the stored run input). What stays: allocations, payroll lines and
aggregate figures. A period published again later (after corrections) counts from its
latest publication; a period closed and never published counts from its closing; a period
open (or re-opened) is in use and is not purged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.allocations.models import Run, RunEmployee
from app.allocations.problem import canonical_json, sha256_hex
from app.audit.service import record
from app.db import utcnow
from app.payroll.models import Publication
from app.periods.models import Period
from app.preferences.models import Preference, PreferenceVersion


@dataclass(frozen=True)
class PurgedPeriod:
    period_id: str
    published_at: datetime | None  # None: closed and never published
    closed_at: datetime | None
    preferences: int
    preference_versions: int
    runs: int


def _latest_publications() -> Any:
    return (
        select(Publication.period_id, func.max(Publication.approved_at).label("at"))
        .group_by(Publication.period_id)
        .subquery()
    )


def periods_due(session: Session, *, older_than_days: int, now: datetime) -> list[Period]:
    """Published periods whose latest publication is older than the retention, and closed
    periods never published that closed longer ago."""
    cutoff = now - timedelta(days=older_than_days)
    latest = _latest_publications()
    stmt = (
        select(Period)
        .outerjoin(latest, latest.c.period_id == Period.id)
        .where(
            or_(
                and_(Period.status == "published", latest.c.at < cutoff),
                and_(Period.status == "closed", latest.c.at.is_(None), Period.closed_at < cutoff),
            )
        )
        .order_by(Period.id)
    )
    return list(session.scalars(stmt))


def purge_preferences(
    session: Session, *, older_than_days: int, now: datetime | None = None, dry_run: bool = False
) -> list[PurgedPeriod]:
    """Purge every period due (one transaction, audited per period); returns what went."""
    now = now or utcnow()
    purged = []
    for period in periods_due(session, older_than_days=older_than_days, now=now):
        purged.append(_purge_period(session, period))
    if dry_run:
        session.rollback()
    else:
        session.flush()  # the caller owns the transaction (the CLI commits)
    return purged


def _purge_period(session: Session, period: Period) -> PurgedPeriod:
    published_at = session.scalar(
        select(func.max(Publication.approved_at)).where(Publication.period_id == period.id)
    )
    preferences = session.execute(delete(Preference).where(Preference.period_id == period.id))
    versions = session.execute(
        delete(PreferenceVersion).where(PreferenceVersion.period_id == period.id)
    )
    run_ids = list(session.scalars(select(Run.id).where(Run.period_id == period.id)))
    if run_ids:
        session.execute(
            update(RunEmployee)
            .where(RunEmployee.run_id.in_(run_ids))
            .values(preferences={}, explanations=[])
            .execution_options(synchronize_session=False)
        )
        stored = select(Run).where(Run.id.in_(run_ids), Run.problem.is_not(None))
        for run in session.scalars(stored):
            assert run.problem is not None  # selected so
            run.problem = _without_preferences(run.problem)
            run.problem_sha256 = sha256_hex(run.problem)
    result = PurgedPeriod(
        period_id=period.id,
        published_at=published_at,
        closed_at=period.closed_at,
        preferences=preferences.rowcount,  # type: ignore[attr-defined]
        preference_versions=versions.rowcount,  # type: ignore[attr-defined]
        runs=len(run_ids),
    )
    after = {"preferences": 0, "purged_runs": len(run_ids)}
    before = {"preferences": result.preferences, "versions": result.preference_versions}
    record(session, None, "period.purge_preferences", "period", period.id, before, after)
    return result


def _without_preferences(problem_text: str) -> str:
    problem = json.loads(problem_text)
    for entry in problem.get("employees", []):
        entry.pop("preferences", None)
    return canonical_json(problem)
