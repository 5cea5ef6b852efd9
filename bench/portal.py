"""Portal pages at 10,000 employees: server time per page of a real `flexben serve`, with
the JSON API's equivalent calls as the baseline in the same run.

A generated organisation (10,000 employees, their preferences) is loaded into a
throw-away SQLite database as an open period; an employee and an HR/finance person sign
in by one-time links. Each page is requested `BENCH_PORTAL_REPEATS` times (after one
warm-up); the median and the 95th percentile of the wall time are printed. The target is
a median under 200 ms per page. `BENCH_PORTAL_EMPLOYEES` changes the size.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import httpx

from app.auth.service import create_api_key
from app.config import DEVELOPMENT_SECRET_KEY
from app.db import make_engine, make_session_factory
from app.portal.service import SIGN_IN_PATH, issue_link
from bench.seed import seed_problem
from bench.support import running_server, sqlite_database
from solver.generate import generate

EMPLOYEES = int(os.environ.get("BENCH_PORTAL_EMPLOYEES", "10000"))
REPEATS = int(os.environ.get("BENCH_PORTAL_REPEATS", "15"))
TARGET_MS = 200.0


def _timed(get: Callable[[], httpx.Response]) -> tuple[float, float, int]:
    get()  # warm-up
    times = []
    size = 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = get()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        size = len(response.content)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], size


def main() -> None:
    with sqlite_database() as url:
        factory = make_session_factory(make_engine(url))
        started = time.perf_counter()
        with factory() as session:
            doc = generate(employees=EMPLOYEES, seed=7)
            period_id = seed_problem(session, doc, status="open")
            employee = doc["employees"][0]["id"]
            tokens = {
                "employee": issue_link(session, roles=[], minutes=30, employee=employee),
                "staff": issue_link(
                    session, roles=["hr_admin", "finance", "auditor"], minutes=30, name="bench"
                ),
            }
            pepper = DEVELOPMENT_SECRET_KEY
            api_employee = create_api_key(
                session,
                name="bench",
                roles=["employee"],
                pepper=pepper,
                employee_external_id=employee,
            ).key
            api_staff = create_api_key(
                session, name="bench", roles=["hr_admin", "finance"], pepper=pepper
            ).key
            session.commit()
        print(f"seeded {EMPLOYEES} employees in {time.perf_counter() - started:.1f} s")
        with running_server(url) as server:
            clients = {}
            for who, token in tokens.items():
                client = httpx.Client(base_url=server.base, timeout=30)
                signed_in = client.get(f"{SIGN_IN_PATH}{token}", follow_redirects=True)
                assert signed_in.status_code == 200 and signed_in.url.path == "/portal"
                clients[who] = client
            api = httpx.Client(base_url=server.base, timeout=30)
            me = {"Authorization": f"Bearer {api_employee}"}
            staff = {"Authorization": f"Bearer {api_staff}"}
            pages: list[tuple[str, Callable[[], httpx.Response]]] = [
                ("portal  periods", lambda: clients["employee"].get("/portal/periods")),
                (
                    "portal  choose",
                    lambda: clients["employee"].get(f"/portal/me/periods/{period_id}"),
                ),
                (
                    "portal  hr period",
                    lambda: clients["staff"].get(f"/portal/hr/periods/{period_id}"),
                ),
                (
                    "portal  finance",
                    lambda: clients["staff"].get(f"/portal/finance/periods/{period_id}"),
                ),
                ("portal  audit", lambda: clients["staff"].get("/portal/hr/audit")),
                (
                    "api     options",
                    lambda: api.get(f"/api/v1/me/periods/{period_id}/options", headers=me),
                ),
                (
                    "api     preferences",
                    lambda: api.get(f"/api/v1/me/periods/{period_id}/preferences", headers=me),
                ),
                (
                    "api     participation",
                    lambda: api.get(f"/api/v1/periods/{period_id}/participation", headers=staff),
                ),
            ]
            print(f"{'page':<24}{'median ms':>10}{'p95 ms':>10}{'bytes':>9}")
            worst = 0.0
            for name, get in pages:
                median, p95, size = _timed(get)
                if name.startswith("portal"):
                    worst = max(worst, median)
                print(f"{name:<24}{median:>10.1f}{p95:>10.1f}{size:>9}")
            verdict = "meets" if worst < TARGET_MS else "MISSES"
            print(
                f"slowest portal page median {worst:.1f} ms: "
                f"{verdict} the {TARGET_MS:.0f} ms target"
            )


if __name__ == "__main__":
    main()
