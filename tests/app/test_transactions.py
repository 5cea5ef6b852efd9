"""One transaction owner: the request's session dependency commits or rolls back; GETs
read without the SQLite write lock; a slow payroll CSV download reads a snapshot and never
blocks a writer (real SQLite file, real HTTP app, separate connections)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import read_session
from app.jobs.execution import execute_pending
from app.payroll import service as payroll
from app.payroll.models import Publication
from app.periods.models import Period
from tests.conftest import FreshDatabase
from tests.run_world import FreshClient, build_world, close

APP = Path(__file__).resolve().parents[2] / "app"
CLI_MODULES = {"cli.py"}  # app/cli.py and each domain's cli.py


def write_in_thread(client: FreshClient, headers: dict[str, str], code: str) -> list[int]:
    """POST a peer group from another thread; its status, if it answered within 10 s."""
    statuses: list[int] = []

    def post() -> None:
        body = {"code": code, "name": code}
        statuses.append(client.post("/api/v1/peer-groups", json=body, headers=headers).status_code)

    writer = threading.Thread(target=post)
    started = time.monotonic()
    writer.start()
    writer.join(10)
    assert time.monotonic() - started < 10, "the write waited for the reader's lock"
    return statuses


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_slow_payroll_csv_download_does_not_block_a_write(fresh_db: FreshDatabase) -> None:
    client = FreshClient(fresh_db)
    world = build_world(client)  # type: ignore[arg-type]
    close(world)
    started = client.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin)
    assert execute_pending(fresh_db.app.state.session_factory) == [started.json()["id"]]
    approved = client.post(f"/api/v1/runs/{started.json()['id']}/approve", headers=world.approver)
    assert approved.status_code == 200, approved.text
    factory = fresh_db.app.state.session_factory
    with factory() as session:
        publication = session.scalars(select(Publication)).one()
        session.expunge(publication)
    # A client that has read the first chunk and then stalls: the stream's transaction is open.
    chunks = payroll.csv_chunks(factory, publication)
    first = next(chunks)
    assert first.startswith("employee,")
    try:
        assert write_in_thread(client, world.admin, "WHILE-STREAMING") == [201]
    finally:
        rest = "".join(chunks)  # the stream ends from its snapshot, unchanged
    assert "WHILE-STREAMING" not in first + rest


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_open_read_transaction_does_not_block_a_write(fresh_db: FreshDatabase) -> None:
    client = FreshClient(fresh_db)
    admin = fresh_db.auth("hr_admin")
    with read_session(fresh_db.app.state.session_factory) as reader:
        assert reader.scalars(select(Period)).all() == []  # a read transaction is open
        assert write_in_thread(client, admin, "WHILE-READING") == [201]


def test_a_read_only_session_refuses_to_write(fresh_db: FreshDatabase) -> None:
    from app.employees.models import PeerGroup

    with read_session(fresh_db.app.state.session_factory) as reader:
        reader.add(PeerGroup(code="NOPE", name="nope", equity_tolerance=None, equity_absolute=None))
        with pytest.raises(RuntimeError, match=r"mark it with app\.db\.writes"):
            reader.flush()


def test_only_the_request_dependency_and_the_job_runner_commit() -> None:
    committing = sorted(
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if ".commit(" in path.read_text(encoding="utf-8") and path.name not in CLI_MODULES
    )
    assert committing == ["db.py", "jobs/execution.py"]
