"""Route: POST /api/v1/employees/{external_id}/erase (hr_admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.auth.deps import SessionDep, require_roles
from app.auth.principal import Principal
from app.privacy.schemas import ErasureOut
from app.privacy.service import erase_employee

router = APIRouter(prefix="/api/v1", tags=["privacy"])
HrAdmin = Annotated[Principal, Depends(require_roles("hr_admin"))]


@router.post("/employees/{external_id}/erase", response_model=ErasureOut)
def erase(external_id: str, request: Request, session: SessionDep, _: HrAdmin) -> ErasureOut:
    """Erase a person (GDPR art. 17): identity fields cleared, preferences deleted, their
    API keys revoked; published payroll lines are kept under the returned pseudonymous
    external_id. Irreversible; audited."""
    pepper = request.app.state.settings.secret_key.get_secret_value()
    erasure = erase_employee(session, external_id, pepper=pepper)
    return ErasureOut(
        external_id=erasure.external_id,
        erased_at=erasure.erased_at,
        preferences_removed=erasure.preferences_removed,
        preference_versions_removed=erasure.preference_versions_removed,
        api_keys_revoked=erasure.api_keys_revoked,
    )
