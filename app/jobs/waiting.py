"""The one rule for "no worker is taking jobs": a job queued for longer than
FLEXBEN_JOB_WAIT_HINT_SECONDS (30) says so on its run and in /readyz, since on PostgreSQL
`flexben serve` alone (without `flexben worker` or `--with-worker`) executes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.jobs.models import Job


class WaitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLEXBEN_JOB_", extra="ignore")

    wait_hint_seconds: float = Field(default=30.0, gt=0)


def waiting_hint(status: str, queued_at: datetime, now: datetime | None = None) -> str | None:
    """The hint for a job (or run) in `status` since `queued_at`, if it waits too long."""
    waited = ((now or utcnow()) - queued_at).total_seconds()
    if status != "queued" or waited < WaitSettings().wait_hint_seconds:
        return None
    return (
        f"no worker has taken this run for {waited:.0f} s: is `flexben worker` running "
        "(or `flexben serve --with-worker`)?"
    )


def queue_details(session: Session) -> dict[str, Any]:
    """For /readyz: how many jobs wait longer than the hint threshold, and the oldest."""
    oldest, count = session.execute(
        select(func.min(Job.created_at), func.count()).where(Job.status == "queued")
    ).one()
    if oldest is None:
        return {"queued_jobs": 0}
    if oldest.tzinfo is None:  # SQLite aggregates lose the type decorator
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    details: dict[str, Any] = {"queued_jobs": int(count)}
    hint = waiting_hint("queued", oldest)
    if hint is not None:
        details["oldest_queued_seconds"] = round((utcnow() - oldest).total_seconds())
        details["hint"] = hint.replace("this run", "the oldest queued job")
    return details
