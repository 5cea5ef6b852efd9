"""Inputs that used to answer 500 (issue 10, item 8): each now gets a clear 4xx."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.factories import benefit_body
from tests.run_world import build_world, close, execute_queued
from tests.security_factories import make_people

API = "/api/v1"


def test_a_400_digit_integer_in_an_eligibility_rule_is_422(api: ApiClient) -> None:
    rule = {"attr": "tenure_months", "op": ">=", "value": int("9" * 400)}
    body = benefit_body(eligibility=rule)
    response = api.post(f"{API}/benefits", json=body, headers=api.auth("hr_admin"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][:2] == ["body", "eligibility"]


@pytest.mark.parametrize(
    "cursor", ["W3t9XQ", "WyJ4IiwgWzFdXQ", "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDBd", "WzEuNV0"]
)
@pytest.mark.parametrize(
    "url", ["/benefits", "/periods", "/employees", "/api-keys", "/peer-groups"]
)
def test_a_forged_cursor_is_422(api: ApiClient, url: str, cursor: str) -> None:
    response = api.get(f"{API}{url}", params={"cursor": cursor}, headers=api.auth("hr_admin"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


def test_nan_in_a_csv_attribute_is_422(api: ApiClient) -> None:
    make_people(api, external_ids=("E1",))
    csv = (
        'external_id,peer_group,attributes\nN1,HQ-L2,"{""x"": NaN}"\nN2,HQ-L2,"{""y"": Infinity}"\n'
    )
    response = api.post(
        f"{API}/employees/import",
        content=csv,
        headers={**api.auth("hr_admin"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [
        (2, "attributes"),
        (3, "attributes"),
    ]


def test_an_allowance_scaled_past_the_money_limit_is_422(api: ApiClient) -> None:
    world = build_world(api, allowance={"default": 10**14, "by_group": {"HQ": 10**14}})
    url = f"{API}/periods/{world.period_id}/scenarios"
    body = {"name": "x", "overrides": {"allowance_multiplier": 100}}
    response = api.post(url, json=body, headers=api.auth("finance"))
    assert response.status_code == 422, response.text
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {
        ("body", "overrides", "allowance_multiplier")
    }


def test_a_huge_version_is_422(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    started = api.post(f"{API}/periods/{world.period_id}/runs", json={}, headers=world.admin)
    execute_queued(api)
    api.post(f"{API}/runs/{started.json()['id']}/approve", headers=world.approver)
    huge = str(10**30)
    for tail, params in (
        ("lines", {"version": huge}),
        ("lines.csv", {"version": huge}),
        ("changes", {"since_version": huge}),
    ):
        url = f"{API}/periods/{world.period_id}/payroll/{tail}"
        response = api.get(url, params=params, headers=world.payroll)
        assert response.status_code == 422, (tail, response.text)
