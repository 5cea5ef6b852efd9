from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.domain_factories import make_benefit, make_employee, make_peer_group, period_body

PERIODS = "/api/v1/periods"


def setup_people_and_catalogue(api: ApiClient) -> None:
    group = make_peer_group(api.session, code="HQ-L2")
    make_peer_group(api.session, code="HQ-L3")
    make_employee(api.session, external_id="E1", peer_group=group)
    make_benefit(api.session, code="HEALTH", core=True, category="health")
    make_benefit(api.session, code="GYM", category="wellbeing")
    make_benefit(api.session, code="BIKE", category="mobility")
    make_benefit(api.session, code="OLD", active=False, category="legacy")


def create(api: ApiClient, admin: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = api.post(PERIODS, json=period_body(**overrides), headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def locs(response: Any) -> set[tuple[Any, ...]]:
    return {tuple(error["loc"]) for error in response.json()["errors"]}


def test_create_draft_period(api: ApiClient) -> None:
    setup_people_and_catalogue(api)
    admin = api.auth("hr_admin")
    response = api.post(
        PERIODS,
        json=period_body(
            allowance={"default": 300000, "by_group": {"HQ-L2": 320000}, "prorate_fte": True},
            budgets=[
                {"id": "total", "cap": 250000000},
                {"id": "mobility", "cap": 9000000, "categories": ["mobility"]},
                {"id": "hq", "cap": 1000, "groups": ["HQ-L2"], "benefits": ["GYM"]},
            ],
            benefits=["GYM", "BIKE", "HEALTH"],
        ),
        headers=admin,
    )
    assert response.status_code == 201, response.text
    period = response.json()
    assert response.headers["Location"] == f"{PERIODS}/{period['id']}"
    assert period["status"] == "draft"
    assert period["policy"]["equity_tolerance"] == 0.15
    assert period["budgets"][1] == {
        "id": "mobility",
        "cap": 9000000,
        "groups": None,
        "benefits": None,
        "categories": ["mobility"],
    }
    got = api.get(f"{PERIODS}/{period['id']}", headers=api.auth("finance"))
    assert got.json() == period
    assert api.get(f"{PERIODS}/nope", headers=admin).status_code == 404


def test_create_checks_shape_and_references(api: ApiClient) -> None:
    setup_people_and_catalogue(api)
    admin = api.auth("hr_admin")
    response = api.post(
        PERIODS,
        json=period_body(
            effective_from="2027-12-31",
            effective_to="2027-01-01",
            opens_at="2026-11-02T00:00:00Z",
            closes_at="2026-11-01T00:00:00Z",
            allowance={"default": 1, "by_group": {"NOPE": 5}},
            budgets=[
                {"id": "a", "cap": 1, "groups": ["GHOST"], "benefits": ["NOPE"]},
                {"id": "a", "cap": 1, "categories": ["space"]},
            ],
            benefits=["GYM", "OLD", "NOPE"],
        ),
        headers=admin,
    )
    assert response.status_code == 422
    assert locs(response) == {
        ("body", "effective_to"),
        ("body", "closes_at"),
        ("body", "budgets", 1, "id"),
        ("body", "allowance", "by_group", "NOPE"),
        ("body", "budgets", 0, "groups"),
        ("body", "budgets", 0, "benefits"),
        ("body", "budgets", 1, "categories"),
        ("body", "benefits"),
    }
    messages = [e["msg"] for e in response.json()["errors"]]
    assert "benefit 'OLD' is retired (inactive)" in messages


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", "euro"),
        ("points_per_employee", 0),
        ("leftover_policy", "burn"),
        ("policy", {"objective": "greedy"}),
        ("policy", {"equity_tolerance": -0.1}),
        ("budgets", [{"id": "x", "cap": -1}]),
        ("budgets", [{"id": "x", "cap": 1, "groups": []}]),
        ("allowance", {"default": 1.5}),
        ("opens_at", "2026-11-01T00:00:00"),  # no time zone
        ("effective_from", "2027-02-30"),
    ],
)
def test_create_rejects_bad_fields(api: ApiClient, field: str, value: Any) -> None:
    response = api.post(PERIODS, json=period_body(**{field: value}), headers=api.auth("hr_admin"))
    assert response.status_code == 422, response.text
    assert all(error["loc"][1] == field for error in response.json()["errors"])


def test_lifecycle_draft_open_closed(api: ApiClient) -> None:
    setup_people_and_catalogue(api)
    admin = api.auth("hr_admin")
    period = create(api, admin)
    url = f"{PERIODS}/{period['id']}"
    assert api.post(f"{url}/close", headers=admin).status_code == 409

    draft_patch = api.patch(
        url, json={"points_per_employee": 50, "benefits": ["GYM"]}, headers=admin
    )
    assert draft_patch.status_code == 200 and draft_patch.json()["points_per_employee"] == 50

    opened = api.post(f"{url}/open", headers=admin)
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "open" and opened.json()["opened_at"]
    assert api.post(f"{url}/open", headers=admin).status_code == 409

    frozen = api.patch(url, json={"points_per_employee": 60, "name": "x"}, headers=admin)
    assert frozen.status_code == 409
    assert locs(frozen) == {("body", "points_per_employee")}
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    extended = api.patch(url, json={"name": "2027 benefits", "closes_at": later}, headers=admin)
    assert extended.status_code == 200, extended.text
    past = api.patch(url, json={"closes_at": "2020-01-01T00:00:00Z"}, headers=admin)
    assert past.status_code == 422

    closed = api.post(f"{url}/close", headers=admin)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert api.post(f"{url}/close", headers=admin).status_code == 409
    assert api.post(f"{url}/open", headers=admin).status_code == 409
    assert api.patch(url, json={"closes_at": later}, headers=admin).status_code == 409
    assert api.patch(url, json={"name": "renamed"}, headers=admin).status_code == 200
    offered = api.patch(url, json={"benefits": ["GYM"]}, headers=admin)
    assert offered.status_code == 409 and locs(offered) == {("body", "benefits")}
    tuned = api.patch(url, json={"budgets": [{"id": "total", "cap": 123}]}, headers=admin)
    assert tuned.status_code == 200, tuned.text
    assert tuned.json()["budgets"][0]["cap"] == 123
    unknown = api.patch(
        url, json={"budgets": [{"id": "g", "cap": 1, "groups": ["NOPE"]}]}, headers=admin
    )
    assert unknown.status_code == 422


def test_patch_revalidates_the_whole_period(api: ApiClient) -> None:
    setup_people_and_catalogue(api)
    admin = api.auth("hr_admin")
    url = f"{PERIODS}/{create(api, admin)['id']}"
    response = api.patch(url, json={"effective_to": "2026-01-01"}, headers=admin)
    assert response.status_code == 422
    assert locs(response) == {("body", "effective_to")}
    assert (
        api.patch(
            url, json={"budgets": [{"id": "b", "cap": 1, "groups": ["X"]}]}, headers=admin
        ).status_code
        == 422
    )
    assert api.patch(url, json={"currency": None}, headers=admin).status_code == 422
    assert api.patch(url, json={"benefits": None}, headers=admin).status_code == 200


def test_if_match_on_period_writes(api: ApiClient) -> None:
    setup_people_and_catalogue(api)
    admin = api.auth("hr_admin")
    period = create(api, admin)
    url = f"{PERIODS}/{period['id']}"
    etag = api.get(url, headers=admin).headers["ETag"]
    assert (
        api.patch(url, json={"name": "a"}, headers={**admin, "If-Match": etag}).status_code == 200
    )
    assert (
        api.patch(url, json={"name": "b"}, headers={**admin, "If-Match": etag}).status_code == 412
    )
    assert api.post(f"{url}/open", headers={**admin, "If-Match": etag}).status_code == 412


def test_open_refuses_an_incomplete_period(api: ApiClient) -> None:
    make_peer_group(api.session, code="HQ-L2")
    admin = api.auth("hr_admin")
    make_benefit(api.session, code="HEALTH", core=True)
    period = create(api, admin, closes_at="2030-01-01T00:00:00Z")
    url = f"{PERIODS}/{period['id']}"
    refused = api.post(f"{url}/open", headers=admin)
    assert refused.status_code == 409
    messages = [e["msg"] for e in refused.json()["errors"]]
    assert messages == [
        "only core benefits are offered: employees have nothing to choose",
        "there are no active employees",
    ]
    gym = make_benefit(api.session, code="GYM")
    make_employee(api.session, external_id="E1", peer_group=make_peer_group(api.session, code="X"))
    api.patch(url, json={"benefits": ["GYM"]}, headers=admin)
    gym.active = False  # retired after the period was drafted
    api.session.commit()
    retired = api.post(f"{url}/open", headers=admin)
    assert retired.status_code == 409
    assert "benefit 'GYM' is retired (inactive)" in retired.json()["detail"]
    assert api.get(url, headers=admin).json()["status"] == "draft"


def test_open_refuses_a_passed_deadline(api: ApiClient) -> None:
    setup_people_and_catalogue(api)
    admin = api.auth("hr_admin")
    period = create(api, admin, opens_at="2020-01-01T00:00:00Z", closes_at="2020-02-01T00:00:00Z")
    refused = api.post(f"{PERIODS}/{period['id']}/open", headers=admin)
    assert refused.status_code == 409
    assert "has passed" in refused.json()["detail"]


def test_list_in_creation_order_with_status_filter(api: ApiClient) -> None:
    setup_people_and_catalogue(api)
    admin = api.auth("hr_admin")
    ids = [create(api, admin, name=f"P{i}")["id"] for i in range(3)]
    api.post(f"{PERIODS}/{ids[1]}/open", headers=admin)
    first = api.get(PERIODS, params={"limit": 2}, headers=admin).json()
    rest = api.get(PERIODS, params={"cursor": first["next_cursor"]}, headers=admin).json()
    assert [p["id"] for p in first["items"] + rest["items"]] == ids
    only_open = api.get(PERIODS, params={"status": "open"}, headers=admin).json()["items"]
    assert [p["id"] for p in only_open] == [ids[1]]


def test_period_roles(api: ApiClient) -> None:
    employee = api.auth("employee", employee="E1")
    assert api.get(PERIODS, headers=employee).status_code == 403
    assert api.post(PERIODS, json=period_body(), headers=api.auth("finance")).status_code == 403


def test_unknown_period_is_404_everywhere(api: ApiClient) -> None:
    admin = api.auth("hr_admin")
    url = f"{PERIODS}/00000000-0000-7000-8000-000000000000"
    assert api.patch(url, json={"name": "x"}, headers=admin).status_code == 404
    assert api.post(f"{url}/open", headers=admin).status_code == 404
    assert api.post(f"{url}/close", headers=admin).status_code == 404
    assert api.get(f"{url}/preferences", headers=admin).status_code == 404
