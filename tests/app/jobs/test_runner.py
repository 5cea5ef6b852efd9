"""Where runs execute: the runner mode, and `flexben worker` on SQLite (polling)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.config import Settings
from app.jobs.settings import JobSettings, runner_mode
from tests.conftest import FreshDatabase
from tests.factories import TEST_SECRET_KEY
from tests.run_world import FreshClient, build_world

REPO = Path(__file__).resolve().parents[3]


def settings(url: str, environment: str = "production") -> Settings:
    return Settings(environment=environment, database_url=url, secret_key=TEST_SECRET_KEY)


def test_runner_mode_defaults_and_override() -> None:
    sqlite, postgres = "sqlite:///x.db", "postgresql+psycopg://u@h/db"
    assert runner_mode(settings(sqlite), JobSettings(runner=None)) == "embedded"
    assert runner_mode(settings(postgres), JobSettings(runner=None)) == "queue"
    assert runner_mode(settings(postgres, "test"), JobSettings(runner=None)) == "manual"
    assert runner_mode(settings(sqlite, "test"), JobSettings(runner="embedded")) == "embedded"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_flexben_worker_on_sqlite_polls_and_executes_runs(fresh_db: FreshDatabase) -> None:
    client = FreshClient(fresh_db)
    world = build_world(client)  # type: ignore[arg-type]
    started = client.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    env = {
        **os.environ,
        "FLEXBEN_DATABASE_URL": fresh_db.url,
        "FLEXBEN_SECRET_KEY": TEST_SECRET_KEY,
        "FLEXBEN_JOB_POLL_SECONDS": "0.2",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        url = started.headers["Location"]
        while client.get(url, headers=world.admin).json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, "the worker did not execute the run"
            time.sleep(0.2)
        assert client.get(url, headers=world.admin).json()["status"] == "succeeded"
    finally:
        worker.terminate()
        worker.wait(10)
