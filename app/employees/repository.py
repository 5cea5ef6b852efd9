"""All queries on peer groups and employees."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.orm import Session

from app.bulk import copy_rows, insert_rows
from app.employees.models import Employee, PeerGroup

CHUNK = 1000  # bound the IN lists (SQLite's variable limit, PostgreSQL's plan cache)
FULL_SCAN_FROM = 5000  # import files naming more employees read the table in one scan


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def peer_group_by_code(session: Session, code: str) -> PeerGroup | None:
    return session.scalar(select(PeerGroup).where(PeerGroup.code == code))


def peer_group_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(PeerGroup.code, PeerGroup.id)).all())


def peer_groups_query() -> Select[PeerGroup]:
    return select(PeerGroup)


def employee_counts(session: Session, group_ids: Iterable[int]) -> dict[int, int]:
    stmt = (
        select(Employee.peer_group_id, func.count())
        .where(Employee.peer_group_id.in_(list(group_ids)), Employee.active.is_(True))
        .group_by(Employee.peer_group_id)
    )
    return dict(session.execute(stmt).all())


def employee_by_external_id(session: Session, external_id: str) -> Employee | None:
    return session.scalar(select(Employee).where(Employee.external_id == external_id))


def employee_by_email(session: Session, email: str) -> Employee | None:
    return session.scalar(select(Employee).where(Employee.email == email))


def employees_query(*, peer_group: str | None, active: bool | None) -> Select[Employee]:
    stmt = select(Employee)
    if peer_group is not None:
        stmt = stmt.join(Employee.peer_group).where(PeerGroup.code == peer_group)
    if active is not None:
        stmt = stmt.where(Employee.active.is_(active))
    return stmt


def active_employee_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(Employee.active.is_(True))) or 0


# ---------------------------------------------------------------- bulk import

IMPORT_COLUMNS = (
    Employee.id,
    Employee.external_id,
    Employee.email,
    Employee.display_name,
    Employee.peer_group_id,
    Employee.grade,
    Employee.location,
    Employee.employment_type,
    Employee.hire_date,
    Employee.fte,
    Employee.need,
    Employee.need_reason,
    Employee.top_up_limit,
    Employee.allowance_override,
    Employee.attributes,
    Employee.active,
    Employee.version,
)


def existing_for_import(session: Session, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Current values of the employees named in an import, by external_id.

    Small files: chunked IN lists. Large files: one scan of the table, filtered here (long
    IN lists cost the database far more than streaming the rows once). The rows are locked
    (FOR UPDATE) until the import commits: a concurrent PATCH either lands before the read
    (the import counts from its version) or waits for the import, never in between."""
    found: dict[str, dict[str, Any]] = {}
    if len(external_ids) > FULL_SCAN_FROM:
        wanted = set(external_ids)
        scan = select(*IMPORT_COLUMNS).with_for_update(of=Employee)
        for row in session.execute(scan).mappings():
            if row["external_id"] in wanted:
                found[row["external_id"]] = dict(row)
        return found
    for chunk in _chunks(external_ids):
        stmt = select(*IMPORT_COLUMNS).where(Employee.external_id.in_(chunk))
        for row in session.execute(stmt.with_for_update(of=Employee)).mappings():
            found[row["external_id"]] = dict(row)
    return found


def email_owners(session: Session, emails: Sequence[str]) -> dict[str, str]:
    """email -> external_id of the employee holding it."""
    owners: dict[str, str] = {}
    for chunk in _chunks(emails):
        stmt = select(Employee.email, Employee.external_id).where(Employee.email.in_(chunk))
        owners.update({email: owner for email, owner in session.execute(stmt) if email})
    return owners


def bulk_insert_employees(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, Employee, rows)


def bulk_update_employees(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rows carry the primary key `id` and every column to set. PostgreSQL: COPY into a
    temporary table, then one UPDATE ... FROM; elsewhere one executemany UPDATE by id."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(update(Employee), rows)
        return
    columns = list(rows[0])
    assignments = ", ".join(f"{name} = changes.{name}" for name in columns if name != "id")
    # CREATE ... AS: the same column types, none of the constraints.
    session.execute(
        text(
            "CREATE TEMPORARY TABLE employee_changes ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM employees WITH NO DATA"
        )
    )
    copy_rows(session, Employee, rows, into="employee_changes")
    session.execute(
        text(
            f"UPDATE employees SET {assignments} FROM employee_changes AS changes "
            "WHERE employees.id = changes.id"
        )
    )
    session.execute(text("DROP TABLE employee_changes"))


def refresh_statistics(session: Session) -> None:
    """After a bulk load on PostgreSQL, let the planner see the new table size at once
    (autovacuum would, later): lookups right after a big import otherwise scan."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE employees"))
