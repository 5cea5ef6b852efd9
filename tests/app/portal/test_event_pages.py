"""Life-event pages over HTTP, on SQLite and PostgreSQL: an employee reports an event, HR
confirms it, the employee chooses within its categories, HR runs it, a second person
approves and the employee sees the dated timeline; nobody reaches another person's event;
every new form needs its CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.allocations.models import Run
from app.jobs.execution import execute_pending
from tests.app.portal.factories import BIRTH_REASON, csrf_of, sign_in, sign_in_token
from tests.conftest import ApiClient
from tests.run_world import World, approve, build_world, close, joined_session_factory, run


def _published_world(api: ApiClient) -> World:
    """The small world, published, with a birth reason that may change time off only."""
    world = build_world(api)
    close(world)
    approve(world, run(world)["id"])
    reasons = api.put(
        world.url(f"/periods/{world.period_id}/life-event-reasons"),
        json=BIRTH_REASON,
        headers=world.admin,
    )
    assert reasons.status_code == 200, reasons.text
    return world


def _person(api: ApiClient, **who: object) -> TestClient:
    client = TestClient(api.app)
    sign_in(client, sign_in_token(api.session, **who))  # type: ignore[arg-type]
    return client


def _event_id(html: str) -> str:
    found = re.search(r'href="/portal/me/events/([0-9a-f-]{36})"', html)
    assert found, "no event on the page"
    return found.group(1)


def test_an_event_from_self_report_to_the_dated_timeline(api: ApiClient) -> None:
    world = _published_world(api)
    period = world.period_id
    eric = _person(api, employee="E1")
    mine = eric.get(f"/portal/me/periods/{period}/events")
    assert mine.status_code == 200 and 'id="report"' in mine.text and "No life event." in mine.text
    csrf = csrf_of(mine.text)
    hire = eric.post(
        f"/portal/me/periods/{period}/events",
        data={"csrf": csrf, "kind": "hire", "effective_date": "2027-05-10"},
    )
    assert hire.status_code == 422 and "recorded by HR" in hire.text
    reported = eric.post(
        f"/portal/me/periods/{period}/events",
        data={"csrf": csrf, "kind": "birth", "effective_date": "2027-05-10", "note": "Zoé"},
    )
    assert reported.status_code == 200 and 'id="reported"' in reported.text
    assert "reported, awaiting HR" in reported.text
    event_id = _event_id(reported.text)

    hana = _person(api, roles=("hr_admin", "approver"), name="Hana HR")
    events_url = f"/portal/hr/periods/{period}/events"
    listed = hana.get(events_url, params={"status": "reported", "kind": "birth"})
    assert listed.status_code == 200 and "E1" in listed.text and "Zoé" in listed.text
    assert "No life event." in hana.get(events_url, params={"employee": "E2"}).text
    assert "No life event." in hana.get(events_url, params={"status": "published"}).text
    confirmed = hana.post(
        f"/portal/hr/events/{event_id}/confirm", data={"csrf": csrf_of(listed.text)}
    )
    assert confirmed.status_code == 200 and 'id="confirmed"' in confirmed.text

    page = eric.get(f"/portal/me/events/{event_id}")
    assert page.status_code == 200 and 'id="points-left"' in page.text  # the period's meter
    scope = re.search(r'id="event-scope">(.*?)</p>', page.text, re.S)
    assert scope and "time" in scope.group(1) and "2027-07-09" in scope.group(1)
    assert "cannot change the category “wellbeing”" in page.text  # Gym is shown locked
    assert 'name="points.GYM"' not in page.text and 'name="points.LEAVE"' in page.text
    form = {"csrf": csrf, "points.GYM": "50", "points.LEAVE": "50", "units.LEAVE": "4"}
    check = eric.post(f"/portal/me/events/{event_id}/check", data=form)
    assert check.status_code == 200 and "category &#39;wellbeing&#39;" in check.text
    outside = eric.post(f"/portal/me/events/{event_id}", data=form)
    assert outside.status_code == 422 and "which a birth event may not change" in outside.text
    assert 'value="50"' in outside.text  # the entries are kept
    saved = eric.post(
        f"/portal/me/events/{event_id}",
        data={"csrf": csrf, "points.LEAVE": "100", "units.LEAVE": "4"},
    )
    assert saved.status_code == 200 and 'id="saved"' in saved.text

    started = hana.post(
        f"/portal/hr/events/{event_id}/runs",
        data={"csrf": csrf_of(listed.text)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    run_url = started.headers["location"]
    assert execute_pending(joined_session_factory(api.session), kind="event_run") == [
        run_url.rsplit("/", 1)[1]
    ]
    run_page = hana.get(run_url)
    assert "succeeded" in run_page.text and 'id="event-run"' in run_page.text
    own = hana.post(f"{run_url}/approve", data={"csrf": csrf_of(run_page.text)})
    assert own.status_code == 403 and "four-eyes" in own.text
    alex = _person(api, roles=("approver",), name="Alex Approver")
    approved = alex.post(f"{run_url}/approve", data={"csrf": csrf_of(alex.get(run_url).text)})
    assert approved.status_code == 200 and 'id="approved"' in approved.text
    assert "Approve for payroll" not in approved.text  # published: nothing left to approve

    result = eric.get(f"/portal/me/periods/{period}/result")
    lines = re.search(r'<table id="lines">(.*?)</table>', result.text, re.S)
    assert lines is not None
    leave_rows = [row for row in lines.group(1).split("<tr>") if "Extra leave" in row]
    dated = {tuple(re.findall(r"\d{4}-\d{2}-\d{2}", row)) for row in leave_rows}
    assert ("2027-05-10", "2027-12-31") in dated  # the replacement, from the event's date
    assert ("2027-01-01", "2027-05-09") in dated  # the line it amends ends the day before
    french = eric.get(f"/portal/me/periods/{period}/result", headers={"Accept-Language": "fr"}).text
    assert '<th scope="col">Du</th>' in french
    after = eric.get(f"/portal/me/events/{event_id}")
    assert 'id="refused"' in after.text and "published" in after.text
    assert "Save my event choices" not in after.text


def test_an_employee_never_reaches_another_persons_event(api: ApiClient) -> None:
    world = _published_world(api)
    eric = _person(api, employee="E1")
    page = eric.get(f"/portal/me/periods/{world.period_id}/events")
    reported = eric.post(
        f"/portal/me/periods/{world.period_id}/events",
        data={"csrf": csrf_of(page.text), "kind": "birth", "effective_date": "2027-05-10"},
    )
    event_id = _event_id(reported.text)
    bob = _person(api, employee="E2")
    csrf = csrf_of(bob.get(f"/portal/me/periods/{world.period_id}/events").text)
    form = {"csrf": csrf, "points.LEAVE": "10"}
    assert bob.get(f"/portal/me/events/{event_id}").status_code == 404
    assert bob.post(f"/portal/me/events/{event_id}", data=form).status_code == 404
    assert bob.post(f"/portal/me/events/{event_id}/check", data=form).status_code == 404
    assert event_id not in bob.get(f"/portal/me/periods/{world.period_id}/events").text
    # HR's pages are HR's: an employee may not list, confirm or run events.
    assert bob.get(f"/portal/hr/periods/{world.period_id}/events").status_code == 403
    assert bob.post(f"/portal/hr/events/{event_id}/confirm", data=form).status_code == 403
    assert bob.post(f"/portal/hr/events/{event_id}/runs", data=form).status_code == 403
    untouched = api.get(world.url(f"/life-events/{event_id}"), headers=world.admin).json()
    assert untouched["status"] == "reported" and untouched["preferences_version"] == 0


def test_hr_records_events_and_every_event_form_needs_its_csrf_token(api: ApiClient) -> None:
    world = _published_world(api)
    period = world.period_id
    hana = _person(api, roles=("hr_admin",), name="Hana HR")
    page = hana.get(f"/portal/hr/periods/{period}/events")
    assert page.status_code == 200 and 'id="record"' in page.text
    csrf = csrf_of(page.text)
    record = f"/portal/hr/periods/{period}/events/record"
    nobody = hana.post(
        record,
        data={"csrf": csrf, "employee": "E99", "kind": "leave", "effective_date": "2027-03-31"},
    )
    assert nobody.status_code == 422 and "no employee &#39;E99&#39;" in nobody.text
    assert 'value="E99"' in nobody.text  # the entries are kept
    bad_date = hana.post(
        record, data={"csrf": csrf, "employee": "E3", "kind": "leave", "effective_date": "soon"}
    )
    assert bad_date.status_code == 422 and "effective_date" in bad_date.text
    recorded = hana.post(
        record,
        data={"csrf": csrf, "employee": "E3", "kind": "leave", "effective_date": "2027-03-31"},
    )
    assert recorded.status_code == 200 and 'id="recorded"' in recorded.text
    assert "Start the event run" in recorded.text  # HR's own record is confirmed at once
    (event,) = api.get(world.url(f"/periods/{period}/life-events"), headers=world.admin).json()[
        "items"
    ]
    assert (event["employee"], event["kind"], event["status"]) == ("E3", "leave", "confirmed")

    eric = _person(api, employee="E1")
    for token in ("", "forged"):
        posts = [
            (eric, f"/portal/me/periods/{period}/events", {"kind": "birth"}),
            (eric, f"/portal/me/events/{event['id']}", {"points.LEAVE": "10"}),
            (eric, f"/portal/me/events/{event['id']}/check", {"points.LEAVE": "10"}),
            (hana, record, {"employee": "E4", "kind": "leave", "effective_date": "2027-04-30"}),
            (hana, f"/portal/hr/events/{event['id']}/confirm", {}),
            (hana, f"/portal/hr/events/{event['id']}/runs", {}),
        ]
        for client, url, fields in posts:
            response = client.post(url, data={"csrf": token, **fields}, follow_redirects=False)
            assert response.status_code == 403, (url, response.status_code)
    listed = api.get(world.url(f"/periods/{period}/life-events"), headers=world.admin).json()
    assert [e["id"] for e in listed["items"]] == [event["id"]]  # nothing was recorded
    assert api.session.query(Run).filter(Run.life_event_id == event["id"]).count() == 0
