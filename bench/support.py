"""What the benchmarks share: a throw-away migrated database (PostgreSQL or SQLite), a free
local port, a real `flexben serve` process that is ready (/healthz), a real `flexben
worker`, `flexben solve` in a child process, and the resident memory of process trees.

No `main()` here: `python -m bench` runs every module of the package that defines one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@contextmanager
def running_worker(url: str, *, extra_env: Mapping[str, str] | None = None) -> Iterator[int]:
    """`flexben worker` on `url` (the procrastinate queue); yields its pid. On exit it is
    asked to stop and given time: a worker finishes the job it holds before it stops."""
    env = {
        **os.environ,
        "FLEXBEN_DATABASE_URL": url,
        "FLEXBEN_JOB_RUNNER": "queue",
        "FLEXBEN_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=REPO, env=env)
    try:
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants (0 for processes already gone)."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


@dataclass
class PeakRss:
    """The largest `tree_rss` of each named process tree, sampled every `interval` s by a
    background thread while the `sampling()` block runs."""

    roots: dict[str, int]
    interval: float = 0.1
    peaks: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def sampling(self) -> Iterator[PeakRss]:
        stop = threading.Event()
        thread = threading.Thread(target=self._sample, args=(stop,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def _sample(self, stop: threading.Event) -> None:
        while not stop.is_set():
            for name, pid in self.roots.items():
                self.peaks[name] = max(self.peaks.get(name, 0), tree_rss(pid))
            stop.wait(self.interval)


def flexben_command() -> str:
    """The `flexben` console script of this interpreter's environment."""
    return str(Path(sys.executable).parent / "flexben")


def solve_in_child(
    problem: Path,
    time_limit: float,
    processes: int,
    *,
    options: Sequence[str] = (),
    label: str = "",
    also_measured: Sequence[int] = (),
) -> dict[str, Any]:
    """One `flexben solve FILE` child, as a user runs it (loading and writing included):
    wall seconds, peak MiB of its process tree (plus the trees of `also_measured`, e.g. a
    Ray node's raylet, whose workers do the solve's work), status, objective, bound and
    quality. `options`: more `flexben solve` options; `label`: in the output's name."""
    output = problem.with_suffix(f".{time_limit:g}{label}.out.json")
    command = [flexben_command(), "solve", str(problem), "--time-limit", str(time_limit)]
    command += ["--processes", str(processes), "-o", str(output), *options]
    started = time.monotonic()
    # Far past its time limit a solve is stuck (seen: a multiprocessing pool that never
    # finished terminating), not slow: it is killed and reported, not waited for forever.
    give_up = started + 4 * time_limit + 120
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_rss(child.pid) + sum(tree_rss(pid) for pid in also_measured))
        if time.monotonic() > give_up:
            child.kill()  # its forkserver and workers exit once their parent is gone
            child.wait()
            break
        time.sleep(0.1)
    wall = time.monotonic() - started
    figures: dict[str, Any] = {"wall_s": wall, "peak_mib": peak / 2**20, "exit": child.returncode}
    if child.returncode == -signal.SIGKILL:
        figures["status"] = f"killed: no result after {wall:.0f} s"
        return figures
    if child.returncode != 0 or not output.exists():
        stderr = child.stderr.read().decode() if child.stderr else ""
        figures["status"] = f"failed: {stderr.strip().splitlines()[-1:]}"
        return figures
    result = json.loads(output.read_text(encoding="utf-8"))
    objective, bound = result.get("objective"), result.get("bound")
    figures |= {
        "status": f"{result['status']}/{result['solver']['stopped_by']}",
        "objective": objective,
        "bound": bound,
        "quality": objective / bound if objective is not None and bound else None,
    }
    return figures
