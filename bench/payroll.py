"""Payroll CSV export: 500,000 published lines streamed by a real `flexben serve` process.

Prints the throughput (lines/s, MB/s) and the server process's peak resident memory
(VmHWM) before and after the export: a constant-memory export leaves it flat.

Needs PostgreSQL (FLEXBEN_BENCH_DATABASE_URL, default the local server); a throw-away
database is created and dropped. `BENCH_PAYROLL_LINES` changes the size.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

from app.auth.service import create_api_key
from app.config import DEVELOPMENT_SECRET_KEY
from app.db import make_engine, make_session_factory
from app.migrate import upgrade_to_head

ADMIN_URL = os.environ.get(
    "FLEXBEN_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
LINES = int(os.environ.get("BENCH_PAYROLL_LINES", "500000"))
BENEFITS_PER_EMPLOYEE = 5
REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_rss_mib(pid: int) -> float:
    """VmHWM: the process's peak resident set size so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _seed(url: str, lines: int) -> str:
    """A published period whose publication holds `lines` payroll lines (SQL-generated)."""
    employees = lines // BENEFITS_PER_EMPLOYEE
    engine = create_engine(url)
    period_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO periods (id, name, currency, effective_from, effective_to, "
                "points_per_employee, allowance, budgets, policy, leftover_policy, status, "
                "version, created_at, updated_at) VALUES (:id, 'bench', 'EUR', '2027-01-01', "
                "'2027-12-31', 100, '{}', '[]', '{}', 'forfeit', 'published', 1, now(), now())"
            ),
            {"id": period_id},
        )
        connection.execute(
            text(
                "INSERT INTO runs (id, period_id, status, created_by, created_at, problem, "
                "problem_sha256, attempts) VALUES (:id, :period, 'succeeded', 'bench', now(), "
                "'{}', repeat('0', 64), 1)"
            ),
            {"id": period_id, "period": period_id},
        )
        publication_id = connection.execute(
            text(
                "INSERT INTO publications (period_id, version, run_id, approved_by, "
                "approved_at, currency, effective_from, effective_to) VALUES (:period, 1, "
                ":period, 'bench', now(), 'EUR', '2027-01-01', '2027-12-31') RETURNING id"
            ),
            {"period": period_id},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO payroll_lines (publication_id, employee, benefit, kind, units, "
                "employer_cost, employee_cost, payroll_code, taxable) "
                "SELECT :pub, 'E' || lpad(e::text, 7, '0'), 'B' || b, 'benefit', 1 + b % 3, "
                "1000 * (e % 97) + b, (e % 7) * 100, "
                "CASE WHEN b = 0 THEN '=FORMULA' ELSE 'BIK-' || b END, b % 2 = 0 "
                "FROM generate_series(1, :employees) AS e, "
                "generate_series(0, :per - 1) AS b"
            ),
            {"pub": publication_id, "employees": employees, "per": BENEFITS_PER_EMPLOYEE},
        )
    engine.dispose()
    return period_id


def _api_key(url: str) -> str:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        issued = create_api_key(
            session, name="bench", roles=["payroll"], pepper=DEVELOPMENT_SECRET_KEY
        )
        session.commit()
    engine.dispose()
    return issued.key


def _wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def run_export(url: str) -> None:
    started = time.monotonic()
    period_id = _seed(url, LINES)
    print(f"seeded {LINES:,} payroll lines in {time.monotonic() - started:.1f} s", flush=True)
    key = _api_key(url)
    port = _free_port()
    env = {
        **os.environ,
        "FLEXBEN_DATABASE_URL": url,
        "FLEXBEN_ENVIRONMENT": "development",
        "FLEXBEN_JOB_RUNNER": "manual",
        "FLEXBEN_LOG_LEVEL": "warning",
        "FLEXBEN_RATE_LIMIT_PER_MINUTE": "0",  # measure the service, not its rate limit
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=REPO, env=env
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base)
        headers = {"Authorization": f"Bearer {key}"}
        # Warm up (imports, first connection), then measure.
        httpx.get(f"{base}/api/v1/periods/{period_id}/payroll/lines", headers=headers)
        before = _peak_rss_mib(server.pid)
        count, size = 0, 0
        started = time.monotonic()
        with httpx.stream(
            "GET",
            f"{base}/api/v1/periods/{period_id}/payroll/lines.csv",
            headers=headers,
            timeout=600,
        ) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                size += len(chunk)
                count += chunk.count(b"\n")  # CRLF may straddle two chunks
        seconds = time.monotonic() - started
        after = _peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    data_lines = count - 1  # header
    assert data_lines == LINES, f"expected {LINES} lines, got {data_lines}"
    print(f"payroll CSV export: {data_lines:,} lines, {size / 1e6:.1f} MB in {seconds:.2f} s")
    print(f"  throughput: {data_lines / seconds:,.0f} lines/s, {size / 1e6 / seconds:.1f} MB/s")
    print(f"  server peak RSS (VmHWM): {before:.1f} MiB before, {after:.1f} MiB after export")


def main() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"flexben_bench_payroll_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        print(f"skipped: PostgreSQL unreachable at {ADMIN_URL} ({type(error).__name__})")
        return
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        run_export(url)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
