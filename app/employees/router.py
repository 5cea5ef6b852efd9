"""Routes of peer groups, employees and the employee import (thin: parse, authorise, call)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.auth.deps import SessionDep, require_roles
from app.auth.principal import Principal
from app.employees import repository as repo
from app.employees import service
from app.employees.models import Employee, PeerGroup
from app.employees.schemas import (
    EMPLOYEE_EXAMPLE,
    EmployeeCreate,
    EmployeeOut,
    EmployeePatch,
    ImportReport,
    PeerGroupCreate,
    PeerGroupOut,
    PeerGroupPatch,
)
from app.errors import PayloadTooLarge
from app.http import check_if_match, etag_of_version, set_etag
from app.idempotency.service import Idempotency, idempotency
from app.pagination import Page, PageParams, keyset_page, page_params

router = APIRouter(prefix="/api/v1")

HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]
# Everyone but employees may read the peer groups; personal data (employees) is not for
# finance, who works on aggregates only.
Reader = Annotated[
    Principal, Depends(require_roles("hr_admin", "approver", "payroll", "finance", "auditor"))
]
# Individual records (need_reason may reveal health or family): finance sees aggregates
# only, payroll only published lines, so neither lists people (issue 5).
PeopleReader = Annotated[Principal, Depends(require_roles("hr_admin", "auditor"))]
Pages = Annotated[PageParams, Depends(page_params)]

CSV_EXAMPLE = (
    "external_id,email,display_name,peer_group,grade,location,employment_type,hire_date,"
    "fte,need,top_up_limit,allowance_override,attributes\n"
    'E00042,ana@example.com,Ana,HQ-L2,L2,HQ,full_time,2021-03-01,1.0,1.0,0,,"{""site"": ""HQ""}"\n'
)


# ---------------------------------------------------------------- peer groups


@router.get("/peer-groups", tags=["people"], response_model=Page[PeerGroupOut])
def list_peer_groups(session: SessionDep, _: Reader, page: Pages) -> Page[PeerGroupOut]:
    groups, cursor = keyset_page(
        session,
        repo.peer_groups_query(),
        key_columns=[PeerGroup.code],
        key_of=lambda group: [group.code],
        params=page,
    )
    counts = repo.employee_counts(session, [group.id for group in groups])
    items = [service.peer_group_out(group, counts.get(group.id, 0)) for group in groups]
    return Page(items=items, next_cursor=cursor)


@router.post("/peer-groups", tags=["people"], status_code=201, response_model=PeerGroupOut)
def create_peer_group(
    body: PeerGroupCreate, session: SessionDep, _: HrAdmin, response: Response
) -> PeerGroupOut:
    group = service.create_peer_group(session, body)
    response.headers["Location"] = f"/api/v1/peer-groups/{group.code}"
    set_etag(response, etag_of_version(group.version))
    return service.peer_group_out(group, 0)


@router.get("/peer-groups/{code}", tags=["people"], response_model=PeerGroupOut)
def get_peer_group(code: str, session: SessionDep, _: Reader, response: Response) -> PeerGroupOut:
    group = service.get_peer_group(session, code)
    set_etag(response, etag_of_version(group.version))
    return service.peer_group_out(group, repo.employee_counts(session, [group.id]).get(group.id, 0))


@router.patch("/peer-groups/{code}", tags=["people"], response_model=PeerGroupOut)
def patch_peer_group(
    code: str,
    body: PeerGroupPatch,
    request: Request,
    session: SessionDep,
    _: HrAdmin,
    response: Response,
) -> PeerGroupOut:
    group = service.patch_peer_group(session, code, body, partial(check_if_match, request))
    set_etag(response, etag_of_version(group.version))
    return service.peer_group_out(group, repo.employee_counts(session, [group.id]).get(group.id, 0))


# ---------------------------------------------------------------- employees


@router.get("/employees", tags=["people"], response_model=Page[EmployeeOut])
def list_employees(
    session: SessionDep,
    _: PeopleReader,
    page: Pages,
    peer_group: Annotated[
        str | None,
        Query(
            description="only this peer group's code", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
        ),
    ] = None,
    active: Annotated[bool | None, Query(description="only active (or inactive) employees")] = None,
) -> Page[EmployeeOut]:
    employees, cursor = keyset_page(
        session,
        repo.employees_query(peer_group=peer_group, active=active),
        key_columns=[Employee.external_id],
        key_of=lambda employee: [employee.external_id],
        params=page,
    )
    return Page(items=[service.employee_out(e) for e in employees], next_cursor=cursor)


@router.post("/employees", tags=["people"], status_code=201, response_model=EmployeeOut)
def create_employee(
    body: EmployeeCreate, session: SessionDep, _: HrAdmin, response: Response
) -> EmployeeOut:
    employee = service.create_employee(session, body)
    response.headers["Location"] = f"/api/v1/employees/{employee.external_id}"
    set_etag(response, etag_of_version(employee.version))
    return service.employee_out(employee)


@router.get("/employees/{external_id}", tags=["people"], response_model=EmployeeOut)
def get_employee(
    external_id: str, session: SessionDep, _: PeopleReader, response: Response
) -> EmployeeOut:
    employee = service.get_employee(session, external_id)
    set_etag(response, etag_of_version(employee.version))
    return service.employee_out(employee)


@router.patch("/employees/{external_id}", tags=["people"], response_model=EmployeeOut)
def patch_employee(
    external_id: str,
    body: EmployeePatch,
    request: Request,
    session: SessionDep,
    _: HrAdmin,
    response: Response,
) -> EmployeeOut:
    employee = service.patch_employee(session, external_id, body, partial(check_if_match, request))
    set_etag(response, etag_of_version(employee.version))
    return service.employee_out(employee)


@router.post(
    "/employees/import",
    tags=["people"],
    response_model=ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}},
                    "example": [EMPLOYEE_EXAMPLE],
                },
            },
        }
    },
)
async def import_employees(
    request: Request,
    session: SessionDep,
    _: HrAdmin,
    idem: Annotated[Idempotency, Depends(idempotency)],
    dry_run: Annotated[bool, Query(description="report what would change, write nothing")] = False,
) -> JSONResponse:
    """Upsert employees by external_id from CSV (`text/csv`) or a JSON array; all or nothing.

    CSV: a header row; `external_id` and `peer_group` required; `attributes` is a JSON
    object in one cell. A row describes the whole employee: a field left out takes its
    default. A 422 lists every bad row as `{row, column, message}` (CSV row = line number).
    """
    body = await request.body()
    limit = request.app.state.settings.max_body_bytes
    if len(body) > limit:
        raise PayloadTooLarge(f"the file is {len(body)} bytes; the limit is {limit}")
    content_type = request.headers.get("content-type", "application/json")

    def remember(report: ImportReport) -> None:
        idem.record(status_code=200, body=report.model_dump(mode="json"))

    def work() -> JSONResponse:
        """Database work off the event loop, in one thread-pool hop."""
        if (replay := idem.replay()) is not None:
            return replay
        report = service.import_employees(
            session,
            body,
            content_type=content_type,
            dry_run=dry_run,
            before_commit=remember,
            max_rows=request.app.state.settings.max_import_rows,
        )
        return JSONResponse(report.model_dump(mode="json"))

    return await run_in_threadpool(work)
