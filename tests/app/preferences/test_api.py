from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.preferences.models import PreferenceVersion
from tests.conftest import ApiClient
from tests.domain_factories import make_benefit, make_employee, make_peer_group, period_body

PERIODS = "/api/v1/periods"


def setup_open_period(api: ApiClient, **period: Any) -> str:
    """HQ-L2 with E1 (fte 0.5, hired mid-year) and E2; a catalogue; an open period."""
    group = make_peer_group(api.session, code="HQ-L2")
    make_employee(
        api.session,
        external_id="E1",
        peer_group=group,
        fte=Decimal("0.5"),
        hire_date=date(2027, 7, 1),
        grade="L2",
    )
    make_employee(api.session, external_id="E2", peer_group=group, grade="L4")
    make_benefit(api.session, code="HEALTH", name="Health insurance", core=True)
    make_benefit(api.session, code="GYM", name="Gym")
    make_benefit(api.session, code="LEAVE", name="Extra leave", max_units=5, cost=25000)
    make_benefit(api.session, code="DENTAL-A", name="Dental basic", exclusive_group="dental")
    make_benefit(api.session, code="DENTAL-B", name="Dental plus", exclusive_group="dental")
    make_benefit(api.session, code="SPOUSE", name="Spouse cover", requires=["DENTAL-A"])
    make_benefit(
        api.session,
        code="CAR",
        name="Company car",
        eligibility={"attr": "grade", "op": "in", "value": ["L3", "L4"]},
    )
    admin = api.auth("hr_admin")
    body = period_body(
        allowance={"default": 365000, "prorate_fte": True, "prorate_start": True}, **period
    )
    period_id: str = api.post(PERIODS, json=body, headers=admin).json()["id"]
    opened = api.post(f"{PERIODS}/{period_id}/open", headers=admin)
    assert opened.status_code == 200, opened.text
    return period_id


def me_url(period_id: str) -> str:
    return f"/api/v1/me/periods/{period_id}/preferences"


def test_me_is_the_bound_employee(api: ApiClient) -> None:
    make_employee(api.session, external_id="E1", peer_group=make_peer_group(api.session))
    me = api.get("/api/v1/me", headers=api.auth("employee", employee="E1"))
    assert me.status_code == 200 and me.json()["external_id"] == "E1"
    ghost = api.get("/api/v1/me", headers=api.auth("employee", employee="GHOST"))
    assert ghost.status_code == 404
    assert api.get("/api/v1/me", headers=api.auth("hr_admin")).status_code == 403


def test_options_list_eligible_benefits_with_allowance(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    e1 = api.auth("employee", employee="E1")
    options = api.get(f"/api/v1/me/periods/{period_id}/options", headers=e1)
    assert options.status_code == 200, options.text
    data = options.json()
    # 365000 x 0.5 (FTE) x 184/365 (hired 1 July) = 92000
    assert data["allowance"] == 92000
    assert data["points_per_employee"] == 100 and data["currency"] == "EUR"
    codes = [b["code"] for b in data["benefits"]]
    assert codes == ["DENTAL-A", "DENTAL-B", "GYM", "HEALTH", "LEAVE", "SPOUSE"]
    health = next(b for b in data["benefits"] if b["code"] == "HEALTH")
    assert health["core"] is True and health["eligible"] is True

    everything = api.get(
        f"/api/v1/me/periods/{period_id}/options",
        params={"include_ineligible": True},
        headers=e1,
    ).json()["benefits"]
    car = next(b for b in everything if b["code"] == "CAR")
    assert car["eligible"] is False
    assert car["reason"] == "requires grade one of L3, L4 (you have L2)"

    e2 = api.get(
        f"/api/v1/me/periods/{period_id}/options", headers=api.auth("employee", employee="E2")
    ).json()
    assert "CAR" in [b["code"] for b in e2["benefits"]]
    assert e2["allowance"] == 365000


def test_submit_read_and_version_history(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    e1 = api.auth("employee", employee="E1")
    empty = api.get(me_url(period_id), headers=e1)
    assert empty.status_code == 200
    assert empty.json()["version"] == 0 and empty.json()["points"] == {}
    assert empty.headers["ETag"] == '"v0"'

    body = {"points": {"GYM": 40, "LEAVE": {"points": 30, "units": 3}, "SPOUSE": 10}}
    first = api.put(me_url(period_id), json=body, headers=e1)
    assert first.status_code == 200, first.text
    data = first.json()
    assert data["version"] == 1 and data["total_points"] == 80
    assert data["points"] == {"GYM": 40, "LEAVE": {"points": 30, "units": 3}, "SPOUSE": 10}
    assert [w["msg"] for w in data["warnings"]] == [
        "Spouse cover requires Dental basic (DENTAL-A), which you did not ask for: "
        "it can only be given together with DENTAL-A"
    ]
    assert first.headers["ETag"] == '"v1"'

    second = api.put(me_url(period_id), json={"points": {"DENTAL-A": 5, "DENTAL-B": 5}}, headers=e1)
    assert second.json()["version"] == 2
    assert "alternatives" in second.json()["warnings"][0]["msg"]
    current = api.get(me_url(period_id), headers=e1).json()
    assert current["points"] == {"DENTAL-A": 5, "DENTAL-B": 5}
    assert len(current["warnings"]) == 1

    admin = api.auth("hr_admin")
    history = api.get(f"{PERIODS}/{period_id}/preferences/E1/versions", headers=admin).json()
    assert [(v["version"], v["on_behalf"]) for v in history] == [(1, False), (2, False)]
    assert history[0]["points"]["GYM"] == 40


def test_every_rule_is_enforced_and_nothing_is_stored(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    e1 = api.auth("employee", employee="E1")
    bad = {
        "points": {
            "NOPE": 1,
            "HEALTH": 5,
            "CAR": 5,
            "GYM": 0,
            "LEAVE": {"points": 5, "units": 9},
            "DENTAL-A": 2.5,
        }
    }
    response = api.put(me_url(period_id), json=bad, headers=e1)
    assert response.status_code == 422
    assert {e["loc"][2] for e in response.json()["errors"]} == {
        "NOPE",
        "HEALTH",
        "CAR",
        "GYM",
        "LEAVE",
        "DENTAL-A",
    }
    too_many = api.put(me_url(period_id), json={"points": {"GYM": 60, "LEAVE": 41}}, headers=e1)
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["msg"] == (
        "points add up to 101, more than the 100 points available"
    )
    assert api.put(me_url(period_id), json={"points": []}, headers=e1).status_code == 422
    assert api.put(me_url(period_id), json={"pts": {}}, headers=e1).status_code == 422
    count = api.session.scalar(select(func.count()).select_from(PreferenceVersion))
    assert count == 0


def test_if_match_protects_against_lost_updates(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    e1 = api.auth("employee", employee="E1")
    etag = api.get(me_url(period_id), headers=e1).headers["ETag"]
    ok = api.put(me_url(period_id), json={"points": {"GYM": 1}}, headers={**e1, "If-Match": etag})
    assert ok.status_code == 200
    stale = api.put(
        me_url(period_id), json={"points": {"GYM": 2}}, headers={**e1, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert api.get(me_url(period_id), headers=e1).json()["points"] == {"GYM": 1}


def test_state_conflicts(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    admin = api.auth("hr_admin")
    e1 = api.auth("employee", employee="E1")
    draft_id = api.post(PERIODS, json=period_body(name="next"), headers=admin).json()["id"]
    assert api.get(me_url(draft_id), headers=e1).status_code == 404
    assert api.put(me_url(draft_id), json={"points": {}}, headers=e1).status_code == 404
    assert api.get(f"/api/v1/me/periods/{draft_id}/options", headers=e1).status_code == 404
    on_behalf_draft = api.put(
        f"{PERIODS}/{draft_id}/preferences/E1", json={"points": {}}, headers=admin
    )
    assert on_behalf_draft.status_code == 409

    api.post(f"{PERIODS}/{period_id}/close", headers=admin)
    closed = api.put(me_url(period_id), json={"points": {"GYM": 1}}, headers=e1)
    assert closed.status_code == 409
    assert "closed" in closed.json()["detail"]
    assert api.get(me_url(period_id), headers=e1).status_code == 200  # still readable


def test_inactive_employee_cannot_submit(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    admin = api.auth("hr_admin")
    api.patch("/api/v1/employees/E2", json={"active": False}, headers=admin)
    e2 = api.auth("employee", employee="E2")  # the employee's own key dies with them: 401
    refused = api.put(me_url(period_id), json={"points": {"GYM": 1}}, headers=e2)
    assert refused.status_code == 401 and "inactive employee" in refused.json()["detail"]
    on_behalf = api.put(
        f"{PERIODS}/{period_id}/preferences/E2", json={"points": {"GYM": 1}}, headers=admin
    )
    assert on_behalf.status_code == 409, on_behalf.text


def test_hr_admin_on_behalf_and_listing(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    admin = api.auth("hr_admin")
    url = f"{PERIODS}/{period_id}/preferences"
    for external_id in ("E2", "E1"):
        response = api.put(f"{url}/{external_id}", json={"points": {"GYM": 10}}, headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["on_behalf"] is True
    got = api.get(f"{url}/E1", headers=admin)
    assert got.json()["points"] == {"GYM": 10} and got.headers["ETag"] == '"v1"'
    page = api.get(url, params={"limit": 1}, headers=admin).json()
    assert [p["employee"] for p in page["items"]] == ["E1"]
    rest = api.get(url, params={"cursor": page["next_cursor"]}, headers=admin).json()
    assert [p["employee"] for p in rest["items"]] == ["E2"] and rest["next_cursor"] is None
    assert api.get(f"{url}/NOPE", headers=admin).status_code == 404
    assert api.get(f"{PERIODS}/nope/preferences", headers=admin).status_code == 404


def test_employees_reach_only_their_own_data(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    e1 = api.auth("employee", employee="E1")
    api.put(
        me_url(period_id), json={"points": {"GYM": 10}}, headers=api.auth("employee", employee="E2")
    )
    # the /me routes take no employee id: E1 sees E1's (empty) preferences, never E2's
    assert api.get(me_url(period_id), headers=e1).json()["points"] == {}
    url = f"{PERIODS}/{period_id}/preferences"
    assert api.get(f"{url}/E2", headers=e1).status_code == 403
    assert api.get(url, headers=e1).status_code == 403
    assert api.put(f"{url}/E2", json={"points": {}}, headers=e1).status_code == 403
    finance = api.auth("finance")
    assert api.get(url, headers=finance).status_code == 403  # never individual preferences


def test_my_periods_lists_open_and_closed_not_drafts(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    admin = api.auth("hr_admin")
    api.post(PERIODS, json=period_body(name="draft"), headers=admin)
    listed = api.get("/api/v1/me/periods", headers=api.auth("employee", employee="E1"))
    assert listed.status_code == 200
    assert [(p["id"], p["status"]) for p in listed.json()["items"]] == [(period_id, "open")]
    assert (
        api.get("/api/v1/me/periods", headers=api.auth("employee", employee="X")).status_code == 404
    )


def test_participation_counts_active_employees_who_submitted(api: ApiClient) -> None:
    period_id = setup_open_period(api)
    other = make_peer_group(api.session, code="EMPTY")
    make_employee(api.session, external_id="GONE", peer_group=other, active=False)
    api.put(me_url(period_id), json={"points": {}}, headers=api.auth("employee", employee="E1"))
    got = api.get(f"{PERIODS}/{period_id}/participation", headers=api.auth("finance"))
    assert got.status_code == 200, got.text
    assert got.json() | {"period_id": None} == {
        "period_id": None,
        "status": "open",
        "employees": 2,
        "submitted": 1,
        "rate": 0.5,
        "peer_groups": [
            {"peer_group": "EMPTY", "employees": 0, "submitted": 0},
            {"peer_group": "HQ-L2", "employees": 2, "submitted": 1},
        ],
    }
    employee = api.auth("employee", employee="E1")
    assert api.get(f"{PERIODS}/{period_id}/participation", headers=employee).status_code == 403
