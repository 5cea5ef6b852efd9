"""What the service benchmarks share: a throw-away migrated database (PostgreSQL or
SQLite), a free local port, and a real `flexben serve` process that is ready (/healthz).

No `main()` here: `python -m bench` runs every module of the package that defines one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

from app.migrate import upgrade_to_head

BENCH_ADMIN_URL = os.environ.get(
    "FLEXBEN_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REPO = Path(__file__).resolve().parent.parent


@contextmanager
def postgres_database(label: str, admin_url: str = BENCH_ADMIN_URL) -> Iterator[str | None]:
    """A migrated throw-away PostgreSQL database's URL, dropped on exit; None (and a line
    saying so) when the server is unreachable."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"flexben_bench_{label}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        shown = make_url(admin_url).render_as_string(hide_password=True)
        print(f"skipped: PostgreSQL unreachable at {shown} ({type(error).__name__})")
        admin.dispose()
        yield None
        return
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A migrated SQLite database in a temporary directory, removed on exit."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        upgrade_to_head(url)
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    base: str  # e.g. http://127.0.0.1:8123
    pid: int


@contextmanager
def running_server(
    url: str, *, extra_env: Mapping[str, str] | None = None, timeout: float = 60
) -> Iterator[Server]:
    """`flexben serve` on a free port against `url` (development settings, warnings only,
    no rate limit: the benchmarks measure the service, not its rate limit), once /healthz
    answers 200; terminated on exit."""
    port = free_port()
    env = {
        **os.environ,
        "FLEXBEN_DATABASE_URL": url,
        "FLEXBEN_ENVIRONMENT": "development",
        "FLEXBEN_LOG_LEVEL": "warning",
        "FLEXBEN_RATE_LIMIT_PER_MINUTE": "0",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=REPO, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, timeout)
        yield Server(base=base, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(base: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not start within {timeout:.0f} s")
