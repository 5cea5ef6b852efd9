"""Queries on publications, payroll lines and carried-over allowance."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.allocations.seams import register_carry_over
from app.payroll.models import CarryOver, PayrollLine, Publication
from app.periods.models import Period
from app.periods.repository import previous_period, successor_id


def latest_version(session: Session, period_id: str) -> int | None:
    return session.scalar(
        select(func.max(Publication.version)).where(Publication.period_id == period_id)
    )


def publication(session: Session, period_id: str, version: int) -> Publication | None:
    return session.scalar(
        select(Publication).where(
            Publication.period_id == period_id, Publication.version == version
        )
    )


def current_publication(session: Session, period_id: str) -> Publication | None:
    version = latest_version(session, period_id)
    return None if version is None else publication(session, period_id, version)


def lines_of(publication_id: int) -> Select[Any]:
    """A publication's lines; order by (employee, benefit) for a stable keyset."""
    return select(PayrollLine).where(PayrollLine.publication_id == publication_id)


def carry_over_into(session: Session, period: Period) -> dict[str, int]:
    """external_id -> allowance carried into `period` from the previous published period
    (when that period's leftover policy is `carry_over`; its current publication counts)."""
    previous = previous_period(session, period)
    if previous is None or previous.leftover_policy != "carry_over":
        return {}
    if successor_id(session, previous) != period.id:
        return {}  # carried into one period only: the first to start after it
    source = current_publication(session, previous.id)
    if source is None:
        return {}
    rows = session.execute(
        select(CarryOver.employee, CarryOver.amount).where(CarryOver.publication_id == source.id)
    )
    return {employee: amount for employee, amount in rows}  # noqa: C416 (Result has keys())


def carried_over_to(session: Session, period: Period, external_id: str) -> int:
    """What one employee carries into `period` (0 when nothing)."""
    return carry_over_into(session, period).get(external_id, 0)


register_carry_over(carry_over_into)  # runs' problems read carry-overs through allocations
