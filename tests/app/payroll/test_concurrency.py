"""Concurrent approvals on real, separate connections produce exactly one version."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.jobs.execution import execute_pending
from app.payroll.models import Publication
from tests.conftest import FreshDatabase
from tests.run_world import FreshClient, build_world, close


def test_two_concurrent_approvals_publish_one_version(fresh_db: FreshDatabase) -> None:
    client = FreshClient(fresh_db)
    world = build_world(client)  # type: ignore[arg-type]
    close(world)
    started = client.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    run_id = started.json()["id"]
    assert execute_pending(fresh_db.app.state.session_factory) == [run_id]

    approvers = [fresh_db.auth("approver"), fresh_db.auth("approver")]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def approve(headers: dict[str, str]) -> None:
        with TestClient(fresh_db.app) as own_client:
            barrier.wait()
            statuses.append(
                own_client.post(f"/api/v1/runs/{run_id}/approve", headers=headers).status_code
            )

    threads = [threading.Thread(target=approve, args=(h,)) for h in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [200, 409]
    with fresh_db.session() as session:
        versions = session.scalars(
            select(Publication.version).where(Publication.period_id == world.period_id)
        ).all()
    assert versions == [1]


def test_the_version_number_is_unique_per_period(fresh_db: FreshDatabase) -> None:
    client = FreshClient(fresh_db)
    world = build_world(client)  # type: ignore[arg-type]
    close(world)
    started = client.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    execute_pending(fresh_db.app.state.session_factory)
    row: dict[str, Any] = {
        "period_id": world.period_id,
        "version": 1,
        "run_id": started.json()["id"],
        "approved_by": "x",
        "currency": "EUR",
    }
    with fresh_db.session() as session:
        for _ in range(2):
            session.add(
                Publication(**row, effective_from=date(2027, 1, 1), effective_to=date(2027, 12, 31))
            )
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Publication)) == 0
