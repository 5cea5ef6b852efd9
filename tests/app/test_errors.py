from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth.deps import SessionDep
from app.benefits.models import Benefit
from app.config import Settings
from app.main import create_app
from tests.conftest import ApiClient
from tests.factories import TEST_SECRET_KEY


def test_unknown_route_is_problem_json(api: ApiClient) -> None:
    anonymous = api.get("/api/v1/nothing-here")  # API paths are authenticated first
    assert anonymous.status_code == 401
    response = api.get("/api/v1/nothing-here", headers=api.auth("auditor"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["type"].endswith("/404")


def test_wrong_method_is_problem_json(api: ApiClient) -> None:
    response = api.put("/healthz")
    assert response.status_code == 405
    assert response.json()["status"] == 405


def small_body_app(tmp_path_url: str) -> FastAPI:
    settings = Settings(
        environment="test",
        database_url=tmp_path_url,
        secret_key=TEST_SECRET_KEY,
        max_body_bytes=1024,
    )
    return create_app(settings)


def test_body_over_the_limit_is_413(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(small_body_app(f"sqlite:///{tmp_path / 'x.db'}"))
    response = client.put("/healthz", content=b"x" * 2048)  # a route without authentication
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "1024 bytes" in response.json()["detail"]
    anonymous = client.post("/api/v1/benefits", content=b"x" * 2048)
    assert anonymous.status_code == 401  # API routes authenticate before the body counts


def test_chunked_body_over_the_limit_is_413(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(small_body_app(f"sqlite:///{tmp_path / 'x.db'}"))

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(4):
            yield b"y" * 512

    response = client.post("/api/v1/benefits", content=chunks())
    assert response.status_code == 401  # authentication first: the body is never read


def test_chunked_body_under_the_limit_reaches_the_app(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(small_body_app(f"sqlite:///{tmp_path / 'x.db'}"))

    def chunks():  # type: ignore[no-untyped-def]
        yield b"{}"

    response = client.post("/api/v1/benefits", content=chunks())
    assert response.status_code == 401  # got past the size check to authentication


def test_a_unique_violation_race_is_409_not_500(api: ApiClient) -> None:
    app = api.app
    assert isinstance(app, FastAPI)

    @app.post("/test-only/duplicate")
    def duplicate(session: SessionDep) -> None:
        session.add_all(
            [Benefit(code="DUP", name="a", cost=1), Benefit(code="DUP", name="b", cost=1)]
        )
        session.commit()

    try:
        response = api.post("/test-only/duplicate", headers=api.auth("hr_admin"))
    finally:
        app.router.routes[:] = [
            r for r in app.router.routes if getattr(r, "path", "") != "/test-only/duplicate"
        ]
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unreadable_body_is_a_documented_400(api: ApiClient) -> None:
    """Found by the fuzzer (tests/test_fuzz.py): a non-UTF-8 JSON body got an undocumented
    400 with a vague message."""
    response = api.post(
        "/api/v1/peer-groups",
        content=b"\x80",
        headers={**api.auth("hr_admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "UTF-8 JSON" in response.json()["detail"]
    documented = api.get("/openapi.json").json()["paths"]["/api/v1/peer-groups"]["post"]
    assert "400" in documented["responses"]
