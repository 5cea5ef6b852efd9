from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.conftest import ApiClient, FreshDatabase


def test_healthz_needs_no_auth(api: ApiClient) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_at_head(api: ApiClient) -> None:
    response = api.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "details": {"jobs": {"queued_jobs": 0}}}


def test_readyz_503_with_reason_when_schema_not_at_head(fresh_db: FreshDatabase) -> None:
    with fresh_db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    response = fresh_db.client().get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "expected" in response.json()["detail"]
    assert "older" in response.json()["detail"]


def test_metrics_count_requests_by_route_template(api: ApiClient) -> None:
    headers = api.auth("auditor")
    api.get("/healthz")
    api.delete("/api/v1/api-keys/no-such-key", headers=api.auth("hr_admin"))
    response = api.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'route="/healthz"' in body
    assert 'route="/api/v1/api-keys/{key_id}",status="404"' in body
    assert "no-such-key" not in body
    assert "flexben_http_request_duration_seconds_bucket" in body


def test_metrics_needs_a_key(api: ApiClient) -> None:
    response = api.get("/metrics")
    assert response.status_code == 401


def test_metrics_label_docs_by_path_and_unknown_paths_as_unmatched(api: ApiClient) -> None:
    api.get("/openapi.json")
    api.get("/no/such/E00042")
    body = api.get("/metrics", headers=api.auth("auditor")).text
    assert 'route="/openapi.json"' in body
    assert 'route="<unmatched>",status="404"' in body
    assert "E00042" not in body


def test_readyz_503_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import test_settings

    app = create_app(test_settings(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"))
    response = TestClient(app).get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("database unreachable")
    assert TestClient(app).get("/healthz").status_code == 200


def test_a_run_no_worker_takes_says_so_on_the_run_and_in_readyz(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10, item 13: `flexben serve` alone on PostgreSQL leaves runs queued."""
    from tests.run_world import build_world

    monkeypatch.setenv("FLEXBEN_JOB_WAIT_HINT_SECONDS", "0.2")
    world = build_world(api)
    started = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    assert started.status_code == 202 and started.json()["hint"] is None
    time.sleep(0.3)  # nobody executes it (manual mode stands in for "no worker")
    run = api.get(started.headers["Location"], headers=world.admin).json()
    assert run["status"] == "queued" and "no worker has taken this run for" in run["hint"]
    jobs = api.get("/readyz").json()["details"]["jobs"]
    assert jobs["queued_jobs"] == 1 and jobs["oldest_queued_seconds"] >= 0
    assert "flexben worker" in jobs["hint"]
