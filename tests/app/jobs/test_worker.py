"""`flexben worker` processes on PostgreSQL (procrastinate): a worker killed mid-run leaves
no partial state and the run ends `failed`; two workers never execute the same run."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.allocations.models import Run, RunEmployee, RunLine
from app.jobs.execution import claim
from app.jobs.queue import QUEUE, TASK, Reaper, _deferring_app, enqueue
from app.jobs.settings import JobSettings
from bench.seed import seed_problem
from solver.generate import generate
from tests.app.jobs.workers import start_worker
from tests.conftest import FreshDatabase

# The durable queue and `flexben worker` processes are PostgreSQL's: no SQLite variant.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize(
        "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
    ),
]


@pytest.fixture
def pg(fresh_db: FreshDatabase) -> FreshDatabase:
    assert fresh_db.backend == "postgresql"
    return fresh_db


@pytest.fixture
def workers(pg: FreshDatabase) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> subprocess.Popen[bytes]:
        defaults = {"FLEXBEN_ENVIRONMENT": "development", "FLEXBEN_LOG_LEVEL": "warning"}
        process = start_worker(pg.url, **{**defaults, **env})
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_runs(db: FreshDatabase, period_id: str, count: int, **body: float) -> list[str]:
    """POST the runs through the app (its lifespan picks the job runner from the env)."""
    admin = db.auth("hr_admin")
    ids = []
    with TestClient(db.app) as client:
        for _ in range(count):
            response = client.post(f"/api/v1/periods/{period_id}/runs", json=body, headers=admin)
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
    return ids


def run_state(db: FreshDatabase, run_id: str) -> tuple[str, int, int, int]:
    """status, attempts, line rows, employee rows."""
    with db.session() as session:
        run = session.get_one(Run, run_id)
        lines = session.scalar(select(func.count()).where(RunLine.run_id == run_id)) or 0
        people = session.scalar(select(func.count()).where(RunEmployee.run_id == run_id)) or 0
        return run.status, run.attempts, lines, people


def procrastinate_jobs(db: FreshDatabase) -> int:
    with db.engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM procrastinate.procrastinate_jobs")
            ).scalar_one()
        )


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def kill_a_worker_mid_run(
    pg: FreshDatabase, workers: Callable[..., subprocess.Popen[bytes]], *, time_limit_s: float
) -> str:
    """Queue a 300-employee run, SIGKILL the worker executing it inside the solve; its id."""
    with pg.session() as session:
        period_id = seed_problem(session, generate(employees=300, seed=5))
    (run_id,) = start_runs(pg, period_id, 1, time_limit_s=time_limit_s)
    enqueue(pg.url, run_id)
    first = workers(FLEXBEN_JOB_LEASE_SECONDS="2")
    wait_for(lambda: run_state(pg, run_id)[0] == "running", timeout=60, what="the run to start")
    time.sleep(0.5)  # well inside the solve
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    return run_id


def test_worker_killed_mid_run_leaves_a_failed_run_without_lines(
    pg: FreshDatabase, workers: Callable[..., subprocess.Popen[bytes]]
) -> None:
    run_id = kill_a_worker_mid_run(pg, workers, time_limit_s=60)
    assert run_state(pg, run_id) == ("running", 1, 0, 0)

    # Another worker reaps the dead worker's run: out of attempts, it is failed, with no rows.
    workers(FLEXBEN_JOB_LEASE_SECONDS="2", FLEXBEN_JOB_MAX_ATTEMPTS="1")
    wait_for(lambda: run_state(pg, run_id)[0] != "running", timeout=30, what="the reaper")
    assert run_state(pg, run_id) == ("failed", 1, 0, 0)
    with pg.session() as session:
        error = session.get_one(Run, run_id).error
    assert error is not None and "stopped responding" in error


def test_two_workers_never_execute_the_same_run(
    pg: FreshDatabase,
    workers: Callable[..., subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pg.session() as session:
        period_id = seed_problem(session, generate(employees=6, seed=2))
    monkeypatch.setenv("FLEXBEN_JOB_RUNNER", "queue")  # the API defers each run's job
    run_ids = start_runs(pg, period_id, 4)
    assert procrastinate_jobs(pg) == 4
    for run_id in run_ids:
        enqueue(pg.url, run_id)  # the queueing lock keeps one waiting job per run
        # ...and a duplicate job without the lock: both workers may fetch one each.
        _deferring_app(pg.url).configure_task(TASK, queue=QUEUE).defer(job_id=run_id)
    workers()
    workers()
    wait_for(
        lambda: all(run_state(pg, run_id)[0] == "succeeded" for run_id in run_ids),
        timeout=90,
        what="every run to succeed",
    )
    for run_id in run_ids:
        status, attempts, lines, people = run_state(pg, run_id)
        assert (status, attempts) == ("succeeded", 1)
        assert lines > 0 and people == 6
    assert procrastinate_jobs(pg) == 8  # per run, one locked and one unlocked job: one execution


def test_a_killed_workers_run_is_retried_to_completion(
    pg: FreshDatabase, workers: Callable[..., subprocess.Popen[bytes]]
) -> None:
    run_id = kill_a_worker_mid_run(pg, workers, time_limit_s=3)

    # Attempts remain: the reaper re-queues and defers it; this worker executes it whole.
    workers(FLEXBEN_JOB_LEASE_SECONDS="2", FLEXBEN_JOB_MAX_ATTEMPTS="2")
    wait_for(
        lambda: run_state(pg, run_id)[0] not in ("queued", "running"),
        timeout=90,
        what="the retried run to finish",
    )
    status, attempts, lines, people = run_state(pg, run_id)
    assert (status, attempts, people) == ("succeeded", 2, 300)
    assert lines > 300  # every employee's core lines at least, written in one piece


def job_status(db: FreshDatabase, job_id: str) -> str:
    from app.jobs.models import Job

    with db.session() as session:
        return session.get_one(Job, job_id).status


def test_a_budget_curve_job_is_deferred_and_executed_by_a_worker(
    pg: FreshDatabase,
    workers: Callable[..., subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pg.session() as session:
        period_id = seed_problem(session, generate(employees=10, seed=2))  # >= 5 participants
    monkeypatch.setenv("FLEXBEN_JOB_RUNNER", "queue")  # the API defers the job, runs nothing
    finance = pg.auth("finance")
    with TestClient(pg.app) as client:
        started = client.post(
            f"/api/v1/periods/{period_id}/budget-curve",
            json={"budget_id": "total", "from": 1_000_000, "to": 2_000_000, "steps": 3},
            headers=finance,
        )
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        assert procrastinate_jobs(pg) == 1
        time.sleep(0.5)
        assert job_status(pg, job_id) == "queued"  # nothing in the API process took it
        workers()
        wait_for(
            lambda: job_status(pg, job_id) in ("succeeded", "failed"),
            timeout=90,
            what="the curve job to finish",
        )
        job = client.get(started.headers["Location"], headers=finance).json()
    assert job["status"] == "succeeded", job["error"]
    assert [step["cap"] for step in job["result"]["steps"]] == [1_000_000, 1_500_000, 2_000_000]
    assert job["progress"]["done"] == job["progress"]["total"]


def orphan_a_run(pg: FreshDatabase, *, delivery: str | None) -> str:
    """A run `running` on the queue path (no lease) under a worker that is gone, with one
    procrastinate job of status `delivery` (None: no procrastinate job at all)."""
    with pg.session() as session:
        period_id = seed_problem(session, generate(employees=6, seed=2))
    (run_id,) = start_runs(pg, period_id, 1)
    if delivery is not None:
        enqueue(pg.url, run_id)
        with pg.engine.begin() as connection:
            connection.execute(text("SET LOCAL search_path = procrastinate"))  # its triggers'
            connection.execute(
                text("UPDATE procrastinate_jobs SET status = :status"),
                {"status": delivery},
            )
    assert claim(pg.app.state.session_factory, run_id, worker="gone", lease_s=None)
    return run_id


@pytest.mark.parametrize("delivery", [None, "succeeded", "failed"])
def test_a_running_job_no_delivery_will_finish_is_requeued_and_deferred(
    pg: FreshDatabase, delivery: str | None
) -> None:
    # e.g. the database went away while its worker saved the result: the exception ended the
    # procrastinate job, and its retry found the job still running under that worker.
    run_id = orphan_a_run(pg, delivery=delivery)
    Reaper(pg.app.state.session_factory, pg.url, JobSettings(max_attempts=2)).cycle()
    assert run_state(pg, run_id) == ("queued", 1, 0, 0)
    with pg.engine.connect() as connection:
        waiting = connection.execute(
            text("SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status = 'todo'")
        ).scalar_one()
    assert waiting == 1


def test_an_orphaned_job_out_of_attempts_is_failed(pg: FreshDatabase) -> None:
    run_id = orphan_a_run(pg, delivery="succeeded")
    Reaper(pg.app.state.session_factory, pg.url, JobSettings(max_attempts=1)).cycle()
    assert run_state(pg, run_id) == ("failed", 1, 0, 0)


def test_a_running_job_with_a_delivery_to_do_is_left_alone(pg: FreshDatabase) -> None:
    # procrastinate's retry of a failed execution, say: it will settle the job itself. (A
    # delivery being done is its worker's, or a stalled one: the stalled path's.)
    run_id = orphan_a_run(pg, delivery="todo")
    Reaper(pg.app.state.session_factory, pg.url, JobSettings(max_attempts=2)).cycle()
    assert run_state(pg, run_id) == ("running", 1, 0, 0)
