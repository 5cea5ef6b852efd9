"""The one place the portal told the job runner that work was queued.

With i14's job system (`app.jobs.service.enqueue` dispatches after the request's commit
by itself) both functions are no-ops, kept so the portal's call sites stay as they are.
"""

from __future__ import annotations

from fastapi import FastAPI


def run_queued(_app: FastAPI, _run_id: str) -> None:
    return None


def job_queued(_app: FastAPI, _job_id: str) -> None:
    return None
