"""The portal over HTTP: sign-in links, sessions, CSRF, choosing with kind conflicts, HR
actions, the published result, and that nobody sees another person's data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.db import utcnow
from app.portal.models import SignInLink
from app.portal.service import person_id
from tests.app.portal.factories import csrf_of, sign_in, sign_in_token
from tests.conftest import ApiClient
from tests.run_world import approve, build_world, close, execute_queued


def _client(api: ApiClient) -> TestClient:
    return TestClient(api.app)


def test_a_link_signs_in_once_and_sets_a_safe_cookie(api: ApiClient) -> None:
    build_world(api)
    token = sign_in_token(api.session, employee="E1")
    client = _client(api)
    first = client.get(f"/portal/sign-in/{token}", follow_redirects=False)
    assert first.status_code == 303
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/portal" in cookie
    assert "secure" not in cookie  # plain http here; https adds Secure
    home = client.get("/portal")
    assert home.status_code == 200 and "E1" in home.text
    again = _client(api).get(f"/portal/sign-in/{token}", follow_redirects=False)
    assert again.headers["location"] == "/portal/sign-in?bad=true"
    stored = api.session.query(SignInLink).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_an_expired_or_unknown_link_does_not_sign_in(api: ApiClient) -> None:
    build_world(api)
    token = sign_in_token(api.session, employee="E2")
    link = api.session.query(SignInLink).one()
    link.expires_at = utcnow() - timedelta(seconds=1)
    api.session.commit()
    client = _client(api)
    for candidate in (token, "nope", "x" * 500):
        response = client.get(f"/portal/sign-in/{candidate}", follow_redirects=False)
        assert response.headers["location"] == "/portal/sign-in?bad=true"
    assert client.get("/portal", follow_redirects=False).headers["location"] == "/portal/sign-in"


def test_issuing_a_link_names_what_is_wrong(api: ApiClient) -> None:
    from app.errors import Unprocessable

    with pytest.raises(Unprocessable) as caught:
        sign_in_token(api.session, employee="NOBODY")
    assert "no active employee 'NOBODY'" in str(caught.value.errors)
    with pytest.raises(Unprocessable) as caught:
        sign_in_token(api.session, roles=("root",), name="x")
    assert "unknown role 'root'" in str(caught.value.errors)


def test_sessions_of_one_person_are_one_principal() -> None:
    assert person_id(employee=None, name="Ana HR") == person_id(employee=None, name="ana hr ")
    assert person_id(employee="E1", name="a") != person_id(employee="E2", name="a")


def test_choosing_saves_warns_and_shows_a_conflict_kindly(api: ApiClient) -> None:
    world = build_world(api)
    client = _client(api)
    sign_in(client, sign_in_token(api.session, employee="E6"))
    page = client.get(f"/portal/me/periods/{world.period_id}")
    assert page.status_code == 200 and 'id="points-left"' in page.text
    csrf = csrf_of(page.text)
    form = {"csrf": csrf, "version": "0", "points.GYM": "40", "points.BIKE": "20"}
    check = client.post(f"/portal/me/periods/{world.period_id}/check", data=form)
    assert check.status_code == 200 and 'id="warnings"' in check.text
    over = {**form, "points.GYM": "200"}
    check = client.post(f"/portal/me/periods/{world.period_id}/check", data=over)
    assert "100" in check.text and "error" in check.text  # the rule's own message
    saved = client.post(f"/portal/me/periods/{world.period_id}", data=form)
    assert saved.status_code == 200 and 'id="saved"' in saved.text
    stale = client.post(f"/portal/me/periods/{world.period_id}", data={**form, "points.GYM": "50"})
    assert stale.status_code == 409 and 'id="conflict"' in stale.text
    assert 'value="50"' in stale.text  # the person's entries are kept
    mine = api.get(
        f"/api/v1/me/periods/{world.period_id}/preferences", headers=world.employees["E6"]
    ).json()
    assert mine["points"] == {"BIKE": 20, "GYM": 40} and mine["version"] == 1
    bad = client.post(
        f"/portal/me/periods/{world.period_id}", data={**form, "version": "1", "points.GYM": "abc"}
    )
    assert bad.status_code == 422


def test_every_form_needs_its_csrf_token(api: ApiClient) -> None:
    world = build_world(api)
    client = _client(api)
    sign_in(client, sign_in_token(api.session, employee="E6"))
    for token in ("", "forged"):
        response = client.post(
            f"/portal/me/periods/{world.period_id}",
            data={"csrf": token, "version": "0", "points.GYM": "10"},
        )
        assert response.status_code == 403
    admin = _client(api)
    sign_in(admin, sign_in_token(api.session, roles=("hr_admin",), name="Hana HR"))
    assert admin.post(f"/portal/hr/periods/{world.period_id}/close").status_code == 403
    assert (
        api.get(f"/api/v1/periods/{world.period_id}", headers=world.admin).json()["status"]
        == "open"
    )


def test_roles_of_the_api_apply(api: ApiClient) -> None:
    world = build_world(api)
    employee = _client(api)
    sign_in(employee, sign_in_token(api.session, employee="E1"))
    assert employee.get(f"/portal/hr/periods/{world.period_id}").status_code == 403
    assert employee.get("/portal/hr/audit").status_code == 403
    finance = _client(api)
    sign_in(finance, sign_in_token(api.session, roles=("finance",), name="Fin"))
    assert finance.get(f"/portal/me/periods/{world.period_id}").status_code == 403
    page = finance.get(f"/portal/hr/periods/{world.period_id}")
    assert page.status_code == 200 and "Close the period" not in page.text


def test_hr_closes_runs_a_second_person_approves_and_the_employee_sees_why(
    api: ApiClient,
) -> None:
    world = build_world(api)
    hr = _client(api)
    sign_in(hr, sign_in_token(api.session, roles=("hr_admin", "approver"), name="Hana HR"))
    page = hr.get(f"/portal/hr/periods/{world.period_id}")
    assert "<svg" in page.text and "5/6" in page.text
    csrf = csrf_of(page.text)
    assert (
        hr.post(
            f"/portal/hr/periods/{world.period_id}/close",
            data={"csrf": csrf},
            follow_redirects=False,
        ).status_code
        == 303
    )
    started = hr.post(
        f"/portal/hr/periods/{world.period_id}/runs", data={"csrf": csrf}, follow_redirects=False
    )
    run_url = started.headers["location"]
    execute_queued(api)
    own = hr.post(f"{run_url}/approve", data={"csrf": csrf})
    assert own.status_code == 403 and "four-eyes" in own.text
    # The same person signing in again is still the same person.
    hr_again = _client(api)
    sign_in(hr_again, sign_in_token(api.session, roles=("approver",), name="hana hr"))
    again = hr_again.get(run_url)
    assert (
        hr_again.post(f"{run_url}/approve", data={"csrf": csrf_of(again.text)}).status_code == 403
    )
    second = _client(api)
    sign_in(second, sign_in_token(api.session, roles=("approver",), name="Alex Approver"))
    run_page = second.get(run_url)
    assert "succeeded" in run_page.text
    approved = second.post(f"{run_url}/approve", data={"csrf": csrf_of(run_page.text)})
    assert approved.status_code == 200 and 'id="approved"' in approved.text
    employee = _client(api)
    sign_in(employee, sign_in_token(api.session, employee="E1"))
    result = employee.get(f"/portal/me/periods/{world.period_id}/result")
    assert result.status_code == 200
    assert 'id="receipt"' in result.text and "flexben check problem.json result.json" in result.text
    run_id = run_url.rsplit("/", 1)[1]
    sha = api.get(f"/api/v1/runs/{run_id}", headers=world.admin).json()["problem_sha256"]
    assert sha in result.text
    assert "Parking" in result.text
    assert "Parking had 1 place and all were allocated." in result.text  # why not
    french = employee.get(
        f"/portal/me/periods/{world.period_id}/result",
        headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    assert "Votre attribution" in french.text and 'lang="fr"' in french.text
    assert "Parking comptait 1 place, déjà attribuée." in french.text


def test_pages_never_show_another_persons_data(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    started = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    execute_queued(api)
    approve(world, started.json()["id"])
    e6 = _client(api)
    sign_in(e6, sign_in_token(api.session, employee="E6"))
    for path in (
        f"/portal/me/periods/{world.period_id}",
        f"/portal/me/periods/{world.period_id}/result",
    ):
        page = e6.get(path)
        assert page.status_code == 200
        # Random tokens (CSRF) may contain any letters: drop them before looking.
        text = re.sub(r'value="[A-Za-z0-9_-]{40,}"', "", page.text)
        for other in ("E1", "E2", "E3", "E4", "E5"):
            assert not re.search(rf"\b{other}\b", text), (path, other)
    # No path takes another person's id: the URL space has no external_id at all.
    paths = [r.path for r in api.app.routes if getattr(r, "path", "").startswith("/portal")]
    assert not any("external_id" in p or "employee" in p for p in paths)


def test_finance_creates_edits_compares_and_draws_a_curve(api: ApiClient) -> None:
    world = build_world(api)
    close(world)
    fin = _client(api)
    sign_in(fin, sign_in_token(api.session, roles=("finance",), name="Fiona"))
    page = fin.get(f"/portal/finance/periods/{world.period_id}")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    url = f"/portal/finance/periods/{world.period_id}/scenarios"
    bad = fin.post(
        url, data={"csrf": csrf, "name": "x", "overrides": '{"budget_caps": {"nope": 1}}'}
    )
    assert bad.status_code == 422 and "nope" in bad.text
    not_json = fin.post(url, data={"csrf": csrf, "name": "x", "overrides": "{"})
    assert not_json.status_code == 422 and "not JSON" in not_json.text
    made = fin.post(
        url,
        data={"csrf": csrf, "name": "Tight", "overrides": '{"budget_caps": {"total": 1500000}}'},
        follow_redirects=False,
    )
    assert made.status_code == 303
    scenario_url = made.headers["location"]
    edit = {
        "csrf": csrf,
        "version": "1",
        "name": "Tighter",
        "description": "",
        "overrides": '{"budget_caps": {"total": 1400000}}',
    }
    assert fin.post(scenario_url, data=edit, follow_redirects=False).status_code == 303
    stale = fin.post(scenario_url, data={**edit, "name": "Lost"})
    assert stale.status_code == 409 and 'id="conflict"' in stale.text and "Tighter" in stale.text
    ran = fin.post(f"{scenario_url}/runs", data={"csrf": csrf}, follow_redirects=False)
    assert ran.status_code == 303
    hr_started = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    execute_queued(api)
    base_id, scenario_run = hr_started.json()["id"], ran.headers["location"].rsplit("/", 1)[1]
    compared = fin.get(
        f"/portal/finance/periods/{world.period_id}",
        params=[("runs", base_id), ("runs", scenario_run)],
    )
    assert compared.status_code == 200, compared.text[-1500:]
    assert 'id="comparison"' in compared.text
    assert "Tighter" in compared.text
    curve = fin.post(
        f"/portal/finance/periods/{world.period_id}/curves",
        data={"csrf": csrf, "budget_id": "total", "from": "1000000", "to": "2000000", "steps": "3"},
        follow_redirects=False,
    )
    assert curve.status_code == 303, curve.text
    refused = fin.post(
        f"/portal/finance/periods/{world.period_id}/curves",
        data={"csrf": csrf, "budget_id": "total", "from": "9", "to": "1", "steps": "3"},
    )
    assert refused.status_code == 422


def test_a_preview_run_gives_a_likely_outcome_without_anyone_elses_data(api: ApiClient) -> None:
    world = build_world(api)
    client = _client(api)
    sign_in(client, sign_in_token(api.session, employee="E2"))
    before = client.get(f"/portal/me/periods/{world.period_id}")
    assert "Likely outcome" not in before.text  # no preview run yet
    api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    execute_queued(api)  # a preview: the period is still open
    page = client.get(f"/portal/me/periods/{world.period_id}")
    assert "Likely outcome" in page.text
    assert "If the window closed now you would likely receive" in page.text
    # PARKING has 1 place and E1 and E2 want it: an aggregate, never who.
    assert "Parking is wanted by 2.0 people per place." in page.text
    assert not re.search(r"\bE1\b", re.sub(r'value="[A-Za-z0-9_-]{40,}"', "", page.text))


def test_an_ended_or_expired_session_signs_out(api: ApiClient) -> None:
    from app.portal.models import PortalSession

    build_world(api)
    client = _client(api)
    sign_in(client, sign_in_token(api.session, employee="E1"))
    page = client.get("/portal")
    out = client.post("/portal/sign-out", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert out.headers["location"] == "/portal/sign-in?signed_out=true"
    assert client.get("/portal", follow_redirects=False).status_code == 303
    other = _client(api)
    sign_in(other, sign_in_token(api.session, employee="E2"))
    for record in api.session.query(PortalSession).filter(PortalSession.ended_at.is_(None)):
        record.expires_at = utcnow() - timedelta(seconds=1)
    api.session.commit()
    assert other.get("/portal", follow_redirects=False).headers["location"] == "/portal/sign-in"


def test_every_asset_is_served_by_flexben(api: ApiClient) -> None:
    docs = api.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', docs.text):
        assert api.get(asset).status_code == 200, asset
    page = api.get("/portal/sign-in")
    assert "default-src 'none'; script-src 'self'" in page.headers["content-security-policy"]
    for asset in re.findall(r'(?:src|href)="(/portal/static/[^"]+)"', page.text):
        assert api.get(asset).status_code == 200, asset
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
    assert api.get("/portal/static/vendor/htmx-2.0.11/LICENSE").status_code == 200
