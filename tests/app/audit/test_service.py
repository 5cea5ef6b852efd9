"""Every write appends an audit event in its own transaction; refused writes leave none."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.audit.service import canonical_json, changed_fields, digest
from tests.conftest import ApiClient
from tests.factories import benefit_body
from tests.security_factories import (
    audit_events,
    key_id_of,
    make_open_period,
    make_people,
)


def test_digest_is_sha256_of_canonical_json() -> None:
    state = {"b": 2, "a": [1, "x"]}
    expected = hashlib.sha256(json.dumps(state, sort_keys=True, separators=(",", ":")).encode())
    assert digest(state) == expected.hexdigest()
    assert digest({"a": [1, "x"], "b": 2}) == digest(state)  # key order does not matter
    assert digest(None) is None
    assert canonical_json({"z": 1, "a": 2}) == b'{"a":2,"z":1}'


def test_changed_fields_names_only_what_differs() -> None:
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == ["b", "c"]
    assert changed_fields(None, None) == []


def test_benefit_create_and_retire_are_recorded_with_actor_roles_and_request_id(
    api: ApiClient,
) -> None:
    admin = api.auth("hr_admin")
    created = api.post(
        "/api/v1/benefits", json=benefit_body(), headers={**admin, "X-Request-ID": "req-create-1"}
    )
    assert created.status_code == 201, created.text
    assert created.headers["x-request-id"] == "req-create-1"
    retired = api.patch(
        "/api/v1/benefits/GYM",
        json={"active": False},
        headers={**admin, "If-Match": created.headers["etag"]},
    )
    assert retired.status_code == 200, retired.text

    create, retire = audit_events(api.session, entity_type="benefit", entity_key="GYM")
    actor = key_id_of(api.session, admin)
    assert (create.action, create.actor, create.roles) == ("benefit.create", actor, ["hr_admin"])
    assert create.request_id == "req-create-1"
    assert create.before_digest is None and create.after_digest is not None
    assert retire.action == "benefit.retire"
    assert retire.before_digest is not None and retire.before_digest != retire.after_digest
    assert retire.changed == ["active"]
    assert retire.request_id == retired.headers["x-request-id"]  # generated when not given


def test_refused_writes_leave_no_event(api: ApiClient) -> None:
    admin = api.auth("hr_admin")
    invalid = api.post("/api/v1/benefits", json=benefit_body(requires=["NOPE"]), headers=admin)
    assert invalid.status_code == 422
    assert api.post("/api/v1/benefits", json=benefit_body(), headers=admin).status_code == 201
    duplicate = api.post("/api/v1/benefits", json=benefit_body(), headers=admin)
    assert duplicate.status_code == 409
    stale = api.patch(
        "/api/v1/benefits/GYM", json={"name": "x"}, headers={**admin, "If-Match": '"v99"'}
    )
    assert stale.status_code == 412
    assert [e.action for e in audit_events(api.session, entity_type="benefit")] == [
        "benefit.create"
    ]


def test_people_and_period_writes_are_recorded(api: ApiClient) -> None:
    admin = api.auth("hr_admin")
    group = api.post("/api/v1/peer-groups", json={"code": "HQ-L2", "name": "HQ"}, headers=admin)
    assert group.status_code == 201, group.text
    renamed = api.patch(
        "/api/v1/peer-groups/HQ-L2",
        json={"name": "Head office"},
        headers={**admin, "If-Match": group.headers["etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    employee = api.post(
        "/api/v1/employees",
        json={"external_id": "E1", "peer_group": "HQ-L2", "email": "e1@example.com"},
        headers=admin,
    )
    assert employee.status_code == 201, employee.text
    patched = api.patch(
        "/api/v1/employees/E1",
        json={"display_name": "Ana"},
        headers={**admin, "If-Match": employee.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    period_id = make_open_period(api)
    closed = api.post(f"/api/v1/periods/{period_id}/close", headers=admin)
    assert closed.status_code == 200, closed.text

    actions = [(e.action, e.entity_key) for e in audit_events(api.session)]
    assert ("peer_group.create", "HQ-L2") in actions
    assert ("peer_group.update", "HQ-L2") in actions
    assert ("employee.create", "E1") in actions
    assert ("employee.update", "E1") in actions
    for action in ("period.create", "period.open", "period.close"):
        assert (action, period_id) in actions
    (update,) = audit_events(api.session, action="employee.update")
    assert update.changed == ["display_name", "updated_at", "version"]


def test_import_records_one_event_per_changed_employee_and_none_on_dry_run(
    api: ApiClient,
) -> None:
    make_people(api, external_ids=("E1",))
    admin = api.auth("hr_admin")
    rows = [
        {"external_id": "E1", "peer_group": "HQ-L2", "email": "e1@example.com", "grade": "L3"},
        {"external_id": "E2", "peer_group": "HQ-L2"},
    ]
    dry = api.post("/api/v1/employees/import?dry_run=true", json=rows, headers=admin)
    assert dry.status_code == 200, dry.text
    assert audit_events(api.session, action="employee.import") == []
    done = api.post("/api/v1/employees/import", json=rows, headers=admin)
    assert done.status_code == 200, done.text
    events = audit_events(api.session, action="employee.import")
    assert sorted((e.entity_key, e.before_digest is None) for e in events) == [
        ("E1", False),
        ("E2", True),
    ]
    bad = api.post(
        "/api/v1/employees/import",
        json=[{"external_id": "E3", "peer_group": "NOPE"}],
        headers=admin,
    )
    assert bad.status_code == 422
    assert len(audit_events(api.session, action="employee.import")) == 2


def test_preference_writes_and_reads_by_someone_else_are_recorded(api: ApiClient) -> None:
    make_people(api)
    period_id = make_open_period(api)
    ana = api.auth("employee", employee="E1")
    admin = api.auth("hr_admin")
    mine = f"/api/v1/me/periods/{period_id}/preferences"
    assert api.put(mine, json={"points": {"GYM": 100}}, headers=ana).status_code == 200
    assert api.get(mine, headers=ana).status_code == 200  # one's own: not a disclosure
    of_e2 = f"/api/v1/periods/{period_id}/preferences/E2"
    assert api.put(of_e2, json={"points": {"GYM": 10}}, headers=admin).status_code == 200
    assert api.get(of_e2, headers=admin).status_code == 200
    listed = api.get(f"/api/v1/periods/{period_id}/preferences", headers=admin)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 2

    key = f"{period_id}/E1"
    assert [e.action for e in audit_events(api.session, entity_key=key)] == [
        "preferences.submit",
        "preferences.read",
    ]
    submit = audit_events(api.session, entity_key=key)[0]
    assert submit.actor == key_id_of(api.session, ana) and submit.roles == ["employee"]
    assert [e.action for e in audit_events(api.session, entity_key=f"{period_id}/E2")] == [
        "preferences.submit_on_behalf",
        "preferences.read",
        "preferences.read",
    ]


def test_refused_preferences_leave_no_event(api: ApiClient) -> None:
    make_people(api)
    period_id = make_open_period(api)
    ana = api.auth("employee", employee="E1")
    url = f"/api/v1/me/periods/{period_id}/preferences"
    too_many = api.put(url, json={"points": {"GYM": 101}}, headers=ana)
    assert too_many.status_code == 422
    assert audit_events(api.session, entity_type="preferences") == []


def test_api_key_create_and_revoke_are_recorded(api: ApiClient) -> None:
    admin = api.auth("hr_admin")
    created = api.post(
        "/api/v1/api-keys", json={"name": "second admin", "roles": ["hr_admin"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    key_id = created.json()["id"]
    assert api.delete(f"/api/v1/api-keys/{key_id}", headers=admin).status_code == 204
    events = audit_events(api.session, entity_type="api_key", entity_key=key_id)
    assert [e.action for e in events] == ["api_key.create", "api_key.revoke"]
    assert events[1].changed == ["revoked_at"]
    assert "secret_hash" in events[0].changed  # names only: the hash itself is not stored


def test_runs_approval_and_reads_of_the_problem_are_recorded(api: ApiClient) -> None:
    from tests.run_world import approve, build_world, close, run

    world = build_world(api)
    close(world)
    run_id = run(world)["id"]
    approve(world, run_id)
    assert api.get(f"/api/v1/runs/{run_id}/problem", headers=api.auth("auditor")).status_code == 200
    admin = api.auth("hr_admin")
    assert api.get(f"/api/v1/runs/{run_id}/employees/E1", headers=admin).status_code == 200

    actions = [e.action for e in audit_events(api.session, entity_type="run")]
    assert actions == ["run.start", "run.finish", "run.approve", "run.problem.read"]
    start, finish, approval, _read = audit_events(api.session, entity_type="run")
    assert start.actor == key_id_of(api.session, world.admin)
    assert finish.actor == "system" and finish.roles == []
    assert approval.actor == key_id_of(api.session, world.approver)
    (publish,) = audit_events(api.session, action="period.publish")
    assert publish.entity_key == world.period_id and "status" in publish.changed
    (read,) = audit_events(api.session, action="run.employee.read")
    assert read.entity_key == f"{run_id}/E1"


def test_a_refused_approval_leaves_no_event(api: ApiClient) -> None:
    from tests.run_world import build_world, run

    world = build_world(api)
    run_id = run(world)["id"]  # the period is still open: not approvable
    refused = api.post(f"/api/v1/runs/{run_id}/approve", headers=world.approver)
    assert refused.status_code == 409
    assert audit_events(api.session, action="run.approve") == []
    assert audit_events(api.session, action="period.publish") == []


def test_api_keys_created_on_the_command_line_are_audited_as_the_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from app.audit.models import AuditEvent
    from app.cli import cli
    from app.config import get_settings
    from app.db import make_engine, make_session_factory

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FLEXBEN_DATABASE_URL", url)
    monkeypatch.setenv("FLEXBEN_ENVIRONMENT", "development")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        created = runner.invoke(cli, ["api-keys", "create", "--name", "ops", "--role", "auditor"])
        assert created.exit_code == 0, created.output
    finally:
        get_settings.cache_clear()
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        events = list(session.scalars(select(AuditEvent)))
    engine.dispose()
    assert [(e.action, e.actor) for e in events] == [("api_key.create", "system")]
