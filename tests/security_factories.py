"""Small keyword-only factories for the security tests (commit their rows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.audit.models import AuditEvent
from app.config import Settings
from tests.conftest import ApiClient
from tests.domain_factories import make_benefit, make_employee, make_peer_group, period_body
from tests.factories import TEST_SECRET_KEY


def make_people(api: ApiClient, *, external_ids: tuple[str, ...] = ("E1", "E2")) -> None:
    """Peer group HQ-L2 with these employees (emails <id>@example.com)."""
    group = make_peer_group(api.session, code="HQ-L2")
    for external_id in external_ids:
        make_employee(
            api.session,
            external_id=external_id,
            peer_group=group,
            email=f"{external_id.lower()}@example.com",
        )


def make_open_period(api: ApiClient) -> str:
    """A catalogue (HEALTH core, GYM, LEAVE) and an open period; returns its id.
    Needs at least one active employee (see make_people)."""
    make_benefit(api.session, code="HEALTH", core=True)
    make_benefit(api.session, code="GYM")
    make_benefit(api.session, code="LEAVE", max_units=5, cost=25000)
    admin = api.auth("hr_admin")
    period_id: str = api.post("/api/v1/periods", json=period_body(), headers=admin).json()["id"]
    opened = api.post(f"/api/v1/periods/{period_id}/open", headers=admin)
    assert opened.status_code == 200, opened.text
    return period_id


def audit_events(session: Session, **equal: str) -> list[AuditEvent]:
    """Audit events whose columns equal `equal`, in recording order."""
    session.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at, AuditEvent.id)
    for column, value in equal.items():
        stmt = stmt.where(getattr(AuditEvent, column) == value)
    return list(session.scalars(stmt))


def key_id_of(session: Session, headers: dict[str, str]) -> str:
    """The public id (the audit actor) of the API key in these Authorization headers."""
    from app.auth.models import ApiKey

    prefix = headers["Authorization"].removeprefix("Bearer ").split("_")[1]
    public_id = session.scalar(select(ApiKey.public_id).where(ApiKey.prefix == prefix))
    assert public_id is not None
    return public_id


@contextmanager
def client_sharing_transaction(
    app: FastAPI, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    """A TestClient of another app (other settings) joining the test's transaction."""

    from tests.conftest import share_transaction

    share_transaction(app, session_factory)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Test settings (rate limits off unless `overrides` set them)."""
    values: dict[str, Any] = {"rate_limit_per_minute": 0, "auth_failures_per_minute": 0}
    values.update(overrides)
    return Settings(
        environment="test", database_url=database_url, secret_key=TEST_SECRET_KEY, **values
    )
