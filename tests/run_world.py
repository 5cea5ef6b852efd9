"""A small organisation built through the HTTP API, and helpers to run and publish it.

Kept small (a handful of employees) so a run solves in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.jobs.execution import execute_pending
from tests.conftest import ApiClient, FreshDatabase
from tests.domain_factories import period_body

API = "/api/v1"

BENEFITS: list[dict[str, Any]] = [
    {
        "code": "HEALTH",
        "name": "Health",
        "category": "health",
        "cost": 120000,
        "core": True,
        "payroll_code": "BIK-HEALTH",
        "taxable": False,
    },
    {
        "code": "GYM",
        "name": "Gym",
        "category": "wellbeing",
        "cost": 36000,
        "payroll_code": "=GYM+1",
        "taxable": True,
    },
    {
        "code": "LEAVE",
        "name": "Extra leave",
        "category": "time",
        "cost": 25000,
        "max_units": 5,
        "payroll_code": "LEAVE",
        "taxable": False,
    },
    {
        "code": "PARKING",
        "name": "Parking",
        "category": "mobility",
        "cost": 90000,
        "capacity": 1,
        "payroll_code": "BIK-PARK",
        "taxable": True,
    },
    {
        "code": "BIKE",
        "name": "Bike",
        "category": "mobility",
        "cost": 50000,
        "payroll_code": "BIK-BIKE",
        "taxable": True,
    },
]
# external_id -> preferences submitted by the employee
PREFERENCES: dict[str, dict[str, Any]] = {
    "E1": {"GYM": 40, "LEAVE": {"points": 30, "units": 2}, "PARKING": 30},
    "E2": {"PARKING": 60, "BIKE": 40},
    "E3": {"LEAVE": {"points": 100, "units": 5}},
    "E4": {"GYM": 50, "BIKE": 50},
    "E5": {"GYM": 100},
    "E6": {},
}


class FreshClient(TestClient):
    """A client of a `fresh_db` app with the `auth` helper build_world uses."""

    def __init__(self, db: FreshDatabase) -> None:
        super().__init__(db.app)
        self.db = db

    def auth(self, *roles: str, employee: str | None = None) -> dict[str, str]:
        return self.db.auth(*roles, employee=employee)


@dataclass
class World:
    api: ApiClient
    period_id: str
    admin: dict[str, str]
    approver: dict[str, str]
    payroll: dict[str, str]
    employees: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{API}{path}"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def build_world(api: ApiClient, **period: Any) -> World:
    """Catalogue, one peer group of 6, an open period, everyone's preferences (via HTTP)."""
    admin = api.auth("hr_admin")
    for benefit in BENEFITS:
        body = {
            "description": "",
            "max_units": 1,
            "capacity": None,
            "core": False,
            "exclusive_group": None,
            "requires": [],
            "eligibility": None,
            "sensitive": False,
            **benefit,
        }
        _ok(api.post(f"{API}/benefits", json=body, headers=admin), 201)
    _ok(
        api.post(f"{API}/peer-groups", json={"code": "HQ", "name": "Head office"}, headers=admin),
        201,
    )
    for external_id in PREFERENCES:
        body = {
            "external_id": external_id,
            "email": f"{external_id.lower()}@example.com",
            "display_name": external_id,
            "peer_group": "HQ",
            "hire_date": "2020-01-01",
        }
        _ok(api.post(f"{API}/employees", json=body, headers=admin), 201)
    rules = {
        "allowance": {
            "default": 150000,
            "by_group": {},
            "prorate_fte": True,
            "prorate_start": True,
        },
        "budgets": [
            {"id": "total", "cap": 2_000_000},
            {"id": "mobility", "cap": 150000, "categories": ["mobility"]},
        ],
        "policy": {"objective": "utilitarian", "equity_tolerance": 0.5, "equity_absolute": 50000},
        **period,
    }
    period_id = _ok(api.post(f"{API}/periods", json=period_body(**rules), headers=admin), 201)["id"]
    _ok(api.post(f"{API}/periods/{period_id}/open", headers=admin))
    world = World(api, period_id, admin, api.auth("approver"), api.auth("payroll"))
    for external_id, points in PREFERENCES.items():
        headers = api.auth("employee", employee=external_id)
        world.employees[external_id] = headers
        if points:
            put = api.put(
                f"{API}/me/periods/{period_id}/preferences",
                json={"points": points},
                headers=headers,
            )
            _ok(put)
    return world


def joined_session_factory(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection and transaction (like the `api` requests)."""
    return sessionmaker(
        bind=session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )


def execute_queued(api: ApiClient) -> list[str]:
    """What the runner does in production: execute every queued run."""
    return execute_pending(joined_session_factory(api.session), kind="allocation_run")


def close(world: World) -> None:
    _ok(world.api.post(world.url(f"/periods/{world.period_id}/close"), headers=world.admin))


def run(world: World, **body: Any) -> dict[str, Any]:
    """Start a run, execute it, and return the finished run."""
    started = world.api.post(
        world.url(f"/periods/{world.period_id}/runs"), json=body, headers=world.admin
    )
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    assert execute_queued(world.api) == [started.json()["id"]]
    return _ok(world.api.get(location, headers=world.admin))


def approve(world: World, run_id: str) -> dict[str, Any]:
    return _ok(world.api.post(world.url(f"/runs/{run_id}/approve"), headers=world.approver))


def all_pages(api: ApiClient, url: str, headers: dict[str, str], **params: Any) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = _ok(api.get(url, params=query, headers=headers))
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
