"""The role × route matrix, kept here as data and checked three ways:

1. every route (but the probes and docs) declares a role policy;
2. the declared policies are exactly this matrix (a new route must be added here);
3. every cell is exercised: a role outside the policy gets 403, a role inside never gets
   401/403 (it may get 404/409/422: the role passed, the request itself was refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.auth.openapi import route_roles
from app.auth.principal import ROLES
from app.main import create_app
from tests.conftest import ApiClient
from tests.factories import benefit_body
from tests.run_world import approve, build_world, close, execute_queued, run
from tests.security_factories import make_open_period, make_people

PUBLIC = {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/openapi.json"}
PUBLIC |= {"/redoc"}

ALL = frozenset(ROLES)
STAFF = ALL - {"employee"}
HR = frozenset({"hr_admin"})
EMPLOYEE = frozenset({"employee"})
PEOPLE_READERS = frozenset({"hr_admin", "auditor"})
AUDIT_READERS = frozenset({"hr_admin", "auditor"})
RUN_SUMMARY = frozenset({"hr_admin", "approver", "finance", "auditor"})  # aggregates
PROBLEM_READERS = frozenset({"hr_admin", "approver", "auditor"})  # holds preferences
APPROVER = frozenset({"approver"})
PAYROLL = frozenset({"payroll"})
ANALYSTS = frozenset({"hr_admin", "finance"})  # scenarios, comparisons, curves: aggregates

MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/metrics"): ALL,
    ("POST", "/api/v1/api-keys"): HR,
    ("GET", "/api/v1/api-keys"): HR,
    ("DELETE", "/api/v1/api-keys/{key_id}"): HR,
    ("GET", "/api/v1/benefits"): ALL,
    ("POST", "/api/v1/benefits"): HR,
    ("GET", "/api/v1/benefits/{code}"): ALL,
    ("PATCH", "/api/v1/benefits/{code}"): HR,
    ("GET", "/api/v1/peer-groups"): STAFF,
    ("POST", "/api/v1/peer-groups"): HR,
    ("GET", "/api/v1/peer-groups/{code}"): STAFF,
    ("PATCH", "/api/v1/peer-groups/{code}"): HR,
    ("GET", "/api/v1/employees"): PEOPLE_READERS,
    ("POST", "/api/v1/employees"): HR,
    ("GET", "/api/v1/employees/{external_id}"): PEOPLE_READERS,
    ("PATCH", "/api/v1/employees/{external_id}"): HR,
    ("POST", "/api/v1/employees/import"): HR,
    ("POST", "/api/v1/employees/{external_id}/erase"): HR,
    ("GET", "/api/v1/periods"): STAFF,
    ("POST", "/api/v1/periods"): HR,
    ("GET", "/api/v1/periods/{period_id}"): STAFF,
    ("PATCH", "/api/v1/periods/{period_id}"): HR,
    ("POST", "/api/v1/periods/{period_id}/open"): HR,
    ("POST", "/api/v1/periods/{period_id}/close"): HR,
    ("GET", "/api/v1/periods/{period_id}/preferences"): HR,
    ("GET", "/api/v1/periods/{period_id}/preferences/{external_id}"): HR,
    ("PUT", "/api/v1/periods/{period_id}/preferences/{external_id}"): HR,
    ("GET", "/api/v1/periods/{period_id}/preferences/{external_id}/versions"): HR,
    ("GET", "/api/v1/me"): EMPLOYEE,
    ("GET", "/api/v1/me/periods/{period_id}/options"): EMPLOYEE,
    ("GET", "/api/v1/me/periods/{period_id}/preferences"): EMPLOYEE,
    ("PUT", "/api/v1/me/periods/{period_id}/preferences"): EMPLOYEE,
    ("GET", "/api/v1/me/periods"): EMPLOYEE,
    ("GET", "/api/v1/me/periods/{period_id}/allocation"): EMPLOYEE,
    ("GET", "/api/v1/periods/{period_id}/life-event-reasons"): HR,
    ("PUT", "/api/v1/periods/{period_id}/life-event-reasons"): HR,
    ("GET", "/api/v1/periods/{period_id}/life-events"): HR,
    ("POST", "/api/v1/periods/{period_id}/life-events"): HR,
    ("GET", "/api/v1/life-events/{event_id}"): HR,
    ("POST", "/api/v1/life-events/{event_id}/confirm"): HR,
    ("GET", "/api/v1/life-events/{event_id}/preferences"): HR,
    ("PUT", "/api/v1/life-events/{event_id}/preferences"): HR,
    ("POST", "/api/v1/life-events/{event_id}/runs"): HR,
    ("GET", "/api/v1/me/life-events"): EMPLOYEE,
    ("POST", "/api/v1/me/life-events"): EMPLOYEE,
    ("GET", "/api/v1/me/life-events/{event_id}/preferences"): EMPLOYEE,
    ("PUT", "/api/v1/me/life-events/{event_id}/preferences"): EMPLOYEE,
    ("GET", "/api/v1/periods/{period_id}/participation"): RUN_SUMMARY,  # counts only
    ("POST", "/api/v1/periods/{period_id}/runs"): ANALYSTS,  # finance: scenario runs only
    ("GET", "/api/v1/periods/{period_id}/runs"): RUN_SUMMARY,
    ("GET", "/api/v1/runs/{run_id}"): RUN_SUMMARY,
    ("GET", "/api/v1/runs/{run_id}/allocations"): HR,
    ("GET", "/api/v1/runs/{run_id}/employees/{external_id}"): HR,
    ("GET", "/api/v1/runs/{run_id}/problem"): PROBLEM_READERS,
    ("POST", "/api/v1/runs/{run_id}/approve"): APPROVER,
    ("GET", "/api/v1/periods/{period_id}/payroll/lines"): PAYROLL,
    ("GET", "/api/v1/periods/{period_id}/payroll/lines.csv"): PAYROLL,
    ("GET", "/api/v1/periods/{period_id}/payroll/changes"): PAYROLL,
    ("GET", "/api/v1/audit-events"): AUDIT_READERS,
    ("GET", "/api/v1/periods/{period_id}/scenarios"): ANALYSTS,
    ("POST", "/api/v1/periods/{period_id}/scenarios"): ANALYSTS,
    ("GET", "/api/v1/scenarios/{scenario_id}"): ANALYSTS,
    ("PATCH", "/api/v1/scenarios/{scenario_id}"): ANALYSTS,
    ("POST", "/api/v1/scenarios/{scenario_id}/apply"): HR,
    ("GET", "/api/v1/periods/{period_id}/compare"): ANALYSTS,
    ("POST", "/api/v1/periods/{period_id}/budget-curve"): ANALYSTS,
    ("GET", "/api/v1/jobs/{job_id}"): ANALYSTS,
    ("GET", "/api/v1/jobs/{job_id}/curve.csv"): ANALYSTS,
    ("GET", "/api/v1/jobs/{job_id}/curve.svg"): ANALYSTS,
}


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every APIRoute of the app, through FastAPI's wrappers of included routers. The web
    portal's pages (/portal: cookie sessions, tested in tests/app/portal) are not the API."""
    pending: list[Any] = list(app.routes)
    while pending:
        route = pending.pop(0)
        if isinstance(route, APIRoute):
            if not route.path.startswith("/portal"):
                yield route
        elif getattr(route, "original_router", None) is not None:
            pending.extend(route.original_router.routes)
        elif getattr(route, "routes", None) is not None:
            pending.extend(route.routes)


def operations(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    return {
        (method, route.path): route
        for route in api_routes(app)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    }


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app()


def test_walking_the_routes_finds_every_operation_of_the_openapi_document(app: FastAPI) -> None:
    documented = {
        (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        for method in methods
    }
    assert set(operations(app)) == documented


def test_every_route_declares_a_role_policy(app: FastAPI) -> None:
    undeclared = [
        f"{method} {path}"
        for (method, path), route in operations(app).items()
        if path not in PUBLIC and route_roles(route) is None
    ]
    assert undeclared == []


def test_declared_policies_are_the_matrix(app: FastAPI) -> None:
    declared = {
        key: frozenset(route_roles(route) or ())
        for key, route in operations(app).items()
        if key[1] not in PUBLIC or route_roles(route) is not None
    }
    assert set(declared) == set(MATRIX), "add new routes to MATRIX (and decide their roles)"
    wrong = {key: sorted(roles) for key, roles in declared.items() if roles != MATRIX[key]}
    assert wrong == {}


# ---------------------------------------------------------------- every cell


def fill(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def request_body(method: str, path: str, ids: dict[str, str] | None = None) -> Any:
    if path.endswith("/import"):
        return []
    if path == "/api/v1/benefits":
        return benefit_body(code="NEW")
    if path.endswith("/runs") and ids and "scenario_id" in ids:
        return {"scenario_id": ids["scenario_id"]}  # what finance may start
    if path.endswith("/runs") or path.endswith("/approve"):
        return {}
    return {} if method in {"POST", "PUT", "PATCH"} else None


def _ids_for(api: ApiClient, path: str) -> dict[str, str]:
    """Existing objects for the path's parameters (a closed period with a finished run
    when the route needs a run)."""
    admin = api.auth("hr_admin")
    spare_key = api.post(
        "/api/v1/api-keys", json={"name": "spare", "roles": ["hr_admin"]}, headers=admin
    ).json()["id"]
    ids = {"code": "GYM" if "benefits" in path else "HQ", "key_id": spare_key}
    if "{event_id}" in path:  # a published period with E1's event
        world = build_world(api)
        close(world)
        approve(world, run(world)["id"])
        event = api.post(
            f"/api/v1/periods/{world.period_id}/life-events",
            json={"employee": "E1", "kind": "leave", "effective_date": "2027-03-31"},
            headers=admin,
        ).json()["id"]
        return {**ids, "event_id": event, "period_id": world.period_id}
    if "{run_id}" in path:
        world = build_world(api)
        close(world)
        return {
            **ids,
            "run_id": run(world)["id"],
            "period_id": world.period_id,
            "external_id": "E2",
        }
    make_people(api, external_ids=("E1", "E2"))
    api.post("/api/v1/peer-groups", json={"code": "HQ", "name": "HQ"}, headers=admin)
    return {**ids, "period_id": make_open_period(api), "external_id": "E2"}


def _with_analysis_ids(api: ApiClient, path: str, ids: dict[str, str]) -> dict[str, str]:
    """A scenario of the period (scenario routes, scenario runs) and a budget-curve job."""
    needs = ("{scenario_id}" in path, "{job_id}" in path, path.endswith("/runs"))
    if not any(needs):
        return ids
    admin = api.auth("hr_admin")
    period = ids["period_id"]
    scenario = api.post(
        f"/api/v1/periods/{period}/scenarios", json={"name": "what if"}, headers=admin
    ).json()["id"]
    # Queued directly: a curve over this period's two people would be refused (fewer than
    # five participants would describe individuals; tests/app/security/test_small_budgets.py).
    from app.jobs.service import enqueue

    job = enqueue(api.session, kind="budget_curve", period_id=period, created_by="matrix").id
    api.session.commit()
    return {**ids, "scenario_id": scenario, "job_id": job}


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_every_cell_of_the_matrix(api: ApiClient, method: str, path: str) -> None:
    ids = _with_analysis_ids(api, path, _ids_for(api, path))
    url = fill(path, ids)
    allowed = MATRIX[(method, path)]
    # Refused roles first: a refused request must not change anything an allowed one needs.
    for role in sorted(ROLES, key=lambda r: r in allowed):
        headers = api.auth(role, employee="E1" if role == "employee" else None)
        body = request_body(method, path, ids)
        response = api.request(method, url, json=body, headers=headers)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, method, url, response.text)
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)


def test_the_runs_creator_may_not_approve_it_even_holding_approver(api: ApiClient) -> None:
    """Four-eyes: approver, and never the person who started the run."""
    world = build_world(api)
    close(world)
    both = api.auth("hr_admin", "approver")
    started = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=both)
    assert started.status_code == 202, started.text
    execute_queued(api)
    run_id = started.json()["id"]
    refused = api.post(f"/api/v1/runs/{run_id}/approve", headers=both)
    assert refused.status_code == 403, refused.text
    other = api.post(f"/api/v1/runs/{run_id}/approve", headers=api.auth("approver"))
    assert other.status_code == 200, other.text
