"""How runs execute, from FLEXBEN_JOB_* environment variables.

`FLEXBEN_JOB_RUNNER`:
- `embedded` (default on SQLite): a thread in the API process executes runs, so
  `make run` needs nothing else;
- `queue` (default on PostgreSQL): the API defers a procrastinate job per run; `flexben
  worker` processes execute them (any number of them);
- `manual`: nothing executes runs in this process (the default when FLEXBEN_ENVIRONMENT is
  `test`: tests call `app.allocations.execution.execute_pending` themselves).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.config import Settings

RunnerMode = Literal["embedded", "queue", "manual"]


class JobSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLEXBEN_JOB_", extra="ignore")

    runner: RunnerMode | None = None
    # A worker that has not extended its lease for this long is considered dead.
    lease_seconds: float = Field(default=60.0, gt=0)
    # How often an idle embedded runner / SQLite worker looks for queued runs.
    poll_seconds: float = Field(default=1.0, gt=0)
    # Executions of a run (first try included) before a dead worker's run is `failed`.
    max_attempts: int = Field(default=2, ge=1)


def runner_mode(settings: Settings, jobs: JobSettings) -> RunnerMode:
    if jobs.runner is not None:
        return jobs.runner
    if settings.environment == "test":
        return "manual"
    return "embedded" if settings.is_sqlite else "queue"
