"""Object-level access: an employee never reaches another person's data, whatever id they
put in a URL. Every route taking an id is tried with ids of someone else's objects."""

from __future__ import annotations

import pytest

from app.main import create_app
from tests.app.auth.test_matrix import operations
from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.security_factories import make_open_period, make_people

ROUTES_WITH_IDS = sorted(key for key in operations(create_app()) if "{" in key[1])
SECRET_POINTS = 77


def _others_data(api: ApiClient) -> dict[str, str]:
    """E2's preferences in an open period, E2's API key, and a draft period."""
    make_people(api)
    period_id = make_open_period(api)
    bob = api.auth("employee", employee="E2")
    url = f"/api/v1/me/periods/{period_id}/preferences"
    assert api.put(url, json={"points": {"GYM": SECRET_POINTS}}, headers=bob).status_code == 200
    admin = api.auth("hr_admin")
    draft = api.post("/api/v1/periods", json=period_body(name="draft"), headers=admin).json()
    bobs_key = api.post(
        "/api/v1/api-keys",
        json={"name": "bob's portal", "roles": ["employee"], "employee": "E2"},
        headers=admin,
    ).json()["id"]
    return {"period_id": period_id, "draft_id": draft["id"], "key_id": bobs_key}


@pytest.mark.parametrize(("method", "path"), ROUTES_WITH_IDS)
def test_an_employee_never_reaches_another_persons_data(
    api: ApiClient, method: str, path: str
) -> None:
    ids = _others_data(api)
    ana = api.auth("employee", employee="E1")
    values = {
        "external_id": "E2",
        "code": "GYM" if "/benefits/" in path else "HQ-L2",
        "period_id": ids["period_id"],
        "key_id": ids["key_id"],
    }
    url = path
    for name, value in values.items():
        url = url.replace("{" + name + "}", value)
    body = {"points": {"GYM": 1}} if method == "PUT" else {}
    response = api.request(method, url, json=body if method != "GET" else None, headers=ana)
    if path.startswith("/api/v1/me/"):
        # /me routes take no person id: they can only ever answer with the caller's data.
        assert response.status_code in (200, 404), response.text
        text = response.text.replace(" ", "")
        assert '"E2"' not in text and f'"GYM":{SECRET_POINTS}' not in text, text
    elif (method, path) == ("GET", "/api/v1/benefits/{code}"):
        assert response.status_code == 200  # the catalogue is every role's to read
    else:
        assert response.status_code in (403, 404), (method, url, response.status_code)
    # Whatever happened, E2's preferences and key are intact.
    admin = api.auth("hr_admin")
    theirs = api.get(f"/api/v1/periods/{ids['period_id']}/preferences/E2", headers=admin).json()
    assert theirs["points"] == {"GYM": SECRET_POINTS}
    keys = api.get("/api/v1/api-keys", params={"limit": 1000}, headers=admin).json()["items"]
    assert next(k for k in keys if k["id"] == ids["key_id"])["revoked_at"] is None


def test_a_draft_period_does_not_exist_for_employees(api: ApiClient) -> None:
    ids = _others_data(api)
    ana = api.auth("employee", employee="E1")
    for suffix in ("options", "preferences"):
        url = f"/api/v1/me/periods/{ids['draft_id']}/{suffix}"
        assert api.get(url, headers=ana).status_code == 404


def test_a_key_bound_to_an_unknown_employee_reaches_nothing(api: ApiClient) -> None:
    ids = _others_data(api)
    ghost = api.auth("employee", employee="GHOST")
    assert api.get("/api/v1/me", headers=ghost).status_code == 404
    url = f"/api/v1/me/periods/{ids['period_id']}/preferences"
    assert api.get(url, headers=ghost).status_code == 404
    assert api.put(url, json={"points": {"GYM": 1}}, headers=ghost).status_code == 404
