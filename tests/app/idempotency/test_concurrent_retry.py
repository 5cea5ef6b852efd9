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
