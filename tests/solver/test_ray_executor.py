"""The `ray` executor on a real three-node Ray cluster on this machine (loopback only): a
head without CPUs and two one-CPU nodes. The allocation is the process executor's, also
when a node is killed mid-solve (its tasks are retried on the other node)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from solver.engine import solve
from solver.generate import generate
from solver.load import load_problem
from solver.types import Problem, SolveOptions, SolveOutcome

pytestmark = [pytest.mark.ray, pytest.mark.slow]

EMPLOYEES = 3000
TIME_LIMIT_S = 300.0  # generous: work limits, not the clock, must end these solves


def _cluster_module() -> Any:
    # tests/conftest.py sets RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before any import of Ray;
    # this catches a Ray imported earlier by another route (it reads the variable once).
    assert os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER") == "0"
    cluster_utils = pytest.importorskip("ray.cluster_utils", reason="the ray extra is missing")
    from ray._private import ray_constants

    assert not ray_constants.ENABLE_RAY_CLUSTER, "Ray would leave loopback"
    return cluster_utils


def _start_cluster() -> Any:
    cluster = _cluster_module().Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False},
    )
    for _ in range(2):
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
    return cluster


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from ray._private.ray_constants import RAY_WORKER_NICENESS

    # Ray's workers run at niceness 15 unless told otherwise (the raylets read this when
    # they start): beside the other pytest worker they starved, and the clock, not the
    # work limits, ended the solve (deploy/compose.ray.yaml sets the same).
    monkeypatch.setenv(RAY_WORKER_NICENESS, "0")
    started = _start_cluster()
    try:
        yield started
    finally:
        started.shutdown()  # stops the processes this cluster started, by pid


@pytest.fixture(scope="module")
def problem() -> Problem:
    return load_problem(generate(employees=EMPLOYEES, seed=5, groups=12))


@pytest.fixture(scope="module")
def by_processes(problem: Problem) -> SolveOutcome:
    outcome = solve(problem, SolveOptions(time_limit_s=TIME_LIMIT_S, processes=2))
    assert outcome.status in ("optimal", "feasible")
    assert outcome.solver.stopped_by != "time_limit"
    return outcome


def _on_ray(problem: Problem, address: str) -> SolveOutcome:
    options = SolveOptions(time_limit_s=TIME_LIMIT_S, executor="ray", ray_address=address)
    return solve(problem, options)


def test_a_ray_cluster_gives_the_process_executors_allocation(
    cluster: Any, problem: Problem, by_processes: SolveOutcome
) -> None:
    outcome = _on_ray(problem, cluster.address)
    assert outcome.status == by_processes.status, outcome.notes
    assert outcome.solver.stopped_by != "time_limit", outcome.notes
    assert outcome.assignment == by_processes.assignment
    assert outcome.objective == by_processes.objective
    # The bound is the same unless the clock cut the Lagrangian dual's rounds on either
    # executor (its closing note then says how many groups got their MILP: "N of M").
    assert outcome.bound is not None and by_processes.bound is not None
    assert outcome.bound >= outcome.objective
    if not (_bound_cut(outcome) or _bound_cut(by_processes)):
        assert outcome.bound == by_processes.bound


def _bound_cut(outcome: SolveOutcome) -> bool:
    return " of " in outcome.notes[-1] and outcome.notes[-1].startswith("bound: Lagrangian dual")


def _raylet_pid(node: Any) -> int:
    (raylet,) = node.all_processes["raylet"]
    pid: int = raylet.process.pid
    return pid


def test_a_node_killed_mid_solve_is_retried_to_the_same_allocation(
    cluster: Any, problem: Problem, by_processes: SolveOutcome
) -> None:
    victim = next(node for node in cluster.worker_nodes)
    pid = _raylet_pid(victim)
    killed = threading.Event()

    def kill_when_busy() -> None:
        # Into the group round: the LP relaxation and the heuristics take several seconds.
        time.sleep(4.0)
        os.kill(pid, signal.SIGKILL)
        killed.set()

    killer = threading.Thread(target=kill_when_busy, daemon=True)
    started = time.monotonic()
    killer.start()
    outcome = _on_ray(problem, cluster.address)
    killer.join()
    assert killed.is_set() and time.monotonic() - started > 4.0  # killed while solving
    assert outcome.status == by_processes.status, outcome.notes
    assert outcome.solver.stopped_by != "time_limit", outcome.notes
    assert outcome.assignment == by_processes.assignment
    assert outcome.objective == by_processes.objective
