"""Service benchmarks, on SQLite and (when reachable) PostgreSQL:

1. import of N employees (default 100,000) from CSV through the import service (the code
   the endpoint runs: parse, validate every row, bulk insert), then a re-import that
   updates half of them;
2. preference submissions per second: C concurrent clients (default 50), each an employee
   with its own API key, PUT their preferences (with If-Match) in a loop for S seconds
   against a real `flexben serve` (uvicorn) process.

    python -m bench service            # defaults
    python -m bench.service --employees 20000 --clients 50 --seconds 10 --backends sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from app.auth.service import create_api_key
from app.benefits.models import Benefit
from app.config import DEVELOPMENT_SECRET_KEY
from app.db import make_engine, make_session_factory, owning_transaction
from app.employees.models import PeerGroup
from app.employees.service import import_employees
from app.periods.schemas import PeriodCreate
from app.periods.service import create_period, open_period
from bench.support import postgres_database, running_server, sqlite_database

GROUPS = [f"G{index:02d}" for index in range(10)]
PG_ADMIN_URL = os.environ.get(
    "FLEXBEN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Options:
    employees: int
    clients: int
    seconds: float
    backends: list[str]


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.service")
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    return Options(args.employees, args.clients, args.seconds, args.backends.split(","))


# ---------------------------------------------------------------- databases


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    """A migrated throw-away database URL (None when the backend is unreachable)."""
    if backend == "sqlite":
        with sqlite_database() as url:
            yield url
        return
    with postgres_database("service", PG_ADMIN_URL) as pg_url:
        yield pg_url


# ---------------------------------------------------------------- import


def employees_csv(count: int, *, variant: int = 0) -> bytes:
    rng = random.Random(42)
    lines = ["external_id,email,display_name,peer_group,grade,location,hire_date,fte,attributes"]
    for index in range(1, count + 1):
        name = f"Person {index}" + (" (renamed)" if variant and index % 2 == 0 else "")
        fte = rng.choice(["1", "1", "1", "0.8", "0.5"])
        year = rng.randint(2005, 2026)
        lines.append(
            f"E{index:06d},p{index}@bench.example,{name},{GROUPS[index % len(GROUPS)]},L2,HQ,"
            f'{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)},{fte},"{{""site"": ""HQ""}}"'
        )
    return ("\n".join(lines) + "\n").encode()


def bench_import(url: str, count: int) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        session.add_all(PeerGroup(code=code, name=code) for code in GROUPS)
        session.commit()
    for variant, label in ((0, "create"), (1, "re-import, half changed")):
        body = employees_csv(count, variant=variant)
        started = time.perf_counter()
        with owning_transaction(factory()) as session:  # as the request's dependency does
            report = import_employees(session, body, content_type="text/csv", dry_run=False)
        seconds = time.perf_counter() - started
        print(
            f"  import {count:,} employees ({label}): {seconds:.2f} s "
            f"({count / seconds:,.0f} rows/s; created {report.created:,}, "
            f"updated {report.updated:,}, unchanged {report.unchanged:,})",
            flush=True,
        )
    engine.dispose()


# ---------------------------------------------------------------- preferences


def prepare_period(url: str, clients: int) -> tuple[str, list[str]]:
    """Benefits, an open period, and one employee API key per client."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        for code, cost, units in (
            ("GYM", 36000, 1),
            ("LEAVE", 25000, 5),
            ("BIKE", 48000, 1),
            ("MEALS", 60000, 1),
            ("TRAINING", 30000, 4),
        ):
            session.add(Benefit(code=code, name=code, cost=cost, max_units=units, requires=[]))
        session.add(Benefit(code="HEALTH", name="Health", cost=120000, core=True, requires=[]))
        session.commit()
        body = PeriodCreate.model_validate(
            {
                "name": "bench",
                "currency": "EUR",
                "effective_from": "2027-01-01",
                "effective_to": "2027-12-31",
                "allowance": {"default": 300000},
            }
        )
        period = create_period(session, body)
        open_period(session, period.id, lambda _etag: None)
        keys = []
        for index in range(1, clients + 1):
            issued = create_api_key(
                session,
                name=f"bench {index}",
                roles=["employee"],
                pepper=DEVELOPMENT_SECRET_KEY,
                employee_external_id=f"E{index:06d}",
            )
            keys.append(issued.key)
        session.commit()
    engine.dispose()
    return period.id, keys


async def client_loop(
    client: httpx.AsyncClient, url: str, key: str, deadline: float, latencies: list[float]
) -> tuple[int, int]:
    ok = failed = 0
    rng = random.Random(key)
    headers = {"Authorization": f"Bearer {key}"}
    etag = (await client.get(url, headers=headers)).headers.get("ETag", '"v0"')
    while time.monotonic() < deadline:
        points = {"GYM": rng.randint(1, 40), "LEAVE": {"points": rng.randint(1, 40), "units": 2}}
        started = time.perf_counter()
        response = await client.put(
            url, json={"points": points}, headers={**headers, "If-Match": etag}
        )
        latencies.append(time.perf_counter() - started)
        if response.status_code == 200:
            ok += 1
            etag = response.headers["ETag"]
        else:
            failed += 1
    return ok, failed


async def hammer(base: str, period_id: str, keys: list[str], seconds: float) -> None:
    """Each client reads its ETag once, then PUTs with If-Match until the deadline; the
    rate counts successful PUTs over the wall-clock time of the whole run."""
    latencies: list[float] = []
    url = f"{base}/api/v1/me/periods/{period_id}/preferences"
    limits = httpx.Limits(max_connections=len(keys), max_keepalive_connections=len(keys))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.monotonic()
        deadline = started + seconds
        results = await asyncio.gather(
            *(client_loop(client, url, key, deadline, latencies) for key in keys)
        )
        elapsed = time.monotonic() - started
    ok = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(
        f"  preference PUTs, {len(keys)} concurrent clients, {elapsed:.1f} s: "
        f"{ok / elapsed:,.1f} submissions/s ({ok:,} ok, {failed:,} failed; "
        f"latency p50 {quantiles[49] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms)",
        flush=True,
    )


def bench_preferences(url: str, clients: int, seconds: float) -> None:
    period_id, keys = prepare_period(url, clients)
    with running_server(url) as server:
        asyncio.run(hammer(server.base, period_id, keys, seconds))


def main(argv: list[str] | None = None) -> None:
    options = parse(argv if argv is not None else [])
    for backend in options.backends:
        print(f"-- {backend}", flush=True)
        with database(backend) as url:
            if url is None:
                continue
            bench_import(url, options.employees)
            bench_preferences(url, options.clients, options.seconds)


if __name__ == "__main__":
    main(sys.argv[1:])
