"""A private PostgreSQL 15 cluster for fault drills: its own data directory under /tmp and
its own loopback port, so a drill may stop and start it without touching the shared server
other test processes use. Run as the `postgres` OS user when we are root (initdb refuses
root); stopped only through its own data directory, or its own postmaster pid."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.app.test_limits import free_port

PG_BIN = Path(os.environ.get("FLEXBEN_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def missing_binaries() -> str | None:
    """None when the cluster can be made here, else why not."""
    absent = [name for name in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / name).exists()]
    return f"no PostgreSQL binaries {absent} in {PG_BIN}" if absent else None


class ClusterError(RuntimeError):
    pass


class PrivateCluster:
    """initdb'd on creation; `start` and `stop` run `pg_ctl` on its data directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self._pg(["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync"])

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        # fsync off: a drill's data need not survive a power cut, and it is faster.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.directory} -c fsync=off"
        )
        log = self.directory / "server.log"
        self._pg(["pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        """`immediate`: every backend dies at once, as when the server crashes."""
        self._pg(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"])

    def kill_if_running(self) -> None:
        """Last resort: SIGKILL our own postmaster (its pid from our data directory)."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().splitlines()[0])
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _pg(self, command: list[str]) -> None:
        binary = str(PG_BIN / command[0])
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*as_postgres, binary, *command[1:]],
            check=False,  # a failure raises ClusterError with the command's own words
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise ClusterError(f"{command[0]} exited {done.returncode}: {done.stderr.strip()}")


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started private cluster, stopped (then its directory removed) on exit."""
    directory = Path(tempfile.mkdtemp(prefix="flexben-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, user="postgres")
    try:
        cluster = PrivateCluster(directory)
        try:
            cluster.start()
            yield cluster
        finally:
            try:
                cluster.stop("fast")
            except (ClusterError, subprocess.SubprocessError):
                cluster.kill_if_running()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
