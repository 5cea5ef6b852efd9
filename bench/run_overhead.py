"""End-to-end time of a 10,000-employee run through the service vs the solver alone.

The organisation is a generated problem loaded into a throw-away PostgreSQL database
(bench/seed.py). Through the service: POST /runs (build the problem from the tables, hash
and store it), then the runner's execution (claim, solve, write lines and explanations in
one transaction). Alone: `solve_document` on the run's stored problem document, with the
same time limit. The difference is the service's overhead.

`BENCH_RUN_EMPLOYEES` (default 10000) and `BENCH_RUN_TIME_LIMIT_S` (default 60) tune it;
FLEXBEN_BENCH_DATABASE_URL names the PostgreSQL server.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.allocations.jobs import save_outcome, solve_problem_text
from app.allocations.models import Run, RunLine
from app.auth.service import create_api_key
from app.config import Settings
from app.jobs.execution import claim, finish
from app.jobs.registry import Finish
from app.main import create_app
from bench.seed import seed_problem
from bench.support import postgres_database
from solver.api import solve_document
from solver.generate import generate
from solver.types import SolveOptions

EMPLOYEES = int(os.environ.get("BENCH_RUN_EMPLOYEES", "10000"))
TIME_LIMIT_S = float(os.environ.get("BENCH_RUN_TIME_LIMIT_S", "60"))
SECRET = "flexben-bench-secret-key-0123456789abcdef"


def measure(url: str) -> None:
    app = create_app(Settings(environment="test", database_url=url, secret_key=SECRET))
    factory = app.state.session_factory
    started = time.monotonic()
    with factory() as session:
        period_id = seed_problem(session, generate(employees=EMPLOYEES, seed=1))
        key = create_api_key(session, name="bench", roles=["hr_admin"], pepper=SECRET).key
        session.commit()
    print(f"seeded {EMPLOYEES:,} employees in {time.monotonic() - started:.1f} s", flush=True)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        started = time.monotonic()
        response = client.post(
            f"/api/v1/periods/{period_id}/runs",
            json={"time_limit_s": TIME_LIMIT_S},
            headers=headers,
        )
        response.raise_for_status()
        queued = time.monotonic()
        run_id = response.json()["id"]
        timings = execute_timed(factory, run_id)
        finished = time.monotonic()
        problem = json.loads(client.get(f"/api/v1/runs/{run_id}/problem", headers=headers).content)
    with factory() as session:
        run = session.get_one(Run, run_id)
        lines = session.scalar(select(func.count()).where(RunLine.run_id == run_id))
        status, solver_seconds = run.status, run.solver_seconds or 0.0
    service_total = finished - started
    around = service_total - timings["solve"]
    print(f"service: run {status}, {lines:,} lines")
    print(f"  POST /runs (build problem from the tables, hash, store): {queued - started:.2f} s")
    print(f"  claim and load the stored problem: {timings['load']:.2f} s")
    print(
        f"  solve (solver pipeline incl. explanations): {timings['solve']:.2f} s "
        f"(solver's own seconds {solver_seconds:.2f})"
    )
    print(f"  write lines and explanations (one transaction): {timings['write']:.2f} s")
    print(f"  end to end: {service_total:.2f} s; service work around the solve: {around:.2f} s")

    started = time.monotonic()
    alone = solve_document(problem, SolveOptions(time_limit_s=TIME_LIMIT_S))
    alone_seconds = time.monotonic() - started
    print(f"solver alone on the same document: {alone['status']} in {alone_seconds:.2f} s")
    print(
        f"service overhead (everything but the solve): {around:.2f} s, "
        f"{around / alone_seconds:.0%} of the solver alone; end to end minus solver alone: "
        f"{service_total - alone_seconds:.2f} s (the solve time varies: it stops at a "
        "wall-clock limit)"
    )


def execute_timed(factory: Any, run_id: str) -> dict[str, float]:
    """The run job's steps timed one by one (the same functions, in the same order)."""
    started = time.monotonic()
    assert claim(factory, run_id, worker="bench", lease_s=3600)
    with factory() as session:
        run = session.get_one(Run, run_id)
        problem_text, limit = run.problem, run.time_limit_s
        session.rollback()
    loaded = time.monotonic()
    outcome = solve_problem_text(problem_text, limit, "forfeit")
    solved = time.monotonic()
    save = Finish(status="succeeded", save=lambda session, _id: save_outcome(session, _id, outcome))
    assert finish(factory, run_id, worker="bench", outcome=save)
    return {"load": loaded - started, "solve": solved - loaded, "write": time.monotonic() - solved}


def main() -> None:
    with postgres_database("run") as url:
        if url is not None:
            measure(url)


if __name__ == "__main__":
    main()
