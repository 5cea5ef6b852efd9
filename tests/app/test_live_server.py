"""Abuse limits against a real `uvicorn` process (issue 10, item 6): an anonymous body is
refused before it is read (bounded memory), a body that trickles in gets 408, an
anonymous request never waits for a concurrency slot."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.app.test_limits import free_port
from tests.conftest import FreshDatabase
from tests.factories import TEST_SECRET_KEY

MIB = 1024 * 1024


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def rss_kib(self, field: str = "VmRSS") -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise AssertionError(f"no {field} for pid {self.process.pid}")


@pytest.fixture
def server(fresh_db: FreshDatabase, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "FLEXBEN_ENVIRONMENT": "test",
        "FLEXBEN_DATABASE_URL": fresh_db.url,
        "FLEXBEN_SECRET_KEY": TEST_SECRET_KEY,
        "FLEXBEN_JOB_RUNNER": "manual",
        "FLEXBEN_BODY_READ_SECONDS": "1.5",
        "FLEXBEN_MAX_CONCURRENT_REQUESTS": "1",
        "FLEXBEN_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "app.main:app_factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("uvicorn did not start")
        yield Server(url, port, process)
    finally:
        process.terminate()
        process.wait(timeout=15)


def raw_request(port: int, head: str, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.encode("latin-1") + b"\r\n" + body)
    return sock


def status_of(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def test_an_anonymous_18_mb_body_is_refused_before_it_is_read(server: Server) -> None:
    body = b'{"name": "' + b"x" * (18 * MIB) + b'"}'
    before = server.rss_kib()
    for extra in ("", ""):  # twice: nothing accumulates either
        refused = httpx.post(
            f"{server.url}/api/v1/periods{extra}",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert refused.status_code == 401, refused.text
    chunked = httpx.post(
        f"{server.url}/api/v1/periods",
        content=iter([body[i : i + MIB] for i in range(0, len(body), MIB)]),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert chunked.status_code == 401
    grown_mib = (server.rss_kib("VmHWM") - before) / 1024
    assert grown_mib < 24, f"the server grew by {grown_mib:.0f} MiB"


def test_an_authenticated_json_body_is_held_far_below_the_import_limit(
    server: Server, fresh_db: FreshDatabase
) -> None:
    headers = {**fresh_db.auth("hr_admin"), "Content-Type": "application/json"}
    body = b'{"code": "G", "name": "' + b"x" * (2 * MIB) + b'"}'
    declared = httpx.post(f"{server.url}/api/v1/peer-groups", content=body, headers=headers)
    assert declared.status_code == 413
    assert "FLEXBEN_MAX_JSON_BODY_BYTES" in declared.json()["detail"]
    streamed = httpx.post(
        f"{server.url}/api/v1/peer-groups",
        content=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
        headers=headers,
    )
    assert streamed.status_code == 413, streamed.text


def test_a_trickling_body_gets_408_and_anonymous_callers_never_queue(
    server: Server, fresh_db: FreshDatabase
) -> None:
    token = fresh_db.auth("hr_admin")["Authorization"]
    slow = raw_request(
        server.port,
        "POST /api/v1/peer-groups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: {token}\r\nContent-Length: 100\r\n",
        b'{"code": ',
    )
    time.sleep(0.3)  # the slow request now holds the only concurrency slot
    started = time.monotonic()
    anonymous = httpx.post(f"{server.url}/api/v1/peer-groups", json={}, timeout=10)
    assert anonymous.status_code == 401 and time.monotonic() - started < 1.0
    assert status_of(slow) == 408
    slow.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_serve_with_worker_executes_runs_on_postgresql(
    fresh_db: FreshDatabase, tmp_path: Path
) -> None:
    """`flexben serve --with-worker`: one command, and queued runs get executed."""
    from tests.run_world import build_world, close

    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "FLEXBEN_ENVIRONMENT": "test",
        "FLEXBEN_DATABASE_URL": fresh_db.url,
        "FLEXBEN_SECRET_KEY": TEST_SECRET_KEY,
        "FLEXBEN_JOB_RUNNER": "queue",
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--with-worker"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=30) as client:
            world = build_world(_Live(client, fresh_db))  # type: ignore[arg-type]
            close(world)
            started = client.post(
                f"/api/v1/periods/{world.period_id}/runs", json={}, headers=world.admin
            )
            assert started.status_code == 202, started.text
            deadline = time.monotonic() + 180  # a busy shared machine
            status = "queued"
            while status in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.5)
                status = client.get(started.headers["Location"], headers=world.admin).json()[
                    "status"
                ]
            assert status == "succeeded"
    finally:
        process.terminate()
        process.wait(timeout=30)


class _Live:
    """An httpx client with the `auth` helper build_world uses."""

    def __init__(self, client: httpx.Client, db: FreshDatabase) -> None:
        self._client, self.db = client, db

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    def auth(self, *roles: str, employee: str | None = None) -> dict[str, str]:
        return self.db.auth(*roles, employee=employee)
