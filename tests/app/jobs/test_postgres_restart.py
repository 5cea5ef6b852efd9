"""Fault drill (issue 10): PostgreSQL restarted while a `flexben worker` executes a run. The
run ends `succeeded` with every line (retried if the restart cost it its first attempt) and
is never seen half-written: while it is queued or running it has no rows at all.

The server restarted is a private cluster of this test (tests/private_postgres.py), never
the shared one other test processes use."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.main import create_app
from app.migrate import upgrade_to_head
from bench.seed import seed_problem
from bench.support import running_server
from solver.generate import generate
from tests.app.jobs.test_worker import run_state, wait_for
from tests.app.jobs.workers import start_worker
from tests.conftest import FreshDatabase, PostgresDatabases
from tests.conftest import test_settings as settings_for_tests
from tests.factories import TEST_SECRET_KEY
from tests.private_postgres import PrivateCluster, missing_binaries, private_cluster

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EMPLOYEES = 300
SOLVE_S = 2.0  # the run's time limit: the solver uses it whole on this problem
# A short lease: the reaper cycles every second, and a silent worker is stalled after 5 s.
JOB_ENV = {"FLEXBEN_JOB_RUNNER": "queue", "FLEXBEN_JOB_LEASE_SECONDS": "2"}


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    problem = missing_binaries()
    if problem is not None:
        pytest.skip(problem)
    with private_cluster() as started:
        yield started


@pytest.fixture
def db(cluster: PrivateCluster) -> Iterator[FreshDatabase]:
    databases = PostgresDatabases(cluster.admin_url)
    url = databases.create("restart")
    upgrade_to_head(url)
    app = create_app(settings_for_tests(url))
    try:
        yield FreshDatabase(url=url, backend="postgresql", app=app)
    finally:
        app.state.engine.dispose()
        databases.close()  # the cluster, and its databases, go when the test ends


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def has_logged(self, words: str) -> bool:
        return words in self.log.read_text(errors="replace")


@pytest.fixture
def worker(db: FreshDatabase, tmp_path: Path) -> Iterator[Worker]:
    log = tmp_path / "worker.log"
    process = start_worker(db.url, log_to=log, FLEXBEN_ENVIRONMENT="development", **JOB_ENV)
    yield Worker(process, log)
    process.terminate()  # ours, by its pid
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def waiting_deliveries(db: FreshDatabase) -> int:
    """procrastinate jobs still to do or being done."""
    with db.engine.connect() as connection:
        query = text(
            "SELECT count(*) FROM procrastinate.procrastinate_jobs"
            " WHERE status IN ('todo', 'doing')"
        )
        return int(connection.execute(query).scalar_one())


def watch_until_finished(db: FreshDatabase, run_id: str, *, timeout: float) -> None:
    """Poll the run until it is finished; at every look it is whole or has no rows."""
    started = time.monotonic()
    seen: list[str] = []  # its states as they changed, for the failure message
    while time.monotonic() < started + timeout:
        status, attempts, lines, people = run_state(db, run_id)
        state = f"{time.monotonic() - started:.1f}s {status} attempt {attempts}"
        if not seen or seen[-1].split(" ", 1)[1] != state.split(" ", 1)[1]:
            seen.append(state)
        if status not in ("queued", "running"):
            return
        assert (lines, people) == (0, 0), f"a {status} run with rows, half-written: {seen}"
        time.sleep(0.2)
    pytest.fail(f"the run is not finished {timeout} s after the restart: {seen}")


def stay_down_until(worker: Worker, *, until: str | None) -> None:
    if until is not None:
        wait_for(lambda: worker.has_logged(until), timeout=30, what=f"the worker to log {until!r}")


@pytest.mark.parametrize(
    ("until", "attempts"),
    [
        pytest.param(None, 1, id="restarted-during-the-solve"),
        # Down until the worker failed to save the solved run: it needs a second attempt.
        pytest.param("saving its result failed", 2, id="down-when-the-run-finishes"),
    ],
)
def test_a_run_survives_a_postgres_restart_whole(
    cluster: PrivateCluster, db: FreshDatabase, worker: Worker, until: str | None, attempts: int
) -> None:
    with db.session() as session:
        period_id = seed_problem(session, generate(employees=EMPLOYEES, seed=5))
    admin = db.auth("hr_admin")
    extra_env = {"FLEXBEN_SECRET_KEY": TEST_SECRET_KEY, **JOB_ENV}
    with running_server(db.url, extra_env=extra_env) as server:
        started = httpx.post(
            f"{server.base}/api/v1/periods/{period_id}/runs",
            json={"time_limit_s": SOLVE_S},
            headers=admin,
        )
        assert started.status_code == 202, started.text
        run_id = started.json()["id"]
        wait_for(lambda: run_state(db, run_id)[0] == "running", timeout=30, what="the run")
        time.sleep(0.5)  # inside the solve

        cluster.stop("immediate")  # every backend dies at once, as in a crash
        stay_down_until(worker, until=until)
        cluster.start()

        watch_until_finished(db, run_id, timeout=30)
        status, tried, lines, people = run_state(db, run_id)
        assert (status, tried, people) == ("succeeded", attempts, EMPLOYEES)
        assert lines > EMPLOYEES  # every employee's core lines at least
        shown = httpx.get(f"{server.base}/api/v1/runs/{run_id}", headers=admin)
        assert shown.status_code == 200 and shown.json()["status"] == "succeeded"
    assert worker.process.poll() is None, "the worker died with the database"
    assert waiting_deliveries(db) == 0
