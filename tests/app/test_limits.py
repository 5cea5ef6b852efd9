"""Request limits under real concurrency: a live uvicorn server and 60 concurrent clients."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from tests.conftest import FreshDatabase
from tests.factories import benefit_body

CLIENTS = 60
REQUESTS_PER_CLIENT = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_url(fresh_db: FreshDatabase) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(fresh_db.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def hammer(url: str, headers: dict[str, str]) -> list[int]:
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=20
    ) as client:

        async def one_client(index: int) -> list[int]:
            statuses = []
            for step in range(REQUESTS_PER_CLIENT):
                if (index + step) % 3 == 0:
                    response = await client.patch("/api/v1/benefits/GYM", json={"cost": step})
                else:
                    response = await client.get("/api/v1/benefits/GYM")
                statuses.append(response.status_code)
            return statuses

        results = await asyncio.gather(*(one_client(i) for i in range(CLIENTS)))
    return [status for statuses in results for status in statuses]


def test_many_concurrent_clients_neither_stall_nor_fail(
    fresh_db: FreshDatabase, live_url: str
) -> None:
    """More clients than thread-pool threads, each holding a transaction between hops:
    without the concurrency limit this stalls until the database lock times out."""
    headers = fresh_db.auth("hr_admin")
    created = httpx.post(f"{live_url}/api/v1/benefits", json=benefit_body(), headers=headers)
    assert created.status_code == 201
    started = time.monotonic()
    statuses = asyncio.run(hammer(live_url, headers))
    elapsed = time.monotonic() - started
    assert sorted(set(statuses)) == [200]
    assert len(statuses) == CLIENTS * REQUESTS_PER_CLIENT
    assert elapsed < 20
