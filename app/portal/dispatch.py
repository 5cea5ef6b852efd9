"""The one place the portal tells the job runner that work was queued (after its commit).

Today's runner needs the call; with i14's job system (`app.jobs.service.enqueue`
dispatches after the request's commit by itself) both functions become no-ops.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.jobs.runner import dispatcher
from app.scenarios.jobs import dispatch_job


def run_queued(app: FastAPI, run_id: str) -> None:
    dispatcher(app).run_queued(run_id)


def job_queued(app: FastAPI, job_id: str) -> None:
    dispatch_job(app, job_id)
