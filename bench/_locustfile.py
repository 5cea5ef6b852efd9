"""Locust users of `python -m bench load` (a leading underscore: `python -m bench` never
imports it, so gevent's monkey-patching stays in the locust process).

Reads FLEXBEN_LOAD_SETUP (JSON: period_id, employee keys, hr and payroll keys) and writes
every accepted submission (employee key index, version) to FLEXBEN_LOAD_ACCEPTED.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, between, events, task

SETUP: dict[str, Any] = json.loads(open(os.environ["FLEXBEN_LOAD_SETUP"]).read())  # noqa: SIM115
ACCEPTED: list[tuple[int, int]] = []
_next_employee = itertools.count()


class Employee(HttpUser):
    weight = 50
    wait_time = between(1, 4)

    def on_start(self) -> None:
        self.index = next(_next_employee) % len(SETUP["employees"])
        self.auth = {"Authorization": f"Bearer {SETUP['employees'][self.index]}"}
        self.url = f"/api/v1/me/periods/{SETUP['period_id']}/preferences"
        got = self.client.get(self.url, headers=self.auth, name="GET /me/preferences")
        self.etag = got.headers.get("ETag", '"v0"')
        self.rng = random.Random(self.index)

    @task
    def submit_or_revise(self) -> None:
        points = {
            "GYM": self.rng.randint(1, 40),
            "LEAVE": {"points": self.rng.randint(1, 40), "units": 2},
        }
        response = self.client.put(
            self.url,
            json={"points": points},
            headers={**self.auth, "If-Match": self.etag},
            name="PUT /me/preferences",
        )
        if response.status_code == 200:
            self.etag = response.headers["ETag"]
            ACCEPTED.append((self.index, int(self.etag.strip('"v'))))


class Hr(HttpUser):
    weight = 1
    fixed_count = 1
    wait_time = between(8, 12)

    @task
    def start_a_run(self) -> None:
        headers = {"Authorization": f"Bearer {SETUP['hr']}"}
        self.client.post(
            f"/api/v1/periods/{SETUP['period_id']}/runs",
            json={},
            headers=headers,
            name="POST /periods/{id}/runs",
        )


class Payroll(HttpUser):
    weight = 1
    fixed_count = 2
    wait_time = between(1, 3)

    @task(3)
    def page(self) -> None:
        headers = {"Authorization": f"Bearer {SETUP['payroll']}"}
        cursor = None
        for _ in range(5):
            params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = self.client.get(
                f"/api/v1/periods/{SETUP['published_id']}/payroll/lines",
                params=params,
                headers=headers,
                name="GET /payroll/lines",
            ).json()
            cursor = page.get("next_cursor")
            if not cursor:
                break

    @task(1)
    def export(self) -> None:
        headers = {"Authorization": f"Bearer {SETUP['payroll']}"}
        self.client.get(
            f"/api/v1/periods/{SETUP['published_id']}/payroll/lines.csv",
            headers=headers,
            name="GET /payroll/lines.csv",
        )


@events.quitting.add_listener
def _write_accepted(environment: Any, **_kwargs: Any) -> None:
    with open(os.environ["FLEXBEN_LOAD_ACCEPTED"], "w") as out:
        json.dump(ACCEPTED, out)
