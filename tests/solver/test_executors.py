"""The executor seam: one pool per solve, late tasks cancelled, the same allocation with
one or two processes (work limits decide, not the clock)."""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest

from solver.api import solve_problem
from solver.executors import (
    ExecutorError,
    InProcessExecutor,
    ProcessExecutor,
    default_processes,
    largest_first,
    open_executor,
)
from solver.generate import generate
from solver.load import load_problem
from solver.report import to_json
from solver.types import SolveOptions


def worker_pid(_: int) -> int:
    return os.getpid()


def sleep_then_echo(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_a_process_executor_reuses_one_pool_for_every_map() -> None:
    with ProcessExecutor(2) as executor:
        first = set(executor.map(worker_pid, list(range(8)), time.monotonic() + 60))
        second = set(executor.map(worker_pid, list(range(8)), time.monotonic() + 60))
    assert os.getpid() not in first
    assert 1 <= len(first) <= 2 and second <= first


def test_late_tasks_come_back_as_none_and_the_next_map_still_runs() -> None:
    with ProcessExecutor(1) as executor:
        results = executor.map(sleep_then_echo, [0.0, 30.0], time.monotonic() + 3)
        assert results == [0.0, None]
        assert executor.map(sleep_then_echo, [0.0], time.monotonic() + 30) == [0.0]


def sleep_with_payload(task: tuple[float, bytes]) -> int:
    time.sleep(task[0])
    return len(task[1])


def die_or_echo(value: int) -> int:
    if value < 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return value


def test_late_tasks_with_large_payloads_never_hang_the_solve() -> None:
    # Many more tasks than workers, each larger than a pipe's buffer: the backlog that made
    # multiprocessing.Pool.terminate() hang for good (CPython #78178, #96995).
    payload = b"x" * (8 * 2**20)
    tasks = [(0.0, payload)] + [(30.0, payload)] * 12
    with ProcessExecutor(2) as executor:
        started = time.monotonic()
        results = executor.map(sleep_with_payload, tasks, time.monotonic() + 3)
        assert time.monotonic() - started < 20
        assert results == [len(payload)] + [None] * 12
        assert executor.map(sleep_with_payload, [(0.0, b"ok")], time.monotonic() + 60) == [2]


def test_a_worker_that_dies_loses_its_tasks_like_late_ones() -> None:
    with ProcessExecutor(1) as executor:
        started = time.monotonic()
        assert executor.map(die_or_echo, [1, -1], time.monotonic() + 60)[1] is None
        assert time.monotonic() - started < 30  # noticed, not waited out to the deadline
        assert executor.map(die_or_echo, [2, 3], time.monotonic() + 60) == [2, 3]


def test_in_process_skips_what_the_deadline_passed() -> None:
    executor = InProcessExecutor()
    assert executor.map(sleep_then_echo, [0.0], time.monotonic() - 1) == [None]
    assert executor.put("x").get() == "x"


class RecordingExecutor(InProcessExecutor):
    """In-process, remembering the order the tasks were handed over in."""

    def __init__(self) -> None:
        self.handed: list[object] = []

    def map(self, fn, tasks, deadline):  # type: ignore[no-untyped-def]
        self.handed.extend(tasks)
        return super().map(fn, tasks, deadline)


def test_largest_first_hands_the_largest_over_first_and_answers_in_the_tasks_order() -> None:
    executor = RecordingExecutor()
    tasks = ["a", "bb", "c", "dddd", "ee"]
    results = largest_first(executor, str.upper, tasks, time.monotonic() + 60, [1, 2, 1, 4, 2])
    assert executor.handed == ["dddd", "bb", "ee", "a", "c"]  # ties keep their order
    assert results == ["A", "BB", "C", "DDDD", "EE"]


def test_largest_first_keeps_a_late_task_in_its_own_place() -> None:
    with ProcessExecutor(2) as executor:  # the long task on one worker, the rest on the other
        results = largest_first(
            executor, sleep_then_echo, [0.0, 30.0, 0.0], time.monotonic() + 5, [1, 3, 2]
        )
    assert results == [0.0, None, 0.0]


def test_a_process_executor_starts_no_pool_for_a_deadline_already_passed() -> None:
    with ProcessExecutor(2) as executor:
        first = executor.map(worker_pid, [0, 1], time.monotonic() + 60)
        assert executor.map(worker_pid, [2, 3], time.monotonic() - 1) == [None, None]
        again = executor.map(worker_pid, [4, 5], time.monotonic() + 60)
    assert set(again) & set(first)  # the same pool: a passed deadline killed no worker


def test_tiny_problems_run_in_process_whatever_was_asked() -> None:
    tiny = open_executor("ray", processes=4, ray_address="127.0.0.1:1", persons=10)
    assert isinstance(tiny, InProcessExecutor)
    assert default_processes() >= 1


# Far above what the solve needs (~20 s): on a loaded shared machine the stages' clock
# backstops (shares of the limit) must not be what ends it.
LIMIT_S = 1200


def test_one_and_two_processes_give_byte_identical_results() -> None:
    # 700 persons: the LP relaxation, the group heuristics and the node-limited group MILPs
    # all run on the executor (no polish above 600 persons).
    problem = load_problem(generate(employees=700, seed=13, groups=8))
    documents = [
        to_json(
            solve_problem(problem, SolveOptions(time_limit_s=300, processes=n), reproducible=True)
        )
        for n in (1, 2)
    ]
    for document in documents:  # else the clock, not the work limits, decided (a busy machine)
        assert '"stopped_by":"time_limit"' not in document  # to_json is compact
        assert "rounds stopped after the allocation's time" not in document
    assert documents[0] == documents[1]


def test_an_unreachable_ray_address_fails_at_once_with_a_clear_error() -> None:
    from solver.ray_executor import check_reachable

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again below: nothing listens there
    started = time.monotonic()
    with pytest.raises(ExecutorError, match=rf"cannot reach the Ray cluster at 127.0.0.1:{port}"):
        check_reachable(f"127.0.0.1:{port}")
    assert time.monotonic() - started < 5
    with pytest.raises(ExecutorError, match="expected HOST:PORT"):
        check_reachable("head-node")
    check_reachable(None)  # Ray's own discovery: left to Ray
    check_reachable("ray://head:10001")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        check_reachable(f"127.0.0.1:{listening.getsockname()[1]}")
