"""Allocation runs, their lines and explanations, publications, payroll lines, carry-overs;
periods may be `published`; on PostgreSQL the procrastinate job queue (schema `procrastinate`).

Revision ID: 0003_runs
Revises: 0002_people_periods
Create Date: 2026-11-22 11:52:17.175968
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

PERIOD_STATUSES_BEFORE = "status IN ('draft', 'open', 'closed')"
PERIOD_STATUSES = "status IN ('draft', 'open', 'closed', 'published')"
# procrastinate's own schema, frozen at the pinned version (migrations never import app code;
# a later procrastinate upgrade ships its migration SQL as a new revision).
PROCRASTINATE_SCHEMA_SQL = (
    Path(__file__).resolve().parent.parent / "sql" / ("procrastinate-3.10.0-schema.sql")
)
PROCRASTINATE_SCHEMA = "procrastinate"

revision: str = "0003_runs"
down_revision: str | Sequence[str] | None = "0002_people_periods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _set_period_statuses(check: str) -> None:
    """Replace the CHECK on periods.status.

    SQLite cannot alter a constraint, and rebuilding `periods` (batch mode) would cascade-
    delete every row referencing it (foreign keys are on). SQLite documents editing the
    stored schema for constraint changes existing rows already satisfy
    (sqlite.org/lang_altertable.html#otheralter), which is what widening/narrowing a status
    list is once no row uses the dropped status.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_periods_status_known"), "periods", type_="check")
        op.create_check_constraint(op.f("ck_periods_status_known"), "periods", check)
        return
    old = PERIOD_STATUSES if check == PERIOD_STATUSES_BEFORE else PERIOD_STATUSES_BEFORE
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
            "WHERE type = 'table' AND name = 'periods'"
        ),
        {"old": old, "new": check},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _create_procrastinate_schema() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite deployments run jobs in-process
    op.execute(f"CREATE SCHEMA {PROCRASTINATE_SCHEMA}")
    op.execute(f"SET LOCAL search_path TO {PROCRASTINATE_SCHEMA}, public")
    # Straight to the driver without parameters: the SQL holds `::type` casts and `%` that
    # SQLAlchemy or psycopg would otherwise take for placeholders.
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(PROCRASTINATE_SCHEMA_SQL.read_text(encoding="utf-8"))
    cursor.close()
    op.execute("SET LOCAL search_path TO public")


def upgrade() -> None:
    _set_period_statuses(PERIOD_STATUSES)
    _create_procrastinate_schema()
    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("period_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("problem_sha256", sa.String(length=64), nullable=False),
        sa.Column("time_limit_s", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("solver_status", sa.String(length=16), nullable=True),
        sa.Column("solver_name", sa.String(length=100), nullable=True),
        sa.Column("solver_version", sa.String(length=100), nullable=True),
        sa.Column("solver_seconds", sa.Float(), nullable=True),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("bound", sa.Float(), nullable=True),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.Column("kpis", sa.JSON(), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=True),
        sa.Column("budgets", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'infeasible')",
            name=op.f("ck_runs_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["periods.id"],
            name=op.f("fk_runs_period_id_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_period_id"), ["period_id"], unique=False)
        batch_op.create_index("ix_runs_status_created_at", ["status", "created_at"], unique=False)

    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["periods.id"],
            name=op.f("fk_publications_period_id_periods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_publications_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("period_id", "version", name=op.f("uq_publications_period_id_version")),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publications_run_id"), ["run_id"], unique=False)

    op.create_table(
        "run_employees",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("employee", sa.String(length=64), nullable=False),
        sa.Column("peer_group", sa.String(length=64), nullable=False),
        sa.Column("satisfaction", sa.Float(), nullable=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("top_up", sa.BigInteger(), nullable=False),
        sa.Column("allowance", sa.BigInteger(), nullable=True),
        sa.Column("leftover", sa.BigInteger(), nullable=False),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.Column("explanations", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_employees_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "employee", name=op.f("pk_run_employees")),
    )
    op.create_table(
        "run_lines",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("employee", sa.String(length=64), nullable=False),
        sa.Column("benefit", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("employer_cost", sa.BigInteger(), nullable=False),
        sa.Column("employee_cost", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_lines_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "employee", "benefit", name=op.f("pk_run_lines")),
    )
    op.create_table(
        "carry_overs",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("employee", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_carry_overs_publication_id_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("publication_id", "employee", name=op.f("pk_carry_overs")),
    )
    op.create_table(
        "payroll_lines",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("employee", sa.String(length=64), nullable=False),
        sa.Column("benefit", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("employer_cost", sa.BigInteger(), nullable=False),
        sa.Column("employee_cost", sa.BigInteger(), nullable=False),
        sa.Column("payroll_code", sa.String(length=64), nullable=True),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_payroll_lines_publication_id_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "publication_id", "employee", "benefit", name=op.f("pk_payroll_lines")
        ),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {PROCRASTINATE_SCHEMA} CASCADE")
    op.execute("UPDATE periods SET status = 'closed' WHERE status = 'published'")
    _set_period_statuses(PERIOD_STATUSES_BEFORE)
    op.drop_table("payroll_lines")
    op.drop_table("carry_overs")
    op.drop_table("run_lines")
    op.drop_table("run_employees")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publications_run_id"))

    op.drop_table("publications")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_status_created_at")
        batch_op.drop_index(batch_op.f("ix_runs_period_id"))

    op.drop_table("runs")
