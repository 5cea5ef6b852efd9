"""Four-eyes publication of a run, and the payroll pull (lines, CSV, change feed).

Approval is atomic: in one transaction the period row is locked, the checks run, version
N+1 is created with a copy of the run's lines carrying today's payroll facts, carried-over
allowance is recorded, and the period becomes `published`. The unique (period, version)
constraint backs the lock: two concurrent approvals give exactly one version, the other
gets 409.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import case, func, insert, literal, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.allocations.models import Run, RunEmployee, RunLine
from app.allocations.seams import current_problem
from app.allocations.service import get_run
from app.audit.service import record, snapshot
from app.auth.principal import Principal
from app.benefits.models import Benefit
from app.db import read_session, utcnow
from app.errors import Conflict, Forbidden, Unprocessable, error_item
from app.pagination import PageParams, decode_cursor, encode_cursor
from app.payroll import repository as repo
from app.payroll.models import CarryOver, PayrollLine, Publication
from app.payroll.schemas import (
    ChangedLine,
    ChangesOut,
    PayrollLineOut,
    PayrollPage,
    PublicationOut,
)
from app.periods.models import Period
from app.periods.service import get_period


class PayrollSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLEXBEN_", extra="ignore")

    # payroll_code of the cash line paid for unused allowance (leftover_policy `cash`).
    leftover_cash_payroll_code: str = "CASH-LEFTOVER"


# ---------------------------------------------------------------- approval


def _check_approvable(session: Session, run: Run, period: Period, principal: Principal) -> None:
    if principal.person == run.created_by_person:  # persons, not keys: see app/auth/persons.py
        raise Forbidden(
            "four-eyes rule: the run must be approved by another person than the one who "
            "started it (any key or sign-in of that person counts as them)"
        )
    if run.scenario_id is not None:
        raise Conflict(
            f"run {run.id} is a run of scenario {run.scenario_id}: scenario runs are what-if "
            "analyses and are never published (apply the scenario, then run and approve)"
        )
    if run.status != "succeeded":
        raise Conflict(f"the run is {run.status}; only a succeeded run can be approved")
    if run.life_event_id is not None:
        _check_event_run(session, run, period)
        return
    if period.status != "closed":
        hint = "close it first" if period.status == "open" else "re-open it to correct it"
        raise Conflict(
            f"the period is {period.status}; only a run of a closed period can be approved ({hint})"
        )
    _text, digest = current_problem(session, period)
    if digest != run.problem_sha256:
        raise Conflict(
            "inputs changed since this run (preferences, people, catalogue or rules); "
            "start a new run and approve that one"
        )


@dataclass(frozen=True)
class Amendment:
    """How runs that amend a publication (life events) are approved; registered by their
    domain (payroll imports none): `base_version` of a run, `published` after approval."""

    base_version: Callable[[Run], int]
    published: Callable[[Session, Run, Principal], None]


_AMENDMENTS: list[Amendment] = []


def register_amendment(amendment: Amendment) -> None:
    _AMENDMENTS[:] = [amendment]


def _amendment() -> Amendment:
    if not _AMENDMENTS:  # pragma: no cover (app.main imports the life-events domain)
        raise Conflict("runs amending a publication cannot be approved in this process")
    return _AMENDMENTS[0]


def _check_event_run(session: Session, run: Run, period: Period) -> None:
    """An event run amends one publication: it may be approved while that one is current."""
    amended = _amendment().base_version(run)
    latest = repo.latest_version(session, period.id)
    if period.status != "published" or latest != amended:
        raise Conflict(
            f"this event run amends version {amended}, but the period is {period.status} "
            f"at version {latest}; start the event's run again"
        )


def _copy_lines(session: Session, run_id: str, publication_id: int, cash_code: str) -> None:
    """INSERT ... SELECT: the run's lines with the catalogue's payroll code and taxability."""
    is_cash = RunLine.kind == "leftover_cash"
    rows = (
        select(
            literal(publication_id),
            RunLine.employee,
            RunLine.benefit,
            RunLine.effective_from,
            RunLine.effective_to,
            RunLine.kind,
            RunLine.units,
            RunLine.employer_cost,
            RunLine.employee_cost,
            case((is_cash, literal(cash_code)), else_=Benefit.payroll_code),
            case((is_cash, literal(True)), else_=func.coalesce(Benefit.taxable, False)),
        )
        .select_from(RunLine)
        .outerjoin(Benefit, Benefit.code == RunLine.benefit)
        .where(RunLine.run_id == run_id)
    )
    columns = [
        "publication_id",
        "employee",
        "benefit",
        "effective_from",
        "effective_to",
        "kind",
        "units",
        "employer_cost",
        "employee_cost",
        "payroll_code",
        "taxable",
    ]
    session.execute(insert(PayrollLine).from_select(columns, rows))


def _record_carry_over(session: Session, run_id: str, publication_id: int) -> None:
    rows = select(literal(publication_id), RunEmployee.employee, RunEmployee.leftover).where(
        RunEmployee.run_id == run_id, RunEmployee.leftover > 0
    )
    session.execute(insert(CarryOver).from_select(["publication_id", "employee", "amount"], rows))


def approve(session: Session, run_id: str, principal: Principal) -> Publication:
    """Publish a run as the period's next version (committed)."""
    run = get_run(session, run_id)
    period = get_period(session, run.period_id, for_update=True)
    _check_approvable(session, run, period, principal)
    version = (repo.latest_version(session, period.id) or 0) + 1
    period_before = snapshot(period)
    publication = Publication(
        period_id=period.id,
        version=version,
        run_id=run.id,
        approved_by=principal.id,
        approved_at=utcnow(),
        currency=period.currency,
        effective_from=period.effective_from,
        effective_to=period.effective_to,
    )
    try:
        session.add(publication)
        session.flush()
        _copy_lines(session, run.id, publication.id, PayrollSettings().leftover_cash_payroll_code)
        if period.leftover_policy == "carry_over" and run.life_event_id is None:
            _record_carry_over(session, run.id, publication.id)
        if run.life_event_id is not None:
            _amendment().published(session, run, principal)
        period.status = "published"
        period.version += 1
        period.updated_at = utcnow()
        record(session, principal, "run.approve", "run", run.id, None, publication)
        record(session, principal, "period.publish", "period", period.id, period_before, period)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"version {version} of this period was published concurrently; reload"
        ) from None
    return publication


def publication_out(session: Session, publication: Publication) -> PublicationOut:
    count = session.scalar(select(func.count()).where(PayrollLine.publication_id == publication.id))
    return PublicationOut(
        period_id=publication.period_id,
        version=publication.version,
        run_id=publication.run_id,
        approved_by=publication.approved_by,
        approved_at=publication.approved_at,
        lines=count or 0,
    )


# ---------------------------------------------------------------- payroll lines


def _line_out(line: PayrollLine, publication: Publication) -> PayrollLineOut:
    return PayrollLineOut(
        employee=line.employee,
        benefit=line.benefit,
        kind=line.kind,
        units=line.units,
        employer_cost=line.employer_cost,
        employee_cost=line.employee_cost,
        payroll_code=line.payroll_code,
        taxable=line.taxable,
        effective_from=line.effective_from,
        effective_to=line.effective_to,
        version=publication.version,
        currency=publication.currency,
    )


def _version_problem(version: int, latest: int | None, loc: list[str | int]) -> Unprocessable:
    allowed = f"1 to {latest}" if latest else "none: nothing is published yet"
    return Unprocessable(
        f"no publication version {version} (published versions: {allowed})",
        errors=[error_item(loc, f"must be a published version ({allowed})")],
    )


def _pinned_publication(
    session: Session, period_id: str, version: int | None, params: PageParams
) -> tuple[Publication | None, tuple[str, str, date] | None]:
    """The publication a page reads (the cursor's pinned version wins) and the key after."""
    after: tuple[str, str, date] | None = None
    if params.cursor is not None:
        pinned, employee, benefit, starts = decode_cursor(
            params.cursor, size=4, types=[int, str, str, str]
        )
        try:
            after = (str(employee), str(benefit), date.fromisoformat(str(starts)))
        except ValueError:
            raise Unprocessable(
                "invalid cursor",
                errors=[error_item(["query", "cursor"], "not a cursor returned by this list")],
            ) from None
        assert isinstance(pinned, int)
        version = pinned
    latest = repo.latest_version(session, period_id)
    if version is None:
        version = latest
    if version is None:
        return None, None
    found = repo.publication(session, period_id, version)
    if found is None:
        raise _version_problem(version, latest, ["query", "version"])
    return found, after


def payroll_page(
    session: Session, period_id: str, *, version: int | None, params: PageParams
) -> PayrollPage:
    """One page of a publication's lines in (employee, benefit) order; the cursor pins the
    version, so a pull stays on one version even if another is published meanwhile."""
    get_period(session, period_id)
    publication, after = _pinned_publication(session, period_id, version, params)
    if publication is None:
        return PayrollPage(items=[], next_cursor=None, version=None)
    stmt = repo.lines_of(publication.id)
    if after is not None:
        key = tuple_(PayrollLine.employee, PayrollLine.benefit, PayrollLine.effective_from)
        stmt = stmt.where(key > tuple_(*after))
    order = (PayrollLine.employee, PayrollLine.benefit, PayrollLine.effective_from)
    stmt = stmt.order_by(*order).limit(params.limit + 1)
    rows = list(session.scalars(stmt))
    cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        cursor = encode_cursor(
            [publication.version, last.employee, last.benefit, last.effective_from.isoformat()]
        )
    return PayrollPage(
        items=[_line_out(row, publication) for row in rows],
        next_cursor=cursor,
        version=publication.version,
    )


# ---------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "employee",
    "benefit",
    "kind",
    "units",
    "employer_cost",
    "employee_cost",
    "payroll_code",
    "taxable",
    "effective_from",
    "effective_to",
    "version",
    "currency",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 2000
CHUNK_CHARS = 64 * 1024


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading '.

    Integers stay integers (a negative amount is a number, not a formula)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_publication(session: Session, period_id: str, version: int | None) -> Publication | None:
    """The publication a CSV export reads (422 for an unknown version)."""
    get_period(session, period_id)
    latest = repo.latest_version(session, period_id)
    wanted = latest if version is None else version
    if wanted is None:
        return None
    found = repo.publication(session, period_id, wanted)
    if found is None:
        raise _version_problem(wanted, latest, ["query", "version"])
    return found


def csv_chunks(factory: sessionmaker[Session], publication: Publication | None) -> Iterator[str]:
    """RFC 4180 CSV (CRLF, quoted when needed) in ~64 KiB chunks, reading the lines in
    batches through a server-side cursor: memory stays flat whatever the size.

    Streamed after the request's transaction ended, from a read-only session of its own: a
    snapshot, which on SQLite (WAL) never blocks a writer however slow the client."""
    with read_session(factory) as session:
        yield from _csv_chunks(session, publication)


def _csv_chunks(session: Session, publication: Publication | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    if publication is not None:
        stmt = (
            select(
                PayrollLine.employee,
                PayrollLine.benefit,
                PayrollLine.kind,
                PayrollLine.units,
                PayrollLine.employer_cost,
                PayrollLine.employee_cost,
                PayrollLine.payroll_code,
                PayrollLine.taxable,
                PayrollLine.effective_from,
                PayrollLine.effective_to,
            )
            .where(PayrollLine.publication_id == publication.id)
            .order_by(PayrollLine.employee, PayrollLine.benefit, PayrollLine.effective_from)
            .execution_options(yield_per=CSV_BATCH)
        )
        tail = [publication.version, publication.currency]
        for row in session.execute(stmt):
            *cells, starts, ends = row
            dates = [starts.isoformat(), ends.isoformat()]
            writer.writerow([safe_cell(value) for value in (*cells, *dates, *tail)])
            if buffer.tell() >= CHUNK_CHARS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


# ---------------------------------------------------------------- change feed

COMPARED = (
    "units",
    "employer_cost",
    "employee_cost",
    "payroll_code",
    "taxable",
    "kind",
    "effective_to",
)


def _lines_by_key(session: Session, publication: Publication) -> dict[tuple[str, str, date], Any]:
    """A line is the same line while it keeps its start: an amended line ends earlier."""
    rows = session.scalars(repo.lines_of(publication.id))
    return {(row.employee, row.benefit, row.effective_from): row for row in rows}


def changes(session: Session, period_id: str, since_version: int) -> ChangesOut:
    """Lines added, changed (before/after) and removed from `since_version` to the current
    version, each list in (employee, benefit) order."""
    get_period(session, period_id)
    latest = repo.latest_version(session, period_id)
    old = repo.publication(session, period_id, since_version)
    current = repo.current_publication(session, period_id)
    if old is None or current is None:
        raise _version_problem(since_version, latest, ["query", "since_version"])
    before, after = _lines_by_key(session, old), _lines_by_key(session, current)
    added = [_line_out(after[k], current) for k in sorted(after.keys() - before.keys())]
    removed = [_line_out(before[k], old) for k in sorted(before.keys() - after.keys())]
    changed = [
        ChangedLine(before=_line_out(before[k], old), after=_line_out(after[k], current))
        for k in sorted(before.keys() & after.keys())
        if any(getattr(before[k], f) != getattr(after[k], f) for f in COMPARED)
    ]
    return ChangesOut(
        period_id=period_id,
        since_version=since_version,
        version=current.version,
        added=added,
        changed=changed,
        removed=removed,
    )
