"""All queries on periods and on what periods refer to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.benefits.models import Benefit
from app.employees.models import PeerGroup
from app.periods.models import Period


def period_by_id(session: Session, period_id: str, *, for_update: bool = False) -> Period | None:
    stmt = select(Period).where(Period.id == period_id)
    return session.scalar(stmt.with_for_update() if for_update else stmt)


def share_lock_state(session: Session, period_id: str) -> tuple[str, datetime | None] | None:
    """The period's status and closes_at under a share lock (PostgreSQL FOR SHARE):
    writers that need the period open hold it until they commit, so closing it waits for
    them and they never see an open period that is being closed."""
    row = session.execute(
        select(Period.status, Period.closes_at)
        .where(Period.id == period_id)
        .with_for_update(read=True)
    ).first()
    return None if row is None else (row[0], row[1])


def periods_query(*, status: str | None) -> Select[Period]:
    stmt = select(Period)
    return stmt if status is None else stmt.where(Period.status == status)


def peer_group_codes(session: Session) -> set[str]:
    return set(session.scalars(select(PeerGroup.code)))


def benefit_facts(session: Session) -> dict[str, tuple[bool, str | None]]:
    """code -> (active, category) of every benefit in the catalogue."""
    rows = session.execute(select(Benefit.code, Benefit.active, Benefit.category))
    return {code: (active, category) for code, active, category in rows}


def offered_benefits(session: Session, period: Period) -> Sequence[Benefit]:
    """The benefits a period offers that are active, by code."""
    stmt = select(Benefit).where(Benefit.active.is_(True)).order_by(Benefit.code)
    if period.benefits is not None:
        stmt = stmt.where(Benefit.code.in_(period.benefits))
    return session.scalars(stmt).all()


def previous_period(session: Session, period: Period) -> Period | None:
    """The published period ending last before `period` starts."""
    return session.scalar(
        select(Period)
        .where(Period.effective_to < period.effective_from, Period.status == "published")
        .order_by(Period.effective_to.desc(), Period.id.desc())
        .limit(1)
    )


def successor_id(session: Session, previous: Period) -> str | None:
    """The one period a published period's leftover carries into: the first to start
    after it ends (by start date, then id: two periods starting the same day would
    otherwise both receive it)."""
    return session.scalar(
        select(Period.id)
        .where(Period.effective_from > previous.effective_to)
        .order_by(Period.effective_from, Period.id)
        .limit(1)
    )
