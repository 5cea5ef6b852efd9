"""GET /api/v1/audit-events: auditor and hr_admin only, filters, keyset pagination, read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import utcnow
from tests.conftest import ApiClient
from tests.factories import benefit_body

URL = "/api/v1/audit-events"


def _three_benefits(api: ApiClient, headers: dict[str, str]) -> None:
    for code in ("A1", "B2", "C3"):
        created = api.post("/api/v1/benefits", json=benefit_body(code=code), headers=headers)
        assert created.status_code == 201, created.text


def test_auditor_pages_through_events_in_recording_order(api: ApiClient) -> None:
    _three_benefits(api, api.auth("hr_admin"))
    auditor = api.auth("auditor")
    first = api.get(URL, params={"limit": 2, "entity_type": "benefit"}, headers=auditor)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["entity_key"] for e in page["items"]] == ["A1", "B2"]
    second = api.get(
        URL,
        params={"limit": 2, "entity_type": "benefit", "cursor": page["next_cursor"]},
        headers=auditor,
    ).json()
    assert [e["entity_key"] for e in second["items"]] == ["C3"]
    assert second["next_cursor"] is None
    event = page["items"][0]
    assert set(event) >= {"id", "occurred_at", "actor", "roles", "action", "request_id"}
    assert event["action"] == "benefit.create" and len(event["after_digest"]) == 64


def test_filters_by_actor_key_action_and_time(api: ApiClient) -> None:
    admin = api.auth("hr_admin")
    _three_benefits(api, admin)
    auditor = api.auth("auditor")
    actor = api.get(URL, params={"entity_key": "B2"}, headers=auditor).json()["items"][0]["actor"]

    def keys(**params: str) -> list[str]:
        response = api.get(URL, params={"entity_type": "benefit", **params}, headers=auditor)
        assert response.status_code == 200, response.text
        return [e["entity_key"] for e in response.json()["items"]]

    assert keys(actor=actor) == ["A1", "B2", "C3"]
    assert keys(actor="someone-else") == []
    assert keys(action="benefit.update") == []
    now = utcnow()
    assert keys(since=(now - timedelta(minutes=5)).isoformat()) == ["A1", "B2", "C3"]
    assert keys(until=(now - timedelta(minutes=5)).isoformat()) == []
    naive = api.get(URL, params={"since": "2026-01-01T00:00:00"}, headers=auditor)
    assert naive.status_code == 422 and naive.json()["errors"][0]["loc"] == ["query", "since"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("auditor", 200),
        ("hr_admin", 200),
        ("employee", 403),
        ("approver", 403),
        ("payroll", 403),
        ("finance", 403),
    ],
)
def test_only_auditors_and_hr_admins_read_the_log(api: ApiClient, role: str, status: int) -> None:
    employee = "E1" if role == "employee" else None
    assert api.get(URL, headers=api.auth(role, employee=employee)).status_code == status


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_route_changes_or_deletes_events(api: ApiClient, method: str) -> None:
    _three_benefits(api, api.auth("hr_admin"))
    headers = api.auth("auditor", "hr_admin")
    event_id = api.get(URL, headers=headers).json()["items"][0]["id"]
    for url in (URL, f"{URL}/{event_id}"):
        response = api.request(method, url, json={}, headers=headers)
        assert response.status_code in (404, 405), (method, url, response.status_code)
    assert len(api.get(URL, headers=headers).json()["items"]) == 3
