"""Two imports with one Idempotency-Key at the same time, on real separate connections
(issue 10, item 12): the retry waits for the first and replays it; no 500."""

from __future__ import annotations

import threading

import httpx

from tests.conftest import FreshDatabase
from tests.domain_factories import make_peer_group

ROWS = 300


def test_a_concurrent_retry_of_an_import_replays_the_first(fresh_db: FreshDatabase) -> None:
    with fresh_db.session() as session:
        make_peer_group(session, code="HQ-L2")
    headers = {
        **fresh_db.auth("hr_admin"),
        "Content-Type": "text/csv",
        "Idempotency-Key": "import-2027-01",
    }
    body = "external_id,peer_group\n" + "".join(f"N{i:04},HQ-L2\n" for i in range(ROWS))
    barrier = threading.Barrier(2)
    responses: list[httpx.Response] = []

    def send() -> None:
        with fresh_db.client() as client:
            barrier.wait()
            responses.append(client.post("/api/v1/employees/import", content=body, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.status_code for r in responses) == [200, 200], [r.text for r in responses]
    assert responses[0].json() == responses[1].json()
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 1


def test_an_import_racing_a_patch_never_overwrites_it_with_the_same_etag(
    fresh_db: FreshDatabase,
) -> None:
    """A PATCH of E1 is in flight (row locked, version 2, not committed) when an import
    touching E1 arrives: the import waits and counts from version 2 (ETag v3)."""

    from sqlalchemy import select, update

    from app.employees.models import Employee
    from tests.domain_factories import make_employee

    with fresh_db.session() as session:
        group = make_peer_group(session, code="HQ-L2")
        make_employee(session, external_id="E1", peer_group=group)
    headers = {**fresh_db.auth("hr_admin"), "Content-Type": "text/csv"}
    reader = fresh_db.auth("hr_admin")
    patcher = fresh_db.session()
    patcher.execute(select(Employee).where(Employee.external_id == "E1").with_for_update())
    patcher.execute(
        update(Employee)
        .where(Employee.external_id == "E1")
        .values(display_name="patched", version=Employee.version + 1)
    )
    body = "external_id,peer_group,display_name\nE1,HQ-L2,imported\n"
    statuses: list[int] = []
    with fresh_db.client() as client:
        thread = threading.Thread(
            target=lambda: statuses.append(
                client.post("/api/v1/employees/import", content=body, headers=headers).status_code
            )
        )
        thread.start()
        _wait_until_blocked(fresh_db)
        patcher.commit()
        patcher.close()
        thread.join(timeout=60)
        assert statuses == [200]
        got = client.get("/api/v1/employees/E1", headers=reader)
    assert got.json()["display_name"] == "imported" and got.headers["ETag"] == '"v3"'


def _wait_until_blocked(db: FreshDatabase, timeout: float = 30) -> None:
    """Until a request waits for a lock (PostgreSQL: an ungranted lock; SQLite: a moment)."""
    import time

    from sqlalchemy import text

    if db.backend != "postgresql":
        time.sleep(1.0)
        return
    deadline = time.monotonic() + timeout
    with db.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            if waiting.scalar():
                return
            connection.rollback()
            time.sleep(0.05)
    raise AssertionError("the import never waited for the row lock")
