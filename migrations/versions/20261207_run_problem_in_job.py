"""A run's problem is built by its job (issue 13): runs.problem and problem_sha256 nullable.

Revision ID: 20261207_run_problem_in_job
Revises: 20261201_i10_hardening
Create Date: 2026-12-07 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_run_problem_in_job"
down_revision: str | Sequence[str] | None = "20261201_i10_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("problem", existing_type=sa.Text(), nullable=True)
        batch.alter_column("problem_sha256", existing_type=sa.String(64), nullable=True)


def downgrade() -> None:
    # Runs whose job never built a problem keep an empty one (they never succeeded).
    op.execute("UPDATE runs SET problem = '' WHERE problem IS NULL")
    op.execute("UPDATE runs SET problem_sha256 = '' WHERE problem_sha256 IS NULL")
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("problem_sha256", existing_type=sa.String(64), nullable=False)
        batch.alter_column("problem", existing_type=sa.Text(), nullable=False)
