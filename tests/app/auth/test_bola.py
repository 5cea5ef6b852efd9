"""Object-level access: an employee never reaches another person's data, whatever id they
put in a URL. Every route taking an id is tried with ids of someone else's objects, in an
organisation with a published run."""

from __future__ import annotations

from typing import Any

from app.main import create_app
from tests.app.auth.test_matrix import operations
from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.run_world import PREFERENCES, approve, build_world, close, run

ROUTES_WITH_IDS = sorted(key for key in operations(create_app()) if "{" in key[1])
VICTIM = "E2"


def _others_data(api: ApiClient) -> dict[str, str]:
    """A published run (everyone's lines), the victim's API key, and a draft period."""
    world = build_world(api)
    close(world)
    run_id = run(world)["id"]
    approve(world, run_id)
    admin = api.auth("hr_admin")
    draft = api.post("/api/v1/periods", json=period_body(name="draft"), headers=admin).json()
    victims_key = api.post(
        "/api/v1/api-keys",
        json={"name": "victim's portal", "roles": ["employee"], "employee": VICTIM},
        headers=admin,
    ).json()["id"]
    scenario = api.post(
        f"/api/v1/periods/{world.period_id}/scenarios", json={"name": "x"}, headers=admin
    ).json()["id"]
    job = api.post(
        f"/api/v1/periods/{world.period_id}/budget-curve",
        json={"budget_id": "total", "from": 1, "to": 2, "steps": 2},
        headers=admin,
    ).json()["id"]
    event = api.post(
        f"/api/v1/periods/{world.period_id}/life-events",
        json={"employee": VICTIM, "kind": "leave", "effective_date": "2027-03-31"},
        headers=admin,
    ).json()["id"]
    return {
        "event_id": event,
        "period_id": world.period_id,
        "run_id": run_id,
        "scenario_id": scenario,
        "job_id": job,
        "draft_id": draft["id"],
        "key_id": victims_key,
        "external_id": VICTIM,
        "code": "HQ",
    }


def _url(path: str, ids: dict[str, str]) -> str:
    values = {**ids, "code": "GYM" if "/benefits/" in path else ids["code"]}
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def _victims_state(api: ApiClient, ids: dict[str, str]) -> Any:
    admin = api.auth("hr_admin")
    period = ids["period_id"]
    preferences = api.get(f"/api/v1/periods/{period}/preferences/{VICTIM}", headers=admin)
    keys = api.get("/api/v1/api-keys", params={"limit": 1000}, headers=admin).json()["items"]
    return (
        preferences.json()["points"],
        next(k for k in keys if k["id"] == ids["key_id"])["revoked_at"],
        api.get(f"/api/v1/employees/{VICTIM}", headers=admin).json()["email"],
    )


def test_an_employee_never_reaches_another_persons_data(api: ApiClient) -> None:
    ids = _others_data(api)
    before = _victims_state(api, ids)
    attacker = api.auth("employee", employee="E1")
    victim_points = [f'"{code}"' for code in PREFERENCES[VICTIM]]
    for method, path in ROUTES_WITH_IDS:
        url = _url(path, ids)
        body = {"points": {"GYM": 1}} if method == "PUT" else {}
        response = api.request(
            method, url, json=body if method != "GET" else None, headers=attacker
        )
        where = (method, url, response.status_code)
        if path.startswith("/api/v1/me/"):
            # /me routes take no person id: they only ever answer with the caller's data.
            assert response.status_code in (200, 404, 409), where
            text = response.text.replace(" ", "")
            assert f'"{VICTIM}"' not in text, (where, text)
        elif (method, path) == ("GET", "/api/v1/benefits/{code}"):
            assert response.status_code == 200  # the catalogue is every role's to read
        else:
            assert response.status_code in (403, 404), where
            assert not any(code in response.text for code in victim_points), where
    assert _victims_state(api, ids) == before


def test_a_draft_period_does_not_exist_for_employees(api: ApiClient) -> None:
    ids = _others_data(api)
    attacker = api.auth("employee", employee="E1")
    for suffix in ("options", "preferences", "allocation"):
        url = f"/api/v1/me/periods/{ids['draft_id']}/{suffix}"
        assert api.get(url, headers=attacker).status_code == 404


def test_a_key_bound_to_an_unknown_employee_reaches_nothing(api: ApiClient) -> None:
    ids = _others_data(api)
    ghost = api.auth("employee", employee="GHOST")
    assert api.get("/api/v1/me", headers=ghost).status_code == 404
    for suffix in ("options", "preferences", "allocation"):
        url = f"/api/v1/me/periods/{ids['period_id']}/{suffix}"
        assert api.get(url, headers=ghost).status_code == 404, suffix


def test_payroll_sees_published_lines_only_and_finance_aggregates_only(api: ApiClient) -> None:
    ids = _others_data(api)
    payroll, finance = api.auth("payroll"), api.auth("finance")
    lines = api.get(f"/api/v1/periods/{ids['period_id']}/payroll/lines", headers=payroll)
    assert lines.status_code == 200 and lines.json()["items"]
    for url in (
        f"/api/v1/runs/{ids['run_id']}/allocations",
        f"/api/v1/runs/{ids['run_id']}/problem",
        f"/api/v1/runs/{ids['run_id']}/employees/{VICTIM}",
        f"/api/v1/employees/{VICTIM}",
        f"/api/v1/periods/{ids['period_id']}/preferences",
    ):
        assert api.get(url, headers=payroll).status_code == 403, url
        assert api.get(url, headers=finance).status_code == 403, url
    summary = api.get(f"/api/v1/runs/{ids['run_id']}", headers=finance)
    assert summary.status_code == 200
    assert f'"{VICTIM}"' not in summary.text  # KPIs and group figures, no individual
