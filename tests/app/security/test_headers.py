"""Security headers, CORS limited to configured origins, request ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from tests.conftest import ApiClient
from tests.security_factories import client_sharing_transaction, settings_for

PORTAL = "https://hr.example.com"


def test_api_responses_carry_security_headers_and_no_store(api: ApiClient) -> None:
    response = api.get("/api/v1/benefits", headers=api.auth("finance"))
    assert response.status_code == 200
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers  # plain http: HSTS would be ignored


def test_errors_carry_them_too_and_hsts_on_https(api: ApiClient) -> None:
    https = TestClient(api.app, base_url="https://testserver")
    response = https.get("/api/v1/benefits")
    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_request_id_is_generated_or_propagated(api: ApiClient) -> None:
    generated = api.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert (
        api.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    hostile = api.get("/healthz", headers={"X-Request-ID": "x\tinjected: yes"})
    assert hostile.headers["x-request-id"] != "x\tinjected: yes"  # replaced, not echoed


def test_no_cors_headers_without_configured_origins(api: ApiClient) -> None:
    response = api.options(
        "/api/v1/benefits",
        headers={"Origin": PORTAL, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


@pytest.fixture(scope="module")
def cors_app(database_url: str) -> FastAPI:
    return create_app(settings_for(database_url, cors_origins=[PORTAL]))


@pytest.fixture
def cors(
    cors_app: FastAPI, session_factory: sessionmaker[Session], api: ApiClient
) -> Iterator[TestClient]:
    with client_sharing_transaction(cors_app, session_factory) as client:
        yield client


def test_cors_allows_only_configured_origins(cors: TestClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "If-Match",
    }
    allowed = cors.options("/api/v1/benefits", headers={"Origin": PORTAL, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    refused = cors.options(
        "/api/v1/benefits", headers={"Origin": "https://evil.example.com", **preflight}
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
