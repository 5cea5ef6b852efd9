"""The service around one large run, end to end, against the solver alone.

    python -m bench run_overhead [--employees 10000] [--time-limit 60]

On a throw-away PostgreSQL database (FLEXBEN_BENCH_DATABASE_URL), with a real `flexben
serve` (uvicorn) and a real `flexben worker` (FLEXBEN_SOLVER_PROCESSES=2) as child
processes:

1. import: a generated organisation's employees through POST /employees/import (CSV,
   timed); its peer groups before and the catalogue, a closed period and the preferences
   after by bulk insert (bench/seed.py: setup, not the service's work);
2. POST /periods/{id}/runs (timed: it only queues; the job builds the problem), then
   GET /runs/{id} until the run has finished: queue wait and job time from the run's own
   timestamps; its lines counted in the database;
3. approval by a second person (four-eyes), then the payroll CSV streamed and counted;
4. `flexben solve` on the run's stored problem (GET /runs/{id}/problem) with the same time
   limit and processes, in a child process, once the service has stopped.

Service overhead = run end to end (POST sent to the run's finished_at) - solver alone:
everything the service adds to a solve (queueing, building the problem from the tables,
writing the lines); the target is under 10% of the solver alone. The solver stops at a
wall-clock limit or on its own, so its time varies from solve to solve: compare the
solver's own seconds too. Peak memory is the largest resident size of the API's and of
the worker's process tree (the worker's includes its solver processes), sampled every
0.1 s. The machine may be shared: the load average is printed at start and end.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.allocations.models import RunLine
from app.allocations.seams import run_problem
from app.auth.service import create_api_key
from app.db import make_engine, make_session_factory
from app.periods.models import Period
from bench.seed import employees_csv, seed_peer_groups, seed_problem
from bench.support import PeakRss, postgres_database, running_server, running_worker, solve_in_child
from solver.generate import generate

SEED = 1
PROCESSES = 2
# The server and worker run with this pepper (any environment but development refuses the
# default one; the keys made here must match it).
SECRET = "flexben-bench-run-overhead-secret-key-0123456789"
POLL_S = 0.25  # GET /runs/{id} while it runs; the end-to-end time uses finished_at instead
TARGET = 0.10  # service overhead under 10% of the solver alone
MIB = 2**20


@dataclass(frozen=True)
class Options:
    employees: int
    time_limit: float


@dataclass(frozen=True)
class Keys:
    """API keys of three different persons: approval compares persons (four-eyes)."""

    hr: str
    approver: str
    payroll: str


@dataclass
class Figures:
    """What the table prints; seconds unless named otherwise."""

    seed_s: float = 0.0
    import_s: float = 0.0
    post_s: float = 0.0
    queue_wait_s: float = 0.0
    job_s: float = 0.0
    end_to_end_s: float = 0.0
    solver_s: float = 0.0
    solver_status: str = ""
    build_s: float = 0.0
    run_status: str = ""
    lines: int = 0
    approve_s: float = 0.0
    payroll_s: float = 0.0
    payroll_rows: int = 0
    alone: dict[str, Any] | None = None
    peaks: dict[str, int] | None = None


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench run_overhead", description=__doc__)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds, both solves")
    args = parser.parse_args(argv)
    return Options(employees=args.employees, time_limit=args.time_limit)


# ---------------------------------------------------------------- setup


def prepare(url: str, doc: dict[str, Any]) -> Keys:
    """The peer groups (the import refers to them) and the API keys, committed."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        seed_peer_groups(session, doc)
        keys = Keys(
            hr=_key(session, "hr_admin"),
            approver=_key(session, "approver"),
            payroll=_key(session, "payroll"),
        )
        session.commit()
    engine.dispose()
    return keys


def _key(session: Session, role: str) -> str:
    """A key of a new person (a key bound to no employee, made without an owner)."""
    return create_api_key(session, name=f"bench {role}", roles=[role], pepper=SECRET).key


def seed_the_rest(url: str, doc: dict[str, Any]) -> str:
    """Catalogue, closed period and preferences by bulk insert (the employees imported
    through the API are kept); returns the period id."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        period_id = seed_problem(session, doc)
    engine.dispose()
    return period_id


def count_lines(url: str, run_id: str) -> int:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        lines = session.scalar(select(func.count()).where(RunLine.run_id == run_id)) or 0
    engine.dispose()
    return lines


def time_problem_build(url: str, period_id: str) -> float:
    """The job's first step again, in this process once the service has stopped: the
    period's problem built from the tables (the job does not time its steps)."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        period = session.get_one(Period, period_id)
        started = time.monotonic()
        run_problem(session, period, None)
        seconds = time.monotonic() - started
    engine.dispose()
    return seconds


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# ---------------------------------------------------------------- through the API


def import_employees(client: httpx.Client, key: str, doc: dict[str, Any]) -> float:
    body = employees_csv(doc)
    started = time.monotonic()
    response = client.post(
        "/employees/import", content=body, headers={**_auth(key), "Content-Type": "text/csv"}
    )
    response.raise_for_status()
    seconds = time.monotonic() - started
    created = response.json()["created"]
    if created != len(doc["employees"]):
        raise RuntimeError(f"the import created {created} of {len(doc['employees'])} employees")
    return seconds


def run_once(
    client: httpx.Client, key: str, period_id: str, time_limit: float, figures: Figures
) -> str:
    """Start a run, wait until it has finished; its times into `figures`; its id."""
    sent = datetime.now(UTC)
    started = time.monotonic()
    response = client.post(
        f"/periods/{period_id}/runs", json={"time_limit_s": time_limit}, headers=_auth(key)
    )
    response.raise_for_status()
    figures.post_s = time.monotonic() - started
    run_id: str = response.json()["id"]
    run = response.json()
    while run["status"] in ("queued", "running"):
        time.sleep(POLL_S)
        polled = client.get(f"/runs/{run_id}", headers=_auth(key))
        polled.raise_for_status()
        run = polled.json()
    # The run's own timestamps, not the polls: they would add up to POLL_S.
    created, begun, finished = (
        datetime.fromisoformat(run[name]) for name in ("created_at", "started_at", "finished_at")
    )
    figures.run_status = run["status"] if run["status"] == "succeeded" else str(run["error"])
    figures.queue_wait_s = (begun - created).total_seconds()
    figures.job_s = (finished - begun).total_seconds()
    figures.end_to_end_s = (finished - sent).total_seconds()
    solver = run.get("solver") or {}
    figures.solver_s = solver.get("seconds") or 0.0
    figures.solver_status = str(solver.get("status"))
    return run_id


def approve(client: httpx.Client, key: str, run_id: str) -> float:
    started = time.monotonic()
    client.post(f"/runs/{run_id}/approve", headers=_auth(key)).raise_for_status()
    return time.monotonic() - started


def stream_payroll_csv(client: httpx.Client, key: str, period_id: str) -> tuple[float, int]:
    """Seconds to read the whole streamed CSV, and its data rows (CRLF-terminated records;
    no cell of these lines holds a line break)."""
    started = time.monotonic()
    newlines = 0
    with client.stream("GET", f"/periods/{period_id}/payroll/lines.csv", headers=_auth(key)) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            newlines += chunk.count(b"\n")
    return time.monotonic() - started, newlines - 1  # the header row


def stored_problem(client: httpx.Client, key: str, run_id: str, folder: Path) -> Path:
    response = client.get(f"/runs/{run_id}/problem", headers=_auth(key))
    response.raise_for_status()
    path = folder / "problem.json"
    path.write_bytes(response.content)
    return path


# ---------------------------------------------------------------- the measurement


def measure(url: str, options: Options, folder: Path) -> Figures:
    figures = Figures()
    doc = generate(employees=options.employees, seed=SEED)
    keys = prepare(url, doc)
    env = {"FLEXBEN_SECRET_KEY": SECRET, "FLEXBEN_JOB_RUNNER": "queue"}
    worker_env = {**env, "FLEXBEN_SOLVER_PROCESSES": str(PROCESSES)}
    with (
        running_worker(url, extra_env=worker_env) as worker_pid,
        running_server(url, extra_env=env) as server,
        httpx.Client(base_url=f"{server.base}/api/v1", timeout=600) as client,
    ):
        memory = PeakRss({"api": server.pid, "worker": worker_pid})
        with memory.sampling():
            figures.import_s = import_employees(client, keys.hr, doc)
            print(f"imported {options.employees:,} employees", flush=True)
            started = time.monotonic()
            period_id = seed_the_rest(url, doc)
            figures.seed_s = time.monotonic() - started
            run_id = run_once(client, keys.hr, period_id, options.time_limit, figures)
            print(f"run {figures.run_status} in {figures.end_to_end_s:.1f} s", flush=True)
            figures.lines = count_lines(url, run_id)
            figures.approve_s = approve(client, keys.approver, run_id)
            figures.payroll_s, figures.payroll_rows = stream_payroll_csv(
                client, keys.payroll, period_id
            )
        figures.peaks = memory.peaks
        problem = stored_problem(client, keys.hr, run_id, folder)
    # Alone once the service has stopped, so neither slows the other.
    figures.build_s = time_problem_build(url, period_id)
    figures.alone = solve_in_child(problem, options.time_limit, PROCESSES)
    return figures


def report(options: Options, figures: Figures) -> None:
    alone = figures.alone or {}
    # A solve that failed or was killed has no time to compare with.
    alone_s = alone.get("wall_s", 0.0) if alone.get("exit") == 0 else 0.0
    overhead = figures.end_to_end_s - alone_s if alone_s else float("nan")
    share = overhead / alone_s if alone_s else float("nan")
    # The same figure against the job's own solve: free of the variance between two solves.
    around = figures.end_to_end_s - figures.solver_s
    around_share = around / figures.solver_s if figures.solver_s else float("nan")
    peaks = figures.peaks or {}
    rate = figures.payroll_rows / figures.payroll_s if figures.payroll_s else 0.0
    rows = [
        ("employees import (HTTP, CSV)", f"{figures.import_s:.2f} s"),
        ("  catalogue, period, preferences (bulk, setup)", f"{figures.seed_s:.2f} s"),
        ("POST /runs", f"{figures.post_s:.3f} s"),
        ("queue wait (created -> started)", f"{figures.queue_wait_s:.2f} s"),
        ("job: problem build + solve + write", f"{figures.job_s:.2f} s"),
        (
            "  solver's own seconds in the job",
            f"{figures.solver_s:.2f} s ({figures.solver_status})",
        ),
        ("  job minus solver's own seconds", f"{figures.job_s - figures.solver_s:.2f} s"),
        ("  problem build alone (in-process, after)", f"{figures.build_s:.2f} s"),
        ("run end to end (POST -> finished)", f"{figures.end_to_end_s:.2f} s"),
        # Not the service's overhead alone: the solver's own seconds leave out its pipeline
        # around the search (loading, explanations), which the solver alone's wall includes.
        ("  minus solver's own seconds (same solve)", f"{around:.2f} s ({around_share:.1%})"),
        ("run status", figures.run_status),
        ("run lines", f"{figures.lines:,} ({figures.lines / options.employees:.1f} a person)"),
        (
            "solver alone (flexben solve, child)",
            f"{alone.get('wall_s', 0.0):.2f} s ({alone.get('status')})",
        ),
        ("  solver alone peak RSS", f"{alone.get('peak_mib', 0):,.0f} MiB"),
        ("service overhead (end to end - alone)", f"{overhead:.2f} s"),
        ("  as % of solver alone (target < 10%)", f"{share:.1%} ({_verdict(share)})"),
        ("approve (POST /runs/{id}/approve)", f"{figures.approve_s:.2f} s"),
        ("payroll CSV (streamed)", f"{figures.payroll_s:.2f} s"),
        ("  rows, rows/s", f"{figures.payroll_rows:,}, {rate:,.0f}/s"),
        ("peak RSS, API process tree", f"{peaks.get('api', 0) / MIB:,.0f} MiB"),
        ("peak RSS, worker process tree", f"{peaks.get('worker', 0) / MIB:,.0f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


def _verdict(share: float) -> str:
    if math.isnan(share):  # no solver-alone time
        return "not measured"
    return "met" if share < TARGET else "MISSED"


def main(argv: list[str] | None = None) -> None:
    options = parse(argv if argv is not None else [a for a in sys.argv[1:] if a != "run_overhead"])
    print(
        f"run overhead: {options.employees:,} employees (seed {SEED}), time limit "
        f"{options.time_limit:g} s, {PROCESSES} solver processes, {os.cpu_count()} CPUs"
    )
    print(f"load average at start: {os.getloadavg()} (shared machine)", flush=True)
    with postgres_database("run") as url, tempfile.TemporaryDirectory() as directory:
        if url is None:
            return
        figures = measure(url, options, Path(directory))
    report(options, figures)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
