"""Load drill (issue 10): locust, headless and bounded, against a real `flexben serve`
on PostgreSQL with a `flexben worker`: employees submitting and revising (If-Match), HR
starting runs, payroll paging and exporting a published period. Prints p50/p95 per route,
the error count, and whether every accepted submission version is stored.

`python -m bench load [--users 500] [--seconds 45]`
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select

import app.job_kinds  # noqa: F401 (registers every job kind)
from app.allocations.schemas import RunCreate
from app.allocations.service import start_run
from app.auth.principal import Principal
from app.auth.service import create_api_key
from app.config import DEVELOPMENT_SECRET_KEY
from app.db import make_engine, make_session_factory
from app.employees.models import Employee
from app.jobs.execution import execute_pending
from app.payroll.service import approve
from app.periods.schemas import PeriodCreate
from app.periods.service import create_period, open_period
from app.preferences.models import PreferenceVersion
from bench.seed import seed_problem
from bench.support import REPO, postgres_database, running_server, running_worker
from solver.generate import generate

HR = Principal(id="load-hr", name="hr", roles=frozenset({"hr_admin"}))
APPROVER = Principal(id="load-approver", name="approver", roles=frozenset({"approver"}))


def _key(session, roles: list[str], employee: str | None = None) -> str:  # type: ignore[no-untyped-def]
    issued = create_api_key(
        session,
        name="load",
        roles=roles,
        pepper=DEVELOPMENT_SECRET_KEY,
        employee_external_id=employee,
    )
    return issued.key


def prepare(url: str, users: int) -> dict[str, object]:
    """A published period (for payroll) and an open one (for employees), with keys."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    doc = generate(employees=users, seed=7)
    with factory() as session:
        published_id = seed_problem(session, doc, status="closed")
        session.commit()
        run = start_run(session, published_id, RunCreate(), HR)
        session.commit()
    execute_pending(factory, kind="allocation_run")
    with factory() as session:
        approve(session, run.id, APPROVER)
        session.commit()
        body = PeriodCreate.model_validate(
            {
                "name": "load, open",
                "currency": "EUR",
                "effective_from": "2028-01-01",
                "effective_to": "2028-12-31",
                "allowance": {"default": 300000},
            }
        )
        period = create_period(session, body)
        open_period(session, period.id, lambda _etag: None)
        employees = [_key(session, ["employee"], e["id"]) for e in doc["employees"]]
        setup = {
            "period_id": period.id,
            "published_id": published_id,
            "employees": employees,
            "external_ids": [e["id"] for e in doc["employees"]],
            "hr": _key(session, ["hr_admin"]),
            "payroll": _key(session, ["payroll"]),
        }
        session.commit()
    engine.dispose()
    return setup


def _stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def drill(url: str, users: int, seconds: int) -> None:
    setup = prepare(url, users)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        (folder / "setup.json").write_text(json.dumps(setup))
        env = {
            **os.environ,
            "FLEXBEN_LOAD_SETUP": str(folder / "setup.json"),
            "FLEXBEN_LOAD_ACCEPTED": str(folder / "accepted.json"),
        }
        with (
            running_worker(url),
            running_server(url, extra_env={"FLEXBEN_JOB_RUNNER": "queue"}) as server,
        ):
            command = [
                sys.executable, "-m", "locust", "-f", str(REPO / "bench" / "_locustfile.py"),
                "--headless", "-u", str(users), "-r", str(max(users // 10, 1)),
                "-t", f"{seconds}s", "--host", server.base, "--csv", str(folder / "load"),
                "--only-summary", "--loglevel", "WARNING",
            ]  # fmt: skip
            subprocess.run(command, cwd=REPO, env=env, check=False, stdout=subprocess.DEVNULL)
        rows = _stats(folder / "load")
        accepted = json.loads((folder / "accepted.json").read_text())
    errors = 0
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        errors += int(row["Failure Count"])
        print(
            f"  {row['Type']:>4} {row['Name']:<28} {int(row['Request Count']):>6} requests, "
            f"{int(row['Failure Count'])} failed; p50 {row['50%']} ms, p95 {row['95%']} ms",
            flush=True,
        )
    ids = setup["external_ids"]
    assert isinstance(ids, list)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        stored = set(
            session.execute(
                select(Employee.external_id, PreferenceVersion.version)
                .join(Employee, Employee.id == PreferenceVersion.employee_id)
                .where(PreferenceVersion.period_id == setup["period_id"])
            ).tuples()
        )
    engine.dispose()
    lost = [pair for pair in accepted if (ids[pair[0]], pair[1]) not in stored]
    print(
        f"  {users} employees, {seconds} s: {errors} errors; {len(accepted)} submissions "
        f"accepted, {len(stored)} versions stored, {len(lost)} accepted versions lost"
        f" ({len(stored) - len(accepted) + len(lost)} in flight when locust stopped)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=45)
    options = parser.parse_args(
        argv if argv is not None else sys.argv[2:] if len(sys.argv) > 2 else []
    )
    with postgres_database("load") as url:
        if url is not None:
            drill(url, options.users, options.seconds)


if __name__ == "__main__":
    main(sys.argv[1:])
