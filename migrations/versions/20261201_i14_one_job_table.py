"""One job table for every kind of background work: jobs gain `attempts`, `problem` becomes
optional (a run's problem stays on the run), and each unfinished run gets its job row (the
run's id), queued again: the runs table no longer carries a lease.

Revision ID: i14_one_job_table
Revises: 0005_scenarios
Create Date: 2026-12-01 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i14_one_job_table"
down_revision: str | Sequence[str] | None = "0005_scenarios"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode rebuilds `jobs` on SQLite; no table references it, so nothing cascades.
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.alter_column("problem", existing_type=sa.Text(), nullable=True)
    op.execute(
        "INSERT INTO jobs (id, kind, period_id, scenario_id, status, created_by, created_at, "
        "attempts, progress_done, progress_total, params) "
        "SELECT id, 'allocation_run', period_id, scenario_id, 'queued', created_by, created_at, "
        "attempts, 0, 0, '{}' FROM runs WHERE status IN ('queued', 'running')"
    )
    op.execute(
        "UPDATE runs SET status = 'queued', worker = NULL, lease_expires_at = NULL "
        "WHERE status = 'running'"
    )


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE kind = 'allocation_run'")
    op.execute("UPDATE jobs SET problem = '' WHERE problem IS NULL")
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("problem", existing_type=sa.Text(), nullable=False)
        batch.drop_column("attempts")
