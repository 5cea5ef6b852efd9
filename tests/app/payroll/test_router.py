"""Approval (four-eyes) and the payroll pull through HTTP."""

from __future__ import annotations

from app.allocations.models import RunEmployee
from tests.conftest import ApiClient
from tests.domain_factories import period_body
from tests.run_world import all_pages, approve, build_world, close, execute_queued, run

RUNS = "/api/v1/runs"


def payroll_url(period_id: str, tail: str = "lines") -> str:
    return f"/api/v1/periods/{period_id}/payroll/{tail}"


def test_approval_needs_an_approver_who_did_not_start_the_run(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    finished = run(world)
    url = f"{RUNS}/{finished['id']}/approve"
    assert api.post(url, headers=world.admin).status_code == 403  # not an approver
    assert api.post(url, headers=world.payroll).status_code == 403
    # A key holding both roles cannot approve the run it started (four-eyes).
    both = api.auth("hr_admin", "approver")
    started = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=both)
    execute_queued(api)
    own = api.post(f"{RUNS}/{started.json()['id']}/approve", headers=both)
    assert own.status_code == 403 and "four-eyes" in own.json()["detail"]
    assert api.post(url, headers=world.approver).status_code == 200
    assert api.post(f"{RUNS}/nope/approve", headers=world.approver).status_code == 404


def test_approval_conflicts(api: ApiClient) -> None:
    world = build_world(api)
    preview = run(world)
    open_period = api.post(f"{RUNS}/{preview['id']}/approve", headers=world.approver)
    assert open_period.status_code == 409 and "open" in open_period.json()["detail"]
    close(world)
    # The preview's inputs are still the current ones once closed: it may be approved.
    assert approve(world, preview["id"])["version"] == 1
    again = api.post(f"{RUNS}/{preview['id']}/approve", headers=world.approver)
    assert again.status_code == 409 and "published" in again.json()["detail"]
    # Runs on a published period are refused until it is re-opened.
    rerun = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    assert rerun.status_code == 409 and "re-open" in rerun.json()["detail"]


def test_payroll_before_publication_is_empty_and_needs_the_payroll_role(api: ApiClient) -> None:
    world = build_world(api)
    empty = api.get(payroll_url(world.period_id), headers=world.payroll)
    assert empty.status_code == 200
    assert empty.json() == {"items": [], "next_cursor": None, "version": None}
    csv = api.get(payroll_url(world.period_id, "lines.csv"), headers=world.payroll)
    assert csv.status_code == 200 and csv.text.count("\r\n") == 1  # header only
    assert api.get(payroll_url(world.period_id), headers=world.admin).status_code == 403
    assert api.get(payroll_url(world.period_id), headers=world.approver).status_code == 403
    changes = api.get(
        payroll_url(world.period_id, "changes"),
        params={"since_version": 1},
        headers=world.payroll,
    )
    assert changes.status_code == 422 and changes.json()["errors"][0]["loc"] == [
        "query",
        "since_version",
    ]
    assert api.get(payroll_url("nope"), headers=world.payroll).status_code == 404
    me = api.get(f"/api/v1/me/periods/{world.period_id}/allocation", headers=world.employees["E1"])
    assert me.status_code == 404


def test_cursor_pins_the_version_across_a_new_publication(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    approve(world, run(world)["id"])
    first_page = api.get(
        payroll_url(world.period_id), params={"limit": 3}, headers=world.payroll
    ).json()
    assert first_page["version"] == 1 and first_page["next_cursor"]

    # A new version is published mid-pull.
    assert (
        api.post(f"/api/v1/periods/{world.period_id}/open", headers=world.admin).status_code == 200
    )
    changed = api.put(
        f"/api/v1/me/periods/{world.period_id}/preferences",
        json={"points": {"BIKE": 100}},
        headers=world.employees["E6"],
    )
    assert changed.status_code == 200
    close(world)
    assert approve(world, run(world)["id"])["version"] == 2

    rest = all_pages(
        api, payroll_url(world.period_id), world.payroll, cursor=first_page["next_cursor"]
    )
    assert {line["version"] for line in rest} == {1}
    assert first_page["items"] + rest == all_pages(
        api, payroll_url(world.period_id), world.payroll, version=1
    )
    current = all_pages(api, payroll_url(world.period_id), world.payroll)
    assert {line["version"] for line in current} == {2}
    assert ("E6", "BIKE") in {(line["employee"], line["benefit"]) for line in current}
    out_of_range = api.get(
        payroll_url(world.period_id, "changes"),
        params={"since_version": 3},
        headers=world.payroll,
    )
    assert out_of_range.status_code == 422 and "1 to 2" in out_of_range.json()["detail"]
    unknown = api.get(payroll_url(world.period_id), params={"version": 7}, headers=world.payroll)
    assert unknown.status_code == 422
    none_changed = api.get(
        payroll_url(world.period_id, "changes"), params={"since_version": 2}, headers=world.payroll
    ).json()
    assert none_changed["added"] == none_changed["removed"] == none_changed["changed"] == []


def test_my_allocation_is_mine_only_and_hides_small_group_figures(api: ApiClient) -> None:
    world = build_world(
        api, policy={"objective": "utilitarian", "equity_tolerance": 0.0, "equity_absolute": 0}
    )
    # Only E1 and E2 remain participants: a group of 2 shows no figures.
    for external_id in ("E3", "E4", "E5"):
        cleared = api.put(
            f"/api/v1/me/periods/{world.period_id}/preferences",
            json={"points": {}},
            headers=world.employees[external_id],
        )
        assert cleared.status_code == 200, cleared.text
    close(world)
    approve(world, run(world)["id"])
    url = f"/api/v1/me/periods/{world.period_id}/allocation"
    mine = api.get(url, headers=world.employees["E2"]).json()
    assert mine["peer_group"] is None
    assert {line["benefit"] for line in mine["lines"]} <= {"HEALTH", "PARKING", "BIKE"}
    for item in mine["unmet"]:
        assert "average" not in item["text"]
    assert mine["allowance"] == 150000
    assert mine["allowance_used"] + mine["allowance_remaining"] == 150000
    assert api.get(url, headers=world.admin).status_code == 403
    ghost = api.get(url, headers=api.auth("employee", employee="NOBODY"))
    assert ghost.status_code == 404


BAND = {
    "code": "equity_band",
    "value": 170000,
    "cap": 151980,
    "per_need": False,
    "published": False,
    "mean": 123461,
    "tolerance": 0.15,
    "absolute": 10000,
}


def test_a_small_groups_band_reaches_the_employee_without_numbers(api: ApiClient) -> None:
    """The band's figures are a small group's aggregates: the employee's own explanation
    names the band without them (in any language); HR, an individual reader, sees them."""
    world = build_world(api)
    for external_id in ("E3", "E4", "E5"):  # E1 and E2 remain: a group of 2
        cleared = api.put(
            f"/api/v1/me/periods/{world.period_id}/preferences",
            json={"points": {}},
            headers=world.employees[external_id],
        )
        assert cleared.status_code == 200, cleared.text
    close(world)
    finished = run(world)
    approve(world, finished["id"])
    row = api.session.get_one(RunEmployee, (finished["id"], "E2"))
    row.explanations = [
        {
            "benefit": "BIKE",
            "reasons": ["equity_band"],
            "details": [BAND],
            "units_wanted": 1,
            "units_received": 0,
        }
    ]
    api.session.commit()
    url = f"/api/v1/me/periods/{world.period_id}/allocation"
    [mine] = api.get(url, headers=world.employees["E2"]).json()["unmet"]
    assert mine == {
        "benefit": "BIKE",
        "reasons": ["equity_band"],
        "text": "One more unit of Bike would take your employer-funded benefits above your "
        "peer group's fairness limit.",
    }
    french = api.get(url, headers={**world.employees["E2"], "Accept-Language": "fr"})
    assert french.headers["Content-Language"] == "fr"
    [unmet] = french.json()["unmet"]
    assert "limite d'équité" in unmet["text"] and not any(c.isdigit() for c in unmet["text"])
    detail = api.get(f"{RUNS}/{finished['id']}/employees/E2", headers=world.admin).json()
    assert "fairness limit of 1,519.80 EUR" in detail["explanations"][0]["text"]


def test_carry_over_adds_unused_allowance_to_the_next_period(api: ApiClient) -> None:
    world = build_world(api, leftover_policy="carry_over")
    close(world)
    finished = run(world)
    assert finished["kpis"]["leftover_carried_over"] > 0
    approve(world, finished["id"])
    leftover = {
        external_id: api.get(
            f"{RUNS}/{finished['id']}/employees/{external_id}", headers=world.admin
        ).json()["leftover"]
        for external_id in ("E1", "E6")
    }
    assert leftover["E6"] == 150000  # gave no points: nothing used

    body = period_body(
        name="2028",
        effective_from="2028-01-01",
        effective_to="2028-12-31",
        allowance={"default": 100000, "by_group": {}, "prorate_fte": True, "prorate_start": True},
    )
    next_id = api.post("/api/v1/periods", json=body, headers=world.admin).json()["id"]
    assert api.post(f"/api/v1/periods/{next_id}/open", headers=world.admin).status_code == 200
    preview = api.post(f"/api/v1/periods/{next_id}/runs", json={}, headers=world.admin).json()
    execute_queued(api)  # its job builds the problem
    problem = api.get(f"{RUNS}/{preview['id']}/problem", headers=world.admin).json()
    allowances = {e["id"]: e["allowance"] for e in problem["employees"]}
    assert allowances["E6"] == 100000 + 150000
    assert allowances["E1"] == 100000 + leftover["E1"]
    # /me options report the allowance the run gives, carried-over amount included.
    e6 = api.get(f"/api/v1/me/periods/{next_id}/options", headers=world.employees["E6"])
    assert e6.json()["allowance"] == 100000 + 150000

    # A second period starting the same day gets nothing: the leftover is carried once.
    twin = api.post("/api/v1/periods", json={**body, "name": "2028 twin"}, headers=world.admin)
    twin_id = twin.json()["id"]
    assert api.post(f"/api/v1/periods/{twin_id}/open", headers=world.admin).status_code == 200
    first, second = sorted([next_id, twin_id])
    for period_id, carried in ((first, 150000), (second, 0)):
        preview = api.post(f"/api/v1/periods/{period_id}/runs", json={}, headers=world.admin)
        execute_queued(api)
        problem = api.get(f"{RUNS}/{preview.json()['id']}/problem", headers=world.admin).json()
        assert {e["id"]: e["allowance"] for e in problem["employees"]}["E6"] == 100000 + carried


def test_a_run_under_forfeit_is_not_approved_after_the_policy_became_cash(api: ApiClient) -> None:
    """The leftover policy decides the payroll lines, so it is inside the hashed problem."""
    world = build_world(api)
    close(world)
    forfeit = run(world)
    problem = api.get(world.url(f"/runs/{forfeit['id']}/problem"), headers=world.admin).json()
    assert "leftover_policy" not in problem  # forfeit: the default, left out
    period = api.get(world.url(f"/periods/{world.period_id}"), headers=world.admin)
    changed = api.patch(
        world.url(f"/periods/{world.period_id}"),
        json={"leftover_policy": "cash"},
        headers={**world.admin, "If-Match": period.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    stale = api.post(world.url(f"/runs/{forfeit['id']}/approve"), headers=world.approver)
    assert stale.status_code == 409 and "inputs changed" in stale.json()["detail"]

    cash = run(world)
    problem = api.get(world.url(f"/runs/{cash['id']}/problem"), headers=world.admin).json()
    assert problem["leftover_policy"] == "cash"
    assert cash["problem_sha256"] != forfeit["problem_sha256"]
    assert cash["kpis"]["leftover_policy"] == "cash"
    published = approve(world, cash["id"])
    assert published["version"] == 1


def test_reopening_a_published_period_is_audited(api: ApiClient) -> None:
    from tests.security_factories import audit_events, key_id_of

    world = build_world(api)
    close(world)
    approve(world, run(world)["id"])
    reopened = api.post(f"/api/v1/periods/{world.period_id}/open", headers=world.admin)
    assert reopened.status_code == 200, reopened.text
    (event,) = audit_events(api.session, action="period.reopen", entity_key=world.period_id)
    assert event.actor == key_id_of(api.session, world.admin)
    assert {"status", "opened_at", "closed_at"} <= set(event.changed)
