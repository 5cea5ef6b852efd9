"""Routes: GET|POST /api/v1/benefits, GET|PATCH /api/v1/benefits/{code}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth.deps import ALL_ROLES, SessionDep, require_roles
from app.auth.principal import Principal
from app.benefits import repository, service
from app.benefits.models import Benefit
from app.benefits.schemas import BenefitCreate, BenefitOut, BenefitPatch
from app.http import check_if_match, etag_of_version, set_etag
from app.pagination import Page, PageParams, keyset_page, page_params

router = APIRouter(prefix="/api/v1/benefits", tags=["benefits"])
AnyRole = Annotated[Principal, Depends(ALL_ROLES)]
HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]


def benefit_out(benefit: Benefit) -> BenefitOut:
    return BenefitOut.model_validate(benefit, from_attributes=True)


@router.get("", response_model=Page[BenefitOut])
def list_benefits(
    session: SessionDep,
    _principal: AnyRole,
    params: Annotated[PageParams, Depends(page_params)],
    active: Annotated[bool | None, Query(description="Only active (or retired) ones")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[BenefitOut]:
    rows, next_cursor = keyset_page(
        session,
        repository.list_query(active=active, category=category),
        key_columns=[Benefit.code],
        key_of=lambda benefit: [benefit.code],
        params=params,
    )
    return Page(items=[benefit_out(row) for row in rows], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=BenefitOut)
def create_benefit(
    body: BenefitCreate, response: Response, session: SessionDep, _principal: HrAdmin
) -> BenefitOut:
    benefit = service.create_benefit(session, body)
    response.headers["Location"] = f"/api/v1/benefits/{benefit.code}"
    set_etag(response, etag_of_version(benefit.version))
    return benefit_out(benefit)


@router.get("/{code}", response_model=BenefitOut)
def get_benefit(
    code: str, response: Response, session: SessionDep, _principal: AnyRole
) -> BenefitOut:
    benefit = service.get_benefit(session, code)
    set_etag(response, etag_of_version(benefit.version))
    return benefit_out(benefit)


@router.patch("/{code}", response_model=BenefitOut)
def patch_benefit(
    code: str,
    body: BenefitPatch,
    request: Request,
    response: Response,
    session: SessionDep,
    _principal: HrAdmin,
) -> BenefitOut:
    benefit = service.get_benefit(session, code, for_update=True)
    check_if_match(request, etag_of_version(benefit.version))
    benefit = service.update_benefit(session, benefit, body)
    set_etag(response, etag_of_version(benefit.version))
    return benefit_out(benefit)
