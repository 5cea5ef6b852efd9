"""Budget-curve jobs executed the way the service runs them: the embedded runner of the API
process, real separate connections (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.jobs.execution import reap_expired
from tests.conftest import FreshDatabase
from tests.run_world import build_world


class FreshClient(TestClient):
    """A client of a fresh database's app, with the `auth` helper build_world needs."""

    def __init__(self, fresh: FreshDatabase) -> None:
        super().__init__(fresh.app, raise_server_exceptions=True)
        self.fresh = fresh

    def auth(self, *roles: str, employee: str | None = None) -> dict[str, str]:
        return self.fresh.auth(*roles, employee=employee)


def _wait_for(client: TestClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(location, headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job still {job['status']} after 120 s")


def test_an_accepted_curve_runs_on_a_background_thread(
    fresh_db: FreshDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEXBEN_JOB_RUNNER", "embedded")
    with FreshClient(fresh_db) as client:  # the lifespan starts the embedded runner
        world = build_world(client)  # type: ignore[arg-type]
        finance = client.auth("finance")
        started = client.post(
            f"/api/v1/periods/{world.period_id}/budget-curve",
            json={"budget_id": "total", "from": 800_000, "to": 1_000_000, "steps": 3},
            headers=finance,
        )
        assert started.status_code == 202, started.text
        job = _wait_for(client, started.headers["Location"], finance)
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == {"done": 4, "total": 4}
    assert [step["cap"] for step in job["result"]["steps"]] == [800_000, 900_000, 1_000_000]


def test_a_job_whose_worker_died_out_of_attempts_is_failed_not_left_running(
    fresh_db: FreshDatabase,
) -> None:
    from sqlalchemy import update

    from app.jobs.models import Job

    client = FreshClient(fresh_db)
    world = build_world(client)  # type: ignore[arg-type]
    finance = client.auth("finance")
    started = client.post(
        f"/api/v1/periods/{world.period_id}/budget-curve",
        json={"budget_id": "total", "from": 800_000, "to": 900_000, "steps": 2},
        headers=finance,
    )
    job_id = started.json()["id"]
    with fresh_db.session() as session:  # a worker claimed it, then vanished
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="running", worker="dead", attempts=2, lease_expires_at=Job.created_at)
        )
        session.commit()
    assert reap_expired(fresh_db.app.state.session_factory, max_attempts=2) == []
    job = client.get(started.headers["Location"], headers=finance).json()
    assert job["status"] == "failed" and "stopped responding" in job["error"]
