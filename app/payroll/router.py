"""Routes of approval (approver), the payroll pull (payroll) and the employee's own
published allocation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from app.allocations.schemas import MyAllocationOut
from app.auth.deps import SessionDep, SessionFactoryDep, require_employee, require_roles
from app.auth.principal import Principal
from app.http import AnswerLanguage, file_responses
from app.pagination import PageParams, page_params
from app.payroll import service
from app.payroll.my_allocation import my_allocation
from app.payroll.schemas import ChangesOut, PayrollPage, PublicationOut

router = APIRouter(prefix="/api/v1", tags=["payroll"])
me_router = APIRouter(prefix="/api/v1", tags=["me"])

Approver = Annotated[Principal, Depends(require_roles("approver"))]
Payroll = Annotated[Principal, Depends(require_roles("payroll"))]
Me = Annotated[Principal, Depends(require_employee())]
MAX_VERSION = 2**31 - 1  # a version number fits the INTEGER column on every database
Version = Annotated[
    int | None,
    Query(ge=1, le=MAX_VERSION, description="a published version (default: the current one)"),
]


@router.post("/runs/{run_id}/approve", response_model=PublicationOut)
def approve_run(run_id: str, session: SessionDep, principal: Approver) -> PublicationOut:
    """Publish a succeeded run of a closed period as the next version (four-eyes: not by
    whoever started the run, 403). 409 when the run did not succeed, the period is not
    closed, or the inputs changed since the run."""
    publication = service.approve(session, run_id, principal)
    return service.publication_out(session, publication)


@router.get("/periods/{period_id}/payroll/lines", response_model=PayrollPage)
def payroll_lines(
    period_id: str,
    session: SessionDep,
    _: Payroll,
    page: Annotated[PageParams, Depends(page_params)],
    version: Version = None,
) -> PayrollPage:
    """The published lines in (employee, benefit) order; the cursor pins the version, so a
    pull stays consistent if a new version is published meanwhile. 200 with no items before
    any publication."""
    return service.payroll_page(session, period_id, version=version, params=page)


@router.get(
    "/periods/{period_id}/payroll/lines.csv",
    response_class=StreamingResponse,
    responses=file_responses("text/csv"),
)
def payroll_lines_csv(
    period_id: str,
    session: SessionDep,
    factory: SessionFactoryDep,
    _: Payroll,
    version: Version = None,
) -> StreamingResponse:
    """The same lines as RFC 4180 CSV (UTF-8, CRLF, header row), streamed in constant
    memory; text cells that a spreadsheet would read as formulas are prefixed with '."""
    publication = service.csv_publication(session, period_id, version)
    name = f"payroll-{period_id}-v{publication.version if publication else 0}.csv"
    return StreamingResponse(
        service.csv_chunks(factory, publication),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/periods/{period_id}/payroll/changes", response_model=ChangesOut)
def payroll_changes(
    period_id: str,
    session: SessionDep,
    _: Payroll,
    since_version: Annotated[
        int, Query(ge=0, le=MAX_VERSION, description="a published version, 1..current")
    ],
) -> ChangesOut:
    """Lines added, changed (before/after) and removed between `since_version` and the
    current version."""
    return service.changes(session, period_id, since_version)


@me_router.get("/me/periods/{period_id}/allocation", response_model=MyAllocationOut)
def get_my_allocation(
    period_id: str, session: SessionDep, principal: Me, language: AnswerLanguage
) -> MyAllocationOut:
    """Your published allocation: lines, the points you gave and what was honoured, each
    unmet wish with its reason (in the Accept-Language's language: English or French), your
    allowance used and remaining, and your peer group's figures when it has at least 5
    participants. 404 before publication."""
    return my_allocation(session, period_id, principal, language=language)
