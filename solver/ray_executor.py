"""The `ray` executor: a solve's per-group work as tasks on a Ray cluster (extra `ray`).

Connects to a running cluster (`address`, e.g. "127.0.0.1:6379"; None: Ray's "auto", i.e.
RAY_ADDRESS or a cluster started on this machine) — never `local_mode`. On connecting, every
node with CPUs runs a version check: the same flexben and highspy as this driver, or the
solve is refused (different versions could give different allocations). Tasks are retried by
Ray when their worker or node dies; `map` waits with `ray.wait` until the deadline and
cancels what is late.
"""

from __future__ import annotations

import importlib.metadata
import logging
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from solver.executors import RAY_TASK_RETRIES, Closing, ExecutorError, Stored

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT_S = 60.0
# Ray itself retries an unreachable GCS for many minutes; a solve says so at once instead.
REACH_TIMEOUT_S = 5.0


def check_reachable(address: str | None, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """ExecutorError unless a `host:port` address accepts a TCP connection (other forms,
    None/"auto"/"ray://...", are left to Ray)."""
    if not address or "://" in address or address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"Ray address {address!r}: expected HOST:PORT, e.g. 10.0.0.5:6379")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as error:
        raise ExecutorError(
            f"cannot reach the Ray cluster at {address}: {error.strerror or error}"
            " (is `ray start --head` running there, and the port open?)"
        ) from None


def versions() -> dict[str, str]:
    """The versions that decide a result: flexben and highspy (empty when absent)."""
    found: dict[str, str] = {}
    for package in ("flexben", "highspy"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = ""
    return found


def _call(fn: Callable[[T], R], task: T) -> R:
    return fn(task)


class RayExecutor(Closing):
    name = "ray"

    def __init__(self, address: str | None) -> None:
        try:
            import ray
        except ImportError:
            raise ExecutorError(
                "the ray executor needs the optional extra: pip install 'flexben[ray]'"
            ) from None
        self._ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            check_reachable(address)
            try:
                ray.init(
                    address=address or "auto",
                    logging_level=logging.WARNING,
                    log_to_driver=False,
                    configure_logging=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise ExecutorError(
                    f"cannot connect to the Ray cluster at {address}: {error}"
                ) from None
        self._task: Any = ray.remote(num_cpus=1, max_retries=RAY_TASK_RETRIES)(_call)
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        self.parallelism = max(1, int(resources.get("CPU", 1)))
        self._check_versions()

    def _check_versions(self) -> None:
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        probe = ray.remote(num_cpus=0)(versions)
        nodes = [n for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU", 0) > 0]
        if not nodes:
            raise ExecutorError("the Ray cluster has no node with CPUs")
        refs = [
            probe.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ).remote()
            for n in nodes
        ]
        ready, late = ray.wait(refs, num_returns=len(refs), timeout=CONNECT_TIMEOUT_S)
        for ref in late:
            ray.cancel(ref, force=True)
        if late:
            raise ExecutorError(f"{len(late)} Ray node(s) did not answer the version check")
        mine = versions()
        for node, found in zip(nodes, ray.get(ready), strict=True):
            if found != mine:
                raise ExecutorError(
                    f"Ray node {node['NodeManagerAddress']} runs {found}, this driver {mine}:"
                    " every node needs the same flexben and highspy"
                )

    def put(self, value: T) -> Stored[T]:
        return Stored(ref=self._ray.put(value))

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], deadline: float) -> list[R | None]:
        if time.monotonic() >= deadline:  # nothing could finish: submit nothing
            return [None] * len(tasks)
        ray = self._ray
        refs = [self._task.remote(fn, task) for task in tasks]
        pending: list[Any] = list(refs)
        while pending and time.monotonic() < deadline:
            _, pending = ray.wait(
                pending, num_returns=len(pending), timeout=max(0.0, deadline - time.monotonic())
            )
        late = set(pending)
        for ref in pending:
            ray.cancel(ref, force=True)
        results: list[R | None] = []
        for ref in refs:
            if ref in late:
                results.append(None)
                continue
            try:
                results.append(ray.get(ref))
            except ray.exceptions.RayTaskError as error:
                raise error.as_instanceof_cause() from None
            except ray.exceptions.RayError as error:  # retries exhausted (nodes lost)
                raise ExecutorError(
                    f"a Ray task failed after {RAY_TASK_RETRIES} retries: {error}"
                ) from None
        return results

    def close(self) -> None:
        if self._owned:
            self._ray.shutdown()
