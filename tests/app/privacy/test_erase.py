"""POST /api/v1/employees/{external_id}/erase: pseudonymise, delete preferences, audit."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from app.employees.models import Employee
from app.preferences.models import Preference, PreferenceVersion
from app.privacy.service import pseudonym_of
from tests.conftest import ApiClient
from tests.factories import TEST_SECRET_KEY
from tests.security_factories import audit_events, make_open_period, make_people


def _count(api: ApiClient, model: type) -> int:
    return api.session.scalar(select(func.count()).select_from(model)) or 0


def test_erase_pseudonymises_identity_and_removes_preferences(api: ApiClient) -> None:
    make_people(api)
    period_id = make_open_period(api)
    ana = api.auth("employee", employee="E1")
    url = f"/api/v1/me/periods/{period_id}/preferences"
    assert api.put(url, json={"points": {"GYM": 60}}, headers=ana).status_code == 200
    assert api.put(url, json={"points": {"GYM": 70}}, headers=ana).status_code == 200
    bob = api.auth("employee", employee="E2")
    assert api.put(url, json={"points": {"GYM": 10}}, headers=bob).status_code == 200
    admin = api.auth("hr_admin")

    employee_id = api.session.scalar(select(Employee.id).where(Employee.email == "e1@example.com"))
    erased = api.post("/api/v1/employees/E1/erase", headers=admin)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    pseudonym = pseudonym_of(employee_id, "E1", pepper=TEST_SECRET_KEY)
    assert body["external_id"] == pseudonym and pseudonym.startswith("ERASED-")
    assert (body["preferences_removed"], body["preference_versions_removed"]) == (1, 2)
    assert body["api_keys_revoked"] == 1

    assert api.get("/api/v1/employees/E1", headers=admin).status_code == 404
    record = api.get(f"/api/v1/employees/{pseudonym}", headers=admin).json()
    assert record["email"] is None and record["display_name"] is None
    assert record["attributes"] == {} and record["active"] is False
    assert record["peer_group"] == "HQ-L2"  # aggregates by group stay right
    assert api.get("/api/v1/me", headers=ana).status_code == 401  # the key is revoked
    # Only E2's preferences remain.
    assert (_count(api, Preference), _count(api, PreferenceVersion)) == (1, 1)
    (event,) = audit_events(api.session, action="employee.erase")
    assert event.entity_key == pseudonym
    assert "email" in event.changed and event.before_digest != event.after_digest


def test_erasing_twice_or_an_unknown_person_is_404_and_changes_nothing(api: ApiClient) -> None:
    make_people(api)
    admin = api.auth("hr_admin")
    assert api.post("/api/v1/employees/E1/erase", headers=admin).status_code == 200
    assert api.post("/api/v1/employees/E1/erase", headers=admin).status_code == 404
    assert api.post("/api/v1/employees/NOBODY/erase", headers=admin).status_code == 404
    assert len(audit_events(api.session, action="employee.erase")) == 1


def test_the_email_of_an_erased_person_can_be_reused(api: ApiClient) -> None:
    make_people(api)
    admin = api.auth("hr_admin")
    assert api.post("/api/v1/employees/E1/erase", headers=admin).status_code == 200
    again = api.post(
        "/api/v1/employees",
        json={"external_id": "E9", "peer_group": "HQ-L2", "email": "e1@example.com"},
        headers=admin,
    )
    assert again.status_code == 201, again.text


def test_erase_keeps_published_payroll_lines_under_the_pseudonym(api: ApiClient) -> None:
    from app.allocations.models import Run
    from app.payroll.models import PayrollLine
    from tests.run_world import approve, build_world, close, run

    world = build_world(api)
    close(world)
    run_id = run(world)["id"]
    approve(world, run_id)
    payroll = api.auth("payroll")
    url = f"/api/v1/periods/{world.period_id}/payroll/lines"
    before = api.get(url, params={"limit": 1000}, headers=payroll).json()["items"]
    mine = [line for line in before if line["employee"] == "E1"]
    assert mine

    erased = api.post("/api/v1/employees/E1/erase", headers=api.auth("hr_admin"))
    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["external_id"]

    after = api.get(url, params={"limit": 1000}, headers=payroll).json()["items"]
    assert len(after) == len(before)
    assert not any(line["employee"] == "E1" for line in after)
    kept = [{**line, "employee": "E1"} for line in after if line["employee"] == pseudonym]
    assert sorted(kept, key=lambda x: x["benefit"]) == sorted(mine, key=lambda x: x["benefit"])
    assert (
        api.session.scalar(
            select(func.count()).select_from(PayrollLine).where(PayrollLine.employee == "E1")
        )
        == 0
    )
    api.session.expire_all()
    stored = api.session.get(Run, run_id)
    assert stored is not None and '"E1"' not in stored.problem and pseudonym in stored.problem
    problem = api.get(f"/api/v1/runs/{run_id}/problem", headers=api.auth("auditor"))
    assert problem.headers["x-problem-sha256"] == hashlib.sha256(problem.content).hexdigest()


def test_erase_waits_for_unfinished_runs_that_include_the_person(api: ApiClient) -> None:
    from tests.run_world import build_world, close, execute_queued

    world = build_world(api)
    close(world)
    started = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    assert started.status_code == 202
    admin = api.auth("hr_admin")
    refused = api.post("/api/v1/employees/E1/erase", headers=admin)
    assert refused.status_code == 409 and started.json()["id"] in refused.json()["detail"]
    assert audit_events(api.session, action="employee.erase") == []
    execute_queued(api)
    assert api.post("/api/v1/employees/E1/erase", headers=admin).status_code == 200


def test_erase_recreate_erase_again(api: ApiClient) -> None:
    """A later person given an erased person's external_id can be erased too."""
    make_people(api)
    admin = api.auth("hr_admin")
    first = api.post("/api/v1/employees/E1/erase", headers=admin)
    assert first.status_code == 200, first.text
    again = {"external_id": "E1", "peer_group": "HQ-L2", "email": "new-e1@example.com"}
    assert api.post("/api/v1/employees", json=again, headers=admin).status_code == 201
    second = api.post("/api/v1/employees/E1/erase", headers=admin)
    assert second.status_code == 200, second.text
    assert second.json()["external_id"] != first.json()["external_id"]


def test_erase_leaves_no_identity_in_audit_keys_jobs_or_key_names(api: ApiClient) -> None:
    from tests.run_world import build_world

    world = build_world(api)
    finance = api.auth("finance")
    curve = api.post(
        f"/api/v1/periods/{world.period_id}/budget-curve",
        json={"budget_id": "total", "from": 800_000, "to": 900_000, "steps": 2},
        headers=finance,
    )
    assert curve.status_code == 202, curve.text
    named = api.post(
        "/api/v1/api-keys",
        json={"name": "E3's portal key", "roles": ["employee"], "employee": "E3"},
        headers=world.admin,
    )
    assert named.status_code == 201
    api.patch("/api/v1/employees/E3", json={"display_name": "Ea"}, headers=world.admin)
    erased = api.post("/api/v1/employees/E3/erase", headers=world.admin)
    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["external_id"]
    api.session.expire_all()
    keys = [event.entity_key for event in audit_events(api.session)]
    assert not [key for key in keys if key == "E3" or key.endswith("/E3")]
    assert pseudonym in keys and any(key.endswith(f"/{pseudonym}") for key in keys)
    from app.auth.models import ApiKey
    from app.jobs.models import Job

    (job_problem,) = api.session.scalars(select(Job.problem))
    assert '"E3"' not in job_problem and pseudonym in job_problem
    names = list(api.session.scalars(select(ApiKey.name).where(ApiKey.revoked_at.is_not(None))))
    assert "E3's portal key" not in names and f"key of {pseudonym}" in names
