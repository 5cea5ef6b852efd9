"""The one job policy (app.jobs.execution) on real databases: claims, lost leases, the
reaper's retry rule, a failure while saving, heartbeats during a long step, the embedded
runner, and reads without side effects."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.allocations.models import Run, RunLine
from app.db import utcnow
from app.jobs.embedded import EmbeddedRunner
from app.jobs.execution import claim, execute, finish, reap_expired
from app.jobs.models import Job
from app.jobs.registry import Finish, JobContext, JobKind, register
from app.jobs.service import enqueue
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
    assert claim(factory, run_id, worker="a", lease_s=60)
    assert not claim(factory, run_id, worker="b", lease_s=60)
    assert status_of(api, run_id) == ("running", 1)

    def write_a_line(session: Session, job_id: str) -> None:
        session.add(
            RunLine(
                run_id=job_id, employee="E1", benefit="GYM", units=1, employer_cost=1,
                employee_cost=0,
            )
        )  # fmt: skip

    outcome = Finish(status="succeeded", save=write_a_line)
    assert not finish(factory, run_id, worker="b", outcome=outcome)
    assert status_of(api, run_id) == ("running", 1)
    assert api.session.scalar(select(func.count()).where(RunLine.run_id == run_id)) == 0
    assert execute(factory, run_id, worker="c", lease_s=60) is None  # not queued


def test_the_reaper_requeues_then_fails_runs_of_dead_workers(api: ApiClient) -> None:
    run_id = queued_run(api)
    factory = joined_session_factory(api.session)

    def die(worker: str) -> None:
        assert claim(factory, run_id, worker=worker, lease_s=60)
        expired = utcnow() - timedelta(seconds=1)
        api.session.execute(update(Job).where(Job.id == run_id).values(lease_expires_at=expired))
        api.session.commit()

    die("first")
    assert reap_expired(factory, max_attempts=2) == [run_id]
    assert status_of(api, run_id) == ("queued", 1)
    die("second")
    assert reap_expired(factory, max_attempts=2) == []
    assert status_of(api, run_id) == ("failed", 2)
    assert "stopped responding" in (api.session.get_one(Run, run_id).error or "")
    # A live lease is left alone.
    assert reap_expired(factory, max_attempts=2) == []


def test_a_failure_while_saving_is_recorded_as_that_failure(api: ApiClient) -> None:
    """A run whose result cannot be written (here a duplicate line key) ends `failed` with
    the database's error at once, not "worker stopped responding" after retries."""
    run_id = queued_run(api)
    factory = joined_session_factory(api.session)
    assert claim(factory, run_id, worker="w", lease_s=60)

    def duplicate_lines(session: Session, job_id: str) -> None:
        for _ in range(2):
            session.add(
                RunLine(
                    run_id=job_id, employee="E1", benefit="GYM", units=1, employer_cost=1,
                    employee_cost=0,
                )
            )  # fmt: skip
            session.flush()

    assert finish(factory, run_id, worker="w", outcome=Finish("succeeded", save=duplicate_lines))
    api.session.expire_all()
    run, job = api.session.get_one(Run, run_id), api.session.get_one(Job, run_id)
    assert (run.status, job.status) == ("failed", "failed")
    assert run.error == job.error
    assert run.error is not None and "saving the result failed" in run.error
    assert "IntegrityError" in run.error
    assert api.session.scalar(select(func.count()).where(RunLine.run_id == run_id)) == 0


SLOW_KIND = "test_slow_step"
slow_step = threading.Event()


def _one_slow_step(context: JobContext) -> Finish:
    slow_step.wait(10)  # one step far longer than the lease: only the heartbeat keeps it
    return Finish(status="succeeded", result={"attempt": context.attempt})


register(JobKind(name=SLOW_KIND, execute=_one_slow_step))


def test_a_long_step_keeps_its_lease_by_heartbeat(fresh_db: FreshDatabase) -> None:
    factory = fresh_db.app.state.session_factory
    world = build_world(FreshClient(fresh_db))  # type: ignore[arg-type]
    with factory() as session:
        job = enqueue(session, kind=SLOW_KIND, period_id=world.period_id, created_by="t")
        session.commit()
    slow_step.clear()
    done: list[str | None] = []
    worker = threading.Thread(
        target=lambda: done.append(execute(factory, job.id, worker="w", lease_s=0.6))
    )
    worker.start()
    try:
        time.sleep(2.0)  # more than three leases into the step
        assert reap_expired(factory, max_attempts=1) == []
        with factory() as session:
            assert session.get_one(Job, job.id).status == "running"
    finally:
        slow_step.set()
        worker.join(10)
    assert done == ["succeeded"]


def test_a_job_is_dispatched_once_after_commit_and_reading_it_starts_nothing(
    fresh_db: FreshDatabase,
) -> None:
    client = FreshClient(fresh_db)
    world = build_world(client)  # type: ignore[arg-type]
    dispatched: list[str] = []
    fresh_db.app.state.job_queued = dispatched.append  # what the runner would be told
    finance = client.auth("finance")
    started = client.post(
        f"/api/v1/periods/{world.period_id}/budget-curve",
        json={"budget_id": "total", "from": 800_000, "to": 900_000, "steps": 2},
        headers=finance,
    )
    assert dispatched == [started.json()["id"]]
    refused = client.post(
        f"/api/v1/periods/{world.period_id}/budget-curve",
        json={"budget_id": "nope", "from": 800_000, "to": 900_000, "steps": 2},
        headers=finance,
    )
    assert refused.status_code == 422 and len(dispatched) == 1  # rolled back: nothing queued
    for _ in range(3):
        polled = client.get(started.headers["Location"], headers=finance).json()
        assert polled["status"] == "queued"
    assert len(dispatched) == 1


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


def test_the_embedded_runner_reaps_a_dead_process_job_without_new_work(
    fresh_db: FreshDatabase,
) -> None:
    """A job left `running` by a process that died is settled by the next runner's own
    polling, not only when another job is queued."""
    client = FreshClient(fresh_db)
    world = build_world(client)  # type: ignore[arg-type]
    started = client.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    run_id = started.json()["id"]
    factory = fresh_db.app.state.session_factory
    assert claim(factory, run_id, worker="died", lease_s=0.1)
    runner = EmbeddedRunner(factory, JobSettings(poll_seconds=0.2, max_attempts=1))
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while client.get(f"{RUNS}/{run_id}", headers=world.admin).json()["status"] == "running":
            assert time.monotonic() < deadline, "the dead process's run stayed running"
            time.sleep(0.1)
        run = client.get(f"{RUNS}/{run_id}", headers=world.admin).json()
        assert run["status"] == "failed" and "stopped responding" in run["error"]
    finally:
        runner.stop()
