"""Execution bookkeeping: claims, lost leases, the reaper, the embedded runner."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select, update

from app.allocations.execution import (
    claim_run,
    execute_run,
    finish_run,
    reap_expired_runs,
)
from app.allocations.models import Run, RunLine
from app.allocations.results import RunOutcome
from app.db import utcnow
from app.jobs.embedded import EmbeddedRunner
from app.jobs.settings import JobSettings
from tests.conftest import ApiClient, FreshDatabase
from tests.run_world import FreshClient, build_world, joined_session_factory

RUNS = "/api/v1/runs"


def queued_run(api: ApiClient) -> str:
    world = build_world(api)
    started = api.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    return str(started.json()["id"])


def status_of(api: ApiClient, run_id: str) -> tuple[str, int]:
    api.session.expire_all()
    run = api.session.get_one(Run, run_id)
    return run.status, run.attempts


def test_only_one_claim_wins_and_a_lost_lease_writes_nothing(api: ApiClient) -> None:
    run_id = queued_run(api)
    factory = joined_session_factory(api.session)
    assert claim_run(factory, run_id, worker="a", lease_s=60)
    assert not claim_run(factory, run_id, worker="b", lease_s=60)
    line = {
        "employee": "E1",
        "benefit": "GYM",
        "kind": "benefit",
        "units": 1,
        "employer_cost": 1,
        "employee_cost": 0,
    }
    outcome = RunOutcome(values={"status": "succeeded"}, lines=[line])
    assert not finish_run(factory, run_id, worker="b", outcome=outcome)
    assert status_of(api, run_id) == ("running", 1)
    count = select(func.count()).where(RunLine.run_id == run_id)
    assert api.session.scalar(count) == 0
    assert execute_run(factory, run_id, worker="c", lease_s=60) is None  # not queued


def test_the_reaper_requeues_then_fails_runs_of_dead_workers(api: ApiClient) -> None:
    run_id = queued_run(api)
    factory = joined_session_factory(api.session)

    def die(worker: str) -> None:
        assert claim_run(factory, run_id, worker=worker, lease_s=60)
        expired = utcnow() - timedelta(seconds=1)
        api.session.execute(update(Run).where(Run.id == run_id).values(lease_expires_at=expired))
        api.session.commit()

    die("first")
    assert reap_expired_runs(factory, max_attempts=2) == [run_id]
    assert status_of(api, run_id) == ("queued", 1)
    die("second")
    assert reap_expired_runs(factory, max_attempts=2) == []
    assert status_of(api, run_id) == ("failed", 2)
    assert "stopped responding" in (api.session.get_one(Run, run_id).error or "")
    # A live lease is left alone.
    assert reap_expired_runs(factory, max_attempts=2) == []


def test_the_embedded_runner_executes_queued_runs(fresh_db: FreshDatabase) -> None:
    client = FreshClient(fresh_db)
    world = build_world(client)  # type: ignore[arg-type]
    runner = EmbeddedRunner(fresh_db.app.state.session_factory, JobSettings(poll_seconds=0.2))
    runner.start()
    try:
        started = client.post(
            f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin
        )
        runner.wake()
        url = started.headers["Location"]
        deadline = time.monotonic() + 30
        while client.get(url, headers=world.admin).json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, "the embedded runner did not finish the run"
            time.sleep(0.1)
        assert client.get(url, headers=world.admin).json()["status"] == "succeeded"
    finally:
        runner.stop()
