from __future__ import annotations

from sqlalchemy import text

from tests.conftest import ApiClient, FreshDatabase


def test_healthz_needs_no_auth(api: ApiClient) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_at_head(api: ApiClient) -> None:
    response = api.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready"}


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
