"""Fault drill (issue 10): the API process (a real `flexben serve`) is SIGKILLed in the middle
of a large employees import, once the import has written rows but before it committed.
Afterwards the employees are exactly as before, or exactly as after the whole import (the
same file imported again on a new server): never a part of it."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, select, text

from app.employees.models import Employee
from bench.support import Server, running_server
from tests.conftest import FreshDatabase
from tests.domain_factories import make_peer_group
from tests.factories import TEST_SECRET_KEY

pytestmark = pytest.mark.slow

EXISTING = 2_000  # updated by the import
NEW = 40_000  # created by it: a write phase long enough to be caught in
HEADER = "external_id,email,display_name,peer_group,grade,location,hire_date,fte\n"


def employees_csv(count: int, *, grade: str) -> bytes:
    rows = (
        f"E{i:06d},e{i}@example.com,Person {i},HQ-L2,{grade},HQ,2021-03-01,1.0\n"
        for i in range(count)
    )
    return (HEADER + "".join(rows)).encode()


def employees(db: FreshDatabase) -> list[tuple[object, ...]]:
    """Every employee row, every column, in id order."""
    with db.session() as session:
        rows = session.execute(select(*Employee.__table__.columns).order_by(Employee.id))
        return [tuple(row) for row in rows]


def post_import(server: Server, admin: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.base}/api/v1/employees/import",
        content=body,
        headers={**admin, "Content-Type": "text/csv"},
        timeout=120,
    )


def sqlite_writing_uncommitted(db: FreshDatabase) -> Callable[[], bool]:
    """True while another connection holds the write lock and has spilled pages into the
    WAL beyond its size when this probe was made (rows written, not committed)."""
    path = Path(str(make_url(db.url).database))
    wal = path.with_name(path.name + "-wal")
    baseline = wal.stat().st_size if wal.exists() else 0

    def writing() -> bool:
        if not wal.exists() or wal.stat().st_size <= baseline:
            return False
        with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as probe:
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # "database is locked": the import holds it
                return True
            probe.execute("ROLLBACK")
            return False

    return writing


def postgres_writing_uncommitted(db: FreshDatabase) -> Callable[[], bool]:
    """True while another session's open transaction has a transaction id: it has written."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
    )

    def writing() -> bool:
        with db.engine.connect() as connection:
            return bool(connection.execute(query).scalar_one())

    return writing


def kill_when(condition: Callable[[], bool], pid: int, *, timeout: float) -> bool:
    """SIGKILL `pid` (our server) as soon as `condition` holds; whether it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            os.kill(pid, signal.SIGKILL)
            return True
        time.sleep(0.01)
    return False


def seed(db: FreshDatabase, admin: dict[str, str], server: Server) -> None:
    with db.session() as session:
        make_peer_group(session, code="HQ-L2")
    seeded = post_import(server, admin, employees_csv(EXISTING, grade="L1"))
    assert seeded.status_code == 200, seeded.text
    # The key's first use is written once; later requests only read it (no other writer).
    assert httpx.get(f"{server.base}/api/v1/employees?limit=1", headers=admin).status_code == 200


def test_an_import_killed_mid_write_leaves_all_or_nothing(
    fresh_db: FreshDatabase, tmp_path: Path
) -> None:
    admin = fresh_db.auth("hr_admin")
    env = {"FLEXBEN_SECRET_KEY": TEST_SECRET_KEY}
    body = employees_csv(EXISTING + NEW, grade="L2")
    with running_server(fresh_db.url, extra_env=env) as server:
        seed(fresh_db, admin, server)
        before = employees(fresh_db)
        writing = (
            sqlite_writing_uncommitted(fresh_db)
            if fresh_db.backend == "sqlite"
            else postgres_writing_uncommitted(fresh_db)
        )
        answers: list[object] = []
        request = threading.Thread(
            target=lambda: answers.append(_answer(post_import, server, admin, body))
        )
        request.start()
        killed = kill_when(writing, server.pid, timeout=30)
        request.join(30)
    assert killed, f"the import was never caught writing: {answers}"
    assert answers and isinstance(answers[0], httpx.HTTPError), answers  # it never answered

    after_kill = employees(fresh_db)
    if after_kill != before:  # committed just before the kill: then all of it
        with running_server(fresh_db.url, extra_env=env) as again:
            assert post_import(again, admin, body).status_code == 200
        assert after_kill == employees(fresh_db), "part of the import was written"
    assert len(after_kill) in (EXISTING, EXISTING + NEW)


def _answer(call: Callable[..., httpx.Response], *args: object) -> object:
    try:
        return call(*args)
    except httpx.HTTPError as error:
        return error
