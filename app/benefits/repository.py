"""All benefit queries."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.benefits.models import Benefit


def get_by_code(session: Session, code: str, *, for_update: bool = False) -> Benefit | None:
    stmt = select(Benefit).where(Benefit.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def get_many(session: Session, codes: Iterable[str]) -> dict[str, Benefit]:
    wanted = set(codes)
    if not wanted:
        return {}
    rows = session.scalars(select(Benefit).where(Benefit.code.in_(wanted)))
    return {benefit.code: benefit for benefit in rows}


def display_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Benefit code -> name, for the codes that exist."""
    wanted = set(codes)
    if not wanted:
        return {}
    rows = session.execute(select(Benefit.code, Benefit.name).where(Benefit.code.in_(wanted)))
    return dict(rows.all())


def all_benefits(session: Session) -> list[Benefit]:
    return list(session.scalars(select(Benefit).order_by(Benefit.code)))


def list_query(*, active: bool | None, category: str | None) -> Select[Benefit]:
    stmt = select(Benefit)
    if active is not None:
        stmt = stmt.where(Benefit.active.is_(active))
    if category is not None:
        stmt = stmt.where(Benefit.category == category)
    return stmt
