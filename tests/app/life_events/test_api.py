"""Life events after publication, through HTTP on SQLite and PostgreSQL: a hire, a leave, a
transfer and a family event each re-allocate one employee; nobody else's line changes."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from app.jobs.execution import execute_pending
from solver.event import EventRequest, FrozenGroup, check_event
from solver.load import load_problem
from solver.types import FixedLine, Line
from tests.conftest import ApiClient
from tests.run_world import (
    API,
    World,
    all_pages,
    approve,
    build_world,
    close,
    joined_session_factory,
    run,
)

YEAR = 365


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def published_world(api: ApiClient, **period: Any) -> World:
    world = build_world(api, **period)
    close(world)
    approve(world, run(world)["id"])
    return world


def payroll(world: World, version: int | None = None) -> list[dict[str, Any]]:
    url = world.url(f"/periods/{world.period_id}/payroll/lines")
    params = {} if version is None else {"version": version}
    lines = all_pages(world.api, url, world.payroll, **params)
    return [{k: v for k, v in line.items() if k != "version"} for line in lines]


def record_event(world: World, **body: Any) -> dict[str, Any]:
    url = world.url(f"/periods/{world.period_id}/life-events")
    return _ok(world.api.post(url, json=body, headers=world.admin), 201)


def event_run(world: World, event_id: str) -> dict[str, Any]:
    started = world.api.post(world.url(f"/life-events/{event_id}/runs"), headers=world.admin)
    body = _ok(started, 202)
    executed = execute_pending(joined_session_factory(world.api.session), kind="event_run")
    assert executed == [body["id"]]
    return _ok(world.api.get(started.headers["Location"], headers=world.admin))


def checked(world: World, run_id: str, person: str) -> None:
    """The exact checker, apart from the run: the person's lines from the date are valid
    with every published line of the others counted in."""
    doc = _ok(world.api.get(world.url(f"/runs/{run_id}/problem"), headers=world.admin))
    url = world.url(f"/runs/{run_id}/allocations")
    lines = all_pages(world.api, url, world.admin)
    frozen = doc["frozen"]
    changeable = None if doc["changeable"] is None else frozenset(doc["changeable"])
    request = EventRequest(
        employee=person,
        days=doc["days"],
        period_days=doc["period_days"],
        fixed=tuple(FixedLine(**line) for line in doc["fixed"]),
        frozen=None
        if frozen is None
        else FrozenGroup(
            frozen["participants"], Fraction(frozen["mean"]), frozen["includes_employee"]
        ),
        previous={b: Line(p["units"], p["contribution"]) for b, p in doc["previous"].items()},
        changeable=changeable,
    )
    new = {
        (person, line["benefit"]): Line(line["units"], line["employee_cost"])
        for line in lines
        if line["employee"] == person and line["effective_from"] == doc["effective_date"]
    }
    held = {
        (person, b): Line(p["units"], p["contribution"] * doc["days"] // doc["period_days"])
        for b, p in doc["previous"].items()
        if changeable is not None and b not in changeable
    }
    assert new, "the event gave the person no lines from the date"
    assert check_event(load_problem(doc["problem"]), request, {**new, **held}) == []


def others_unchanged(
    before: list[dict[str, Any]], after: list[dict[str, Any]], person: str
) -> None:
    assert [line for line in after if line["employee"] != person] == [
        line for line in before if line["employee"] != person
    ]


def changes(world: World, since: int) -> dict[str, Any]:
    url = world.url(f"/periods/{world.period_id}/payroll/changes")
    return _ok(world.api.get(url, params={"since_version": since}, headers=world.payroll))


def test_a_hire_adds_only_the_new_hires_lines_dated_from_the_hire(api: ApiClient) -> None:
    world = published_world(api)
    before = payroll(world)
    hire = {
        "external_id": "E7",
        "email": "e7@example.com",
        "display_name": "E7",
        "peer_group": "HQ",
        "hire_date": "2027-07-01",
    }
    _ok(api.post(f"{API}/employees", json=hire, headers=world.admin), 201)
    event = record_event(world, employee="E7", kind="hire", effective_date="2027-07-01")
    assert event["status"] == "confirmed" and event["categories"] is None
    prefs = world.url(f"/life-events/{event['id']}/preferences")
    _ok(api.put(prefs, json={"points": {"PARKING": 60, "GYM": 40}}, headers=world.admin))
    finished = event_run(world, event["id"])
    assert finished["status"] == "succeeded", finished
    # The one parking place is taken, and the mobility budget used, by published lines:
    # fixed lines count against capacity and shared budgets.
    mine = _ok(api.get(world.url(f"/runs/{finished['id']}/employees/E7"), headers=world.admin))
    reasons = {e["benefit"]: e["reasons"] for e in mine["explanations"]}
    assert reasons["PARKING"] == ["budget:mobility", "capacity"]
    checked(world, finished["id"], "E7")
    # Finance sees aggregates only: nothing of one person's re-allocation.
    summary = _ok(api.get(world.url(f"/runs/{finished['id']}"), headers=api.auth("finance")))
    assert summary["kpis"] == {} and summary["budgets"] == [] and summary["objective"] is None
    assert "E7" not in json.dumps(summary)
    # Four-eyes: the starter may not approve; the approver publishes version 2.
    own = api.post(world.url(f"/runs/{finished['id']}/approve"), headers=world.admin)
    assert own.status_code == 403
    assert approve(world, finished["id"])["version"] == 2

    after = payroll(world)
    others_unchanged(before, after, "E7")
    feed = changes(world, 1)
    assert feed["changed"] == [] and feed["removed"] == []
    days = 184  # 1 July to 31 December
    assert {
        (line["benefit"], line["employer_cost"], line["effective_from"], line["effective_to"])
        for line in feed["added"]
    } == {
        ("HEALTH", 120000 * days // YEAR, "2027-07-01", "2027-12-31"),
        ("GYM", 36000 * days // YEAR, "2027-07-01", "2027-12-31"),
    }
    event_now = _ok(api.get(world.url(f"/life-events/{event['id']}"), headers=world.admin))
    assert event_now["status"] == "published"
    # The CSV carries each line's dates.
    csv = api.get(world.url(f"/periods/{world.period_id}/payroll/lines.csv"), headers=world.payroll)
    assert "E7,GYM,benefit,1,17843,0,=GYM+1" not in csv.text
    assert any(
        row.startswith("E7,GYM,") and "2027-07-01,2027-12-31" in row
        for row in csv.text.splitlines()
    )


def test_a_leave_ends_the_leavers_lines_on_the_date_and_keeps_the_months_before(
    api: ApiClient,
) -> None:
    world = published_world(api)
    before = payroll(world)
    event = record_event(world, employee="E3", kind="leave", effective_date="2027-03-31")
    refused = api.put(
        world.url(f"/life-events/{event['id']}/preferences"),
        json={"points": {"GYM": 10}},
        headers=world.admin,
    )
    assert refused.status_code == 409
    finished = event_run(world, event["id"])
    assert finished["status"] == "succeeded", finished
    approve(world, finished["id"])
    after = payroll(world)
    others_unchanged(before, after, "E3")
    days = 90  # 1 January to 31 March
    old = {line["benefit"]: line for line in before if line["employee"] == "E3"}
    new = {line["benefit"]: line for line in after if line["employee"] == "E3"}
    assert new.keys() == old.keys()
    for benefit, line in new.items():
        assert line["effective_from"] == "2027-01-01" and line["effective_to"] == "2027-03-31"
        assert line["employer_cost"] == old[benefit]["employer_cost"] * days // YEAR
    feed = changes(world, 1)
    assert feed["added"] == [] and feed["removed"] == []
    assert {c["after"]["employee"] for c in feed["changed"]} == {"E3"}
    # The leaver sees the timeline of the published allocation.
    mine = _ok(
        api.get(
            world.url(f"/me/periods/{world.period_id}/allocation"), headers=world.employees["E3"]
        )
    )
    assert {line["effective_to"] for line in mine["lines"]} == {"2027-03-31"}


def test_a_transfer_reallocates_under_the_new_group_from_the_date(api: ApiClient) -> None:
    world = published_world(api)
    before = payroll(world)
    _ok(
        api.post(
            f"{API}/peer-groups", json={"code": "FIELD", "name": "Field"}, headers=world.admin
        ),
        201,
    )
    no_group = api.post(
        world.url(f"/periods/{world.period_id}/life-events"),
        json={"employee": "E4", "kind": "transfer", "effective_date": "2027-10-01"},
        headers=world.admin,
    )
    assert no_group.status_code == 422 and no_group.json()["errors"][0]["loc"][-1] == "peer_group"
    event = record_event(
        world, employee="E4", kind="transfer", effective_date="2027-10-01", peer_group="FIELD"
    )
    finished = event_run(world, event["id"])
    assert finished["status"] == "succeeded", finished
    checked(world, finished["id"], "E4")
    approve(world, finished["id"])
    after = payroll(world)
    others_unchanged(before, after, "E4")
    mine = [line for line in after if line["employee"] == "E4"]
    ends = {(line["benefit"], line["effective_from"], line["effective_to"]) for line in mine}
    assert ("HEALTH", "2027-01-01", "2027-09-30") in ends
    assert ("HEALTH", "2027-10-01", "2027-12-31") in ends
    health = {
        line["effective_from"]: line["employer_cost"]
        for line in mine
        if line["benefit"] == "HEALTH"
    }
    assert health == {"2027-01-01": 120000 * 273 // YEAR, "2027-10-01": 120000 * 92 // YEAR}
    feed = changes(world, 1)
    touched = {line["employee"] for line in feed["added"]} | {
        c["after"]["employee"] for c in feed["changed"]
    }
    assert touched == {"E4"}


def test_a_family_event_is_limited_to_its_categories_and_confirmed_by_hr(api: ApiClient) -> None:
    world = published_world(api)
    before = payroll(world)
    reasons = {"reasons": [{"code": "birth", "window_days": 60, "categories": ["time"]}]}
    url = world.url(f"/periods/{world.period_id}/life-event-reasons")
    _ok(api.put(url, json=reasons, headers=world.admin))
    unknown = api.post(
        f"{API}/me/life-events",
        headers=world.employees["E1"],
        json={"period_id": world.period_id, "kind": "wedding", "effective_date": "2027-05-10"},
    )
    assert unknown.status_code == 422 and "birth" in unknown.json()["detail"]
    reported = _ok(
        api.post(
            f"{API}/me/life-events",
            headers=world.employees["E1"],
            json={"period_id": world.period_id, "kind": "birth", "effective_date": "2027-05-10"},
        ),
        201,
    )
    assert reported["status"] == "reported" and reported["categories"] == ["time"]
    mine = f"{API}/me/life-events/{reported['id']}/preferences"
    outside = api.put(
        mine,
        json={"points": {"GYM": 50, "LEAVE": {"points": 50, "units": 4}}},
        headers=world.employees["E1"],
    )
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["loc"] == ["body", "points", "GYM"]
    assert "wellbeing" in outside.json()["errors"][0]["msg"]
    # Somebody else's event does not exist for E2.
    assert api.get(mine, headers=world.employees["E2"]).status_code == 404
    _ok(
        api.put(
            mine,
            json={"points": {"LEAVE": {"points": 100, "units": 4}}},
            headers=world.employees["E1"],
        )
    )
    not_yet = api.post(world.url(f"/life-events/{reported['id']}/runs"), headers=world.admin)
    assert not_yet.status_code == 409 and "confirm" in not_yet.json()["detail"]
    _ok(api.post(world.url(f"/life-events/{reported['id']}/confirm"), headers=world.admin))
    finished = event_run(world, reported["id"])
    assert finished["status"] == "succeeded", finished
    checked(world, finished["id"], "E1")
    # E1's wishes as E1 made them: the held GYM line keeps its 40 points (the solver's
    # 1-point placeholder for a held line is never shown), LEAVE has the event's.
    wishes = _ok(api.get(world.url(f"/runs/{finished['id']}/employees/E1"), headers=world.admin))
    assert wishes["preferences"]["GYM"]["points"] == 40
    assert wishes["preferences"]["LEAVE"] == {"points": 100, "units": 4}
    approve(world, finished["id"])
    after = payroll(world)
    others_unchanged(before, after, "E1")
    e1_before = {line["benefit"]: line for line in before if line["employee"] == "E1"}
    e1_after = [line for line in after if line["employee"] == "E1"]
    # Lines outside the birth's category stay exactly as they were.
    for line in e1_after:
        if line["benefit"] != "LEAVE":
            assert line == e1_before[line["benefit"]]
    leave = {
        line["effective_from"]: line["units"] for line in e1_after if line["benefit"] == "LEAVE"
    }
    assert leave["2027-05-10"] >= leave.get("2027-01-01", 0)
    listed = _ok(
        api.get(
            world.url(f"/periods/{world.period_id}/life-events"),
            params={"kind": "birth", "status": "published"},
            headers=world.admin,
        )
    )
    assert [e["id"] for e in listed["items"]] == [reported["id"]]


def test_a_passed_window_is_a_conflict_and_events_need_a_published_period(
    api: ApiClient,
) -> None:
    world = build_world(api, effective_from="2026-01-01", effective_to="2026-12-31")
    early = api.post(
        world.url(f"/periods/{world.period_id}/life-events"),
        headers=world.admin,
        json={"employee": "E1", "kind": "leave", "effective_date": "2026-06-30"},
    )
    assert early.status_code == 409 and "published" in early.json()["detail"]
    close(world)
    approve(world, run(world)["id"])
    outside = api.post(
        world.url(f"/periods/{world.period_id}/life-events"),
        headers=world.admin,
        json={"employee": "E1", "kind": "leave", "effective_date": "2027-01-05"},
    )
    assert outside.status_code == 422 and outside.json()["errors"][0]["loc"][-1] == "effective_date"
    _ok(
        api.post(
            f"{API}/peer-groups", json={"code": "FIELD", "name": "Field"}, headers=world.admin
        ),
        201,
    )
    moved = record_event(
        world, employee="E2", kind="transfer", effective_date="2026-01-10", peer_group="FIELD"
    )
    late = api.put(
        world.url(f"/life-events/{moved['id']}/preferences"),
        json={"points": {"GYM": 10}},
        headers=world.admin,
    )
    assert late.status_code == 409 and "2026-02-09" in late.json()["detail"]


def test_an_event_run_amends_only_the_version_it_was_built_on(api: ApiClient) -> None:
    world = published_world(api)
    first = record_event(world, employee="E3", kind="leave", effective_date="2027-03-31")
    second = record_event(world, employee="E5", kind="leave", effective_date="2027-06-30")
    run_first, run_second = event_run(world, first["id"]), event_run(world, second["id"])
    assert approve(world, run_first["id"])["version"] == 2
    stale = api.post(world.url(f"/runs/{run_second['id']}/approve"), headers=world.approver)
    assert stale.status_code == 409 and "amends version 1" in stale.json()["detail"]
    again = event_run(world, second["id"])
    assert approve(world, again["id"])["version"] == 3
    ends = {(line["employee"], line["effective_to"]) for line in payroll(world)}
    assert ("E3", "2027-03-31") in ends and ("E5", "2027-06-30") in ends
    done = api.post(world.url(f"/life-events/{first['id']}/runs"), headers=world.admin)
    assert done.status_code == 409 and "published" in done.json()["detail"]
    ghost = api.post(world.url("/life-events/nope/runs"), headers=world.admin)
    assert ghost.status_code == 404
    employee = api.post(
        world.url(f"/life-events/{first['id']}/runs"), headers=world.employees["E3"]
    )
    assert employee.status_code == 403
