from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI

from app.auth.deps import require_employee, require_roles
from app.auth.principal import Principal
from tests.conftest import ApiClient


@pytest.fixture
def probe_app(shared_app: FastAPI) -> Iterator[FastAPI]:
    """The real app plus two routes guarded by the dependencies under test."""

    @shared_app.get("/test-only/me")
    def me(principal: Annotated[Principal, Depends(require_employee())]) -> dict[str, str | None]:
        return {"employee": principal.employee_external_id}

    @shared_app.get("/test-only/finance")
    def finance(
        principal: Annotated[Principal, Depends(require_roles("finance", "hr_admin"))],
    ) -> list[str]:
        return sorted(principal.roles)

    yield shared_app
    shared_app.router.routes[:] = [
        route
        for route in shared_app.router.routes
        if not getattr(route, "path", "").startswith("/test-only")
    ]


def test_require_employee_gives_the_bound_employee(api: ApiClient, probe_app: FastAPI) -> None:
    response = api.get("/test-only/me", headers=api.auth("employee", employee="E7"))
    assert response.status_code == 200
    assert response.json() == {"employee": "E7"}
    assert api.get("/test-only/me", headers=api.auth("hr_admin")).status_code == 403
    assert api.get("/test-only/me").status_code == 401


def test_require_roles_accepts_any_listed_role(api: ApiClient, probe_app: FastAPI) -> None:
    both = api.get("/test-only/finance", headers=api.auth("finance", "auditor"))
    assert both.json() == ["auditor", "finance"]
    assert api.get("/test-only/finance", headers=api.auth("hr_admin")).status_code == 200
    assert api.get("/test-only/finance", headers=api.auth("payroll")).status_code == 403


def test_unknown_roles_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        require_roles("wizard")
