"""Business rules of peer groups, employees and the employee import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import utcnow
from app.employees import repository as repo
from app.employees.importing import (
    EmployeeRecord,
    ImportFormatError,
    RowError,
    TooManyRowsError,
    parse_import,
)
from app.employees.models import Employee, PeerGroup
from app.employees.schemas import (
    EmployeeCreate,
    EmployeeOut,
    EmployeePatch,
    ImportReport,
    PeerGroupCreate,
    PeerGroupOut,
    PeerGroupPatch,
)
from app.errors import Conflict, NotFound, PayloadTooLarge, Unprocessable, error_item
from app.http import etag_of_version

Precondition = Callable[[str], None]  # raises 412 when the given current ETag is stale
REPORTED_IDS = 1000
BIG_IMPORT = 1000  # rows inserted from which PostgreSQL's statistics are refreshed


def _no_precondition(_etag: str) -> None:
    return None


# ---------------------------------------------------------------- peer groups


def peer_group_out(group: PeerGroup, employees: int | None = None) -> PeerGroupOut:
    return PeerGroupOut(
        code=group.code,
        name=group.name,
        equity_tolerance=group.equity_tolerance,
        equity_absolute=group.equity_absolute,
        employees=employees,
        created_at=group.created_at,
        updated_at=group.updated_at,
    )


def get_peer_group(session: Session, code: str, *, for_update: bool = False) -> PeerGroup:
    if "\x00" in code:  # cannot exist; PostgreSQL would refuse the query
        raise NotFound(f"no peer group with code {code!r}")
    stmt = select(PeerGroup).where(PeerGroup.code == code)
    group = session.scalar(stmt.with_for_update() if for_update else stmt)
    if group is None:
        raise NotFound(f"no peer group with code {code!r}")
    return group


def create_peer_group(session: Session, body: PeerGroupCreate) -> PeerGroup:
    if repo.peer_group_by_code(session, body.code) is not None:
        raise Conflict(f"a peer group with code {body.code!r} already exists")
    group = PeerGroup(**body.model_dump())
    session.add(group)
    audit.record(session, None, "peer_group.create", "peer_group", group.code, None, group)
    _flush_or_conflict(session, f"a peer group with code {body.code!r} already exists")
    return group


def patch_peer_group(
    session: Session, code: str, body: PeerGroupPatch, precondition: Precondition
) -> PeerGroup:
    group = get_peer_group(session, code, for_update=True)
    precondition(etag_of_version(group.version))
    before = audit.snapshot(group)
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Unprocessable(
            "name cannot be null", errors=[error_item(["body", "name"], "required")]
        )
    for field, value in changes.items():
        setattr(group, field, value)
    if changes:
        group.version += 1
        group.updated_at = utcnow()
        audit.record(session, None, "peer_group.update", "peer_group", group.code, before, group)
    session.flush()
    return group


# ---------------------------------------------------------------- employees


def employee_out(employee: Employee) -> EmployeeOut:
    return EmployeeOut(
        external_id=employee.external_id,
        email=employee.email,
        display_name=employee.display_name,
        peer_group=employee.peer_group.code,
        grade=employee.grade,
        location=employee.location,
        employment_type=employee.employment_type,
        hire_date=employee.hire_date,
        fte=employee.fte,
        need=employee.need,
        need_reason=employee.need_reason,
        top_up_limit=employee.top_up_limit,
        allowance_override=employee.allowance_override,
        attributes=employee.attributes,
        active=employee.active,
        created_at=employee.created_at,
        updated_at=employee.updated_at,
    )


def get_employee(session: Session, external_id: str, *, for_update: bool = False) -> Employee:
    if "\x00" in external_id:  # cannot exist; PostgreSQL would refuse the query
        raise NotFound(f"no employee with external_id {external_id!r}")
    stmt = select(Employee).where(Employee.external_id == external_id)
    employee = session.scalar(stmt.with_for_update(of=Employee) if for_update else stmt)
    if employee is None:
        raise NotFound(f"no employee with external_id {external_id!r}")
    return employee


def _peer_group_for(session: Session, code: str) -> PeerGroup:
    group = repo.peer_group_by_code(session, code)
    if group is None:
        raise Unprocessable(
            f"peer group {code!r} does not exist",
            errors=[error_item(["body", "peer_group"], f"peer group {code!r} does not exist")],
        )
    return group


def _check_email_free(session: Session, email: str | None, external_id: str) -> None:
    if email is None:
        return
    owner = repo.employee_by_email(session, email.lower())
    if owner is not None and owner.external_id != external_id:
        raise Conflict(
            f"email {email!r} is already used by employee {owner.external_id}",
            errors=[error_item(["body", "email"], "already used by another employee")],
        )


def create_employee(session: Session, body: EmployeeCreate) -> Employee:
    if repo.employee_by_external_id(session, body.external_id) is not None:
        raise Conflict(f"an employee with external_id {body.external_id!r} already exists")
    _check_email_free(session, body.email, body.external_id)
    values = body.model_dump(exclude={"peer_group"})
    if values["email"] is not None:
        values["email"] = values["email"].lower()
    employee = Employee(**values, peer_group=_peer_group_for(session, body.peer_group))
    session.add(employee)
    audit.record(session, None, "employee.create", "employee", employee.external_id, None, employee)
    _flush_or_conflict(session, "an employee with this external_id or email already exists")
    return employee


def patch_employee(
    session: Session, external_id: str, body: EmployeePatch, precondition: Precondition
) -> Employee:
    employee = get_employee(session, external_id, for_update=True)
    precondition(etag_of_version(employee.version))
    before = audit.snapshot(employee)
    changes = body.model_dump(exclude_unset=True)
    required = ("peer_group", "employment_type", "fte", "need", "top_up_limit", "active")
    nulls = [field for field in required if field in changes and changes[field] is None]
    if nulls:
        raise Unprocessable(
            "required fields cannot be null",
            errors=[error_item(["body", field], "cannot be null") for field in nulls],
        )
    if "peer_group" in changes:
        employee.peer_group = _peer_group_for(session, changes.pop("peer_group"))
    if changes.get("email") is not None:
        changes["email"] = changes["email"].lower()
        _check_email_free(session, changes["email"], external_id)
    if "attributes" in changes and changes["attributes"] is None:
        changes["attributes"] = {}
    for field, value in changes.items():
        setattr(employee, field, value)
    employee.version += 1
    employee.updated_at = utcnow()
    audit.record(session, None, "employee.update", "employee", external_id, before, employee)
    _flush_or_conflict(session, "another employee already uses this email")
    return employee


def _flush_or_conflict(session: Session, message: str) -> None:
    """Flush; a unique-constraint race with a concurrent writer becomes a 409."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(message) from None


# ---------------------------------------------------------------- import


def _row_problem(error: RowError) -> dict[str, Any]:
    loc: list[str | int] = ["body", error.row]
    if error.column:
        loc.append(error.column)
    return {**error_item(loc, error.message), **error.as_dict()}


def _values_of(record: EmployeeRecord, group_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "external_id": record.external_id,
        "email": record.email,
        "display_name": record.display_name,
        "peer_group_id": group_ids[record.peer_group],
        "grade": record.grade,
        "location": record.location,
        "employment_type": record.employment_type,
        "hire_date": record.hire_date,
        "fte": record.fte,
        "need": record.need,
        "need_reason": record.need_reason,
        "top_up_limit": record.top_up_limit,
        "allowance_override": record.allowance_override,
        "attributes": record.attributes,
        "active": record.active,
    }


def _email_errors(session: Session, records: list[EmployeeRecord]) -> list[RowError]:
    """Emails of the file already held by another employee (the unique constraint)."""
    by_email = {r.email: r for r in records if r.email is not None}
    owners = repo.email_owners(session, sorted(by_email))
    return [
        RowError(record.row, "email", f"{email!r} is already used by employee {owners[email]}")
        for email, record in by_email.items()
        if email in owners and owners[email] != record.external_id
    ]


def import_employees(
    session: Session,
    body: bytes,
    *,
    content_type: str,
    dry_run: bool,
    before_commit: Callable[[ImportReport], None] | None = None,
    max_rows: int | None = None,
) -> ImportReport:
    """Upsert employees by external_id from a CSV or JSON array; all or nothing.

    Every bad row is reported in one 422. Writes are two executemany statements (insert,
    update by primary key) in one transaction; nothing is written on `dry_run`.
    `before_commit` joins the caller's own record (idempotency) to that transaction.
    """
    group_ids = repo.peer_group_ids(session)
    try:
        parsed = parse_import(
            body, content_type=content_type, peer_groups=group_ids, max_rows=max_rows
        )
    except TooManyRowsError as exc:
        raise PayloadTooLarge(f"{exc} (FLEXBEN_MAX_IMPORT_ROWS)") from None
    except ImportFormatError as exc:
        raise Unprocessable(str(exc), errors=[error_item(["body"], str(exc))]) from None
    except UnicodeDecodeError:
        raise Unprocessable(
            "the file is not UTF-8 text", errors=[error_item(["body"], "must be UTF-8")]
        ) from None
    errors = parsed.errors
    records = parsed.records
    if not errors:
        errors = _email_errors(session, records)
    if errors:
        raise Unprocessable(
            f"{len({e.row for e in errors})} row(s) have errors; nothing was imported",
            errors=[_row_problem(error) for error in errors],
        )
    existing = repo.existing_for_import(session, [r.external_id for r in records])
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged = 0
    for record in records:
        values = _values_of(record, group_ids)
        current = existing.get(record.external_id)
        if current is None:
            inserts.append({**values, "version": 1, "created_at": now, "updated_at": now})
        elif any(current[key] != value for key, value in values.items()):
            updates.append(
                {
                    **values,
                    "id": current["id"],
                    "version": current["version"] + 1,
                    "updated_at": now,
                }
            )
        else:
            unchanged += 1
    report = ImportReport(
        dry_run=dry_run,
        rows=len(records),
        created=len(inserts),
        updated=len(updates),
        unchanged=unchanged,
        created_ids=[row["external_id"] for row in inserts[:REPORTED_IDS]],
        updated_ids=[row["external_id"] for row in updates[:REPORTED_IDS]],
    )
    if not dry_run:
        repo.bulk_update_employees(session, updates)
        repo.bulk_insert_employees(session, inserts)
        audit.record_many(
            session,
            None,
            "employee.import",
            "employee",
            [(row["external_id"], None, row) for row in inserts]
            + [(row["external_id"], existing[row["external_id"]], row) for row in updates],
        )
        if len(inserts) >= BIG_IMPORT:
            repo.refresh_statistics(session)
    if before_commit is not None:
        before_commit(report)
    _flush_or_conflict(session, "a concurrent change conflicts with this import; retry")
    return report
