"""Where a solve's parallel work runs: one `Executor` seam for every piece of it.

The engine hands each piece of work (a peer group's heuristic or MILP, the LP relaxation,
the monolithic polish) to `Executor.map(fn, tasks, deadline)`: `fn` is a module-level pure
function of a picklable task, so the result never depends on where it ran. A task not done
by the deadline is cancelled and comes back as None; work limits, never the clock, decide a
result that did come back, so every executor and every number of processes or nodes gives
byte-identical allocations.

- `InProcessExecutor`: runs tasks one after the other here (tiny problems, tests); it cannot
  stop a running task, so it only skips tasks whose deadline has passed.
- `ProcessExecutor`: one forkserver pool of N worker processes for the whole solve; a late
  task is stopped by killing the pool's workers (a fresh pool serves the next `map`). It is
  a `concurrent.futures` pool, which feeds workers only as they free up and survives killed
  workers: `multiprocessing.Pool.terminate()` can hang for good while its task thread is
  blocked writing a large task to workers that are gone (CPython #78178, #96995).
- `RayExecutor` (optional extra `ray`): tasks on a Ray cluster; data every round needs is put
  in the object store once per solve (`put`), `ray.wait` against the deadline, late tasks
  cancelled, failed tasks retried by Ray (a node lost mid-solve).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from solver.types import ExecutorName

T = TypeVar("T")
R = TypeVar("R")

IN_PROCESS_PERSONS = 60  # tiny problems: a worker process costs more than it saves
RAY_TASK_RETRIES = 3  # a task whose node died is run again elsewhere, this many times


class ExecutorError(RuntimeError):
    """The executor cannot run the solve (no Ray, unreachable cluster, version mismatch)."""


def default_processes() -> int:
    """The machine's cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Stored(Generic[T]):
    """Data put once per solve and shared by many tasks: the value itself, or a Ray ref."""

    value: T | None = None
    ref: Any = None

    def get(self) -> T:
        if self.ref is None:
            assert self.value is not None
            return self.value
        import ray

        value: T = ray.get(self.ref)
        return value


class Executor(Protocol):
    name: str
    parallelism: int

    def put(self, value: T) -> Stored[T]:
        """`value` for many tasks of this solve (sent to the workers at most once)."""
        ...

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], deadline: float) -> list[R | None]:
        """`fn(task)` for every task, in order; None where the deadline came first."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...


class Closing:
    """`with` support for executors: leaving the block closes the executor."""

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class InProcessExecutor(Closing):
    name = "in-process"
    parallelism = 1

    def put(self, value: T) -> Stored[T]:
        return Stored(value)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], deadline: float) -> list[R | None]:
        results: list[R | None] = []
        for task in tasks:
            results.append(fn(task) if time.monotonic() < deadline else None)
        return results


class ProcessExecutor(Closing):
    """One pool of `processes` workers, started on first use, reused for the whole solve."""

    name = "process"

    def __init__(self, processes: int) -> None:
        self.parallelism = max(1, processes)
        self._pool: ProcessPoolExecutor | None = None

    def put(self, value: T) -> Stored[T]:
        return Stored(value)  # pickled with each task: cheap next to the work it feeds

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["solver.decompose"])
            self._pool = ProcessPoolExecutor(max_workers=self.parallelism, mp_context=context)
        return self._pool

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], deadline: float) -> list[R | None]:
        if not tasks:
            return []
        if time.monotonic() >= deadline:  # nothing could finish: do not start (or kill) a pool
            return [None] * len(tasks)
        pool = self._started()
        futures: list[Future[R]] = [pool.submit(fn, task) for task in tasks]
        done, late = wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        # A worker that died (killed, out of memory) loses its tasks like a late one does.
        lost = {f for f in done if isinstance(f.exception(), BrokenProcessPool)}
        if late or lost:  # a running task cannot be cancelled alone: kill, start afresh
            self._kill()
        return [f.result() if f in done and f not in lost else None for f in futures]

    def _kill(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # The pool notices its dead workers, fails what was pending and winds down.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


def largest_first(
    executor: Executor,
    fn: Callable[[T], R],
    tasks: Sequence[T],
    deadline: float,
    sizes: Sequence[int],
) -> list[R | None]:
    """`executor.map` with the tasks handed over largest first (`sizes[i]`: task i's work);
    the results come back in the tasks' order. A long task started last keeps one worker
    busy while the others idle; started first, the short ones fill in around it (the
    longest-processing-time rule). Ties keep the tasks' order; every task's result is the
    same whatever the order, so only the wall time changes."""
    order = sorted(range(len(tasks)), key=lambda i: -sizes[i])
    results: list[R | None] = [None] * len(tasks)
    for index, result in zip(
        order, executor.map(fn, [tasks[i] for i in order], deadline), strict=True
    ):
        results[index] = result
    return results


def open_executor(
    name: ExecutorName, *, processes: int, ray_address: str | None, persons: int
) -> Executor:
    """The executor for one solve (tiny problems in-process whatever was asked)."""
    if persons <= IN_PROCESS_PERSONS:
        return InProcessExecutor()
    if name == "ray":
        from solver.ray_executor import RayExecutor

        return RayExecutor(ray_address)
    return ProcessExecutor(processes)  # even one process: a late task can be stopped
