"""People and periods: peer groups, employees, periods, preferences (+ versions).

Revision ID: 0002_people_periods
Revises: 0001_foundation
Create Date: 2026-11-22 11:45:21.454800
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_people_periods"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peer_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("equity_tolerance", sa.Numeric(precision=8, scale=4), nullable=True),
        sa.Column("equity_absolute", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_groups")),
        sa.UniqueConstraint("code", name=op.f("uq_peer_groups_code")),
    )
    op.create_table(
        "periods",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=False),
        sa.Column("points_per_employee", sa.Integer(), nullable=False),
        sa.Column("allowance", sa.JSON(), nullable=False),
        sa.Column("budgets", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("benefits", sa.JSON(), nullable=True),
        sa.Column("leftover_policy", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'closed')", name=op.f("ck_periods_status_known")
        ),
        sa.CheckConstraint(
            "effective_from <= effective_to", name=op.f("ck_periods_effective_order")
        ),
        sa.CheckConstraint("points_per_employee > 0", name=op.f("ck_periods_points_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periods")),
    )
    op.create_index(op.f("ix_periods_created_at"), "periods", ["created_at"], unique=False)
    op.create_index(op.f("ix_periods_status"), "periods", ["status"], unique=False)

    op.create_table(
        "employees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("peer_group_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=64), nullable=True),
        sa.Column("location", sa.String(length=64), nullable=True),
        sa.Column("employment_type", sa.String(length=32), nullable=False),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("fte", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("need", sa.Numeric(precision=8, scale=4), nullable=False),
        sa.Column("need_reason", sa.String(length=500), nullable=True),
        sa.Column("top_up_limit", sa.BigInteger(), nullable=False),
        sa.Column("allowance_override", sa.BigInteger(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("fte > 0 AND fte <= 1", name=op.f("ck_employees_fte_range")),
        sa.CheckConstraint("need > 0", name=op.f("ck_employees_need_positive")),
        sa.CheckConstraint("top_up_limit >= 0", name=op.f("ck_employees_top_up_limit_nonnegative")),
        sa.ForeignKeyConstraint(
            ["peer_group_id"],
            ["peer_groups.id"],
            name=op.f("fk_employees_peer_group_id_peer_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employees")),
        sa.UniqueConstraint("email", name=op.f("uq_employees_email")),
        sa.UniqueConstraint("external_id", name=op.f("uq_employees_external_id")),
    )
    op.create_index(
        op.f("ix_employees_peer_group_id"), "employees", ["peer_group_id"], unique=False
    )

    op.create_table(
        "preference_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_preference_versions_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["periods.id"],
            name=op.f("fk_preference_versions_period_id_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preference_versions")),
        sa.UniqueConstraint(
            "period_id",
            "employee_id",
            "version",
            name=op.f("uq_preference_versions_period_id_employee_id_version"),
        ),
    )
    op.create_index(
        op.f("ix_preference_versions_employee_id"),
        "preference_versions",
        ["employee_id"],
        unique=False,
    )

    op.create_table(
        "preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_preferences_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["periods.id"],
            name=op.f("fk_preferences_period_id_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preferences")),
        sa.UniqueConstraint(
            "period_id", "employee_id", name=op.f("uq_preferences_period_id_employee_id")
        ),
    )
    op.create_index(
        op.f("ix_preferences_employee_id"), "preferences", ["employee_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_preferences_employee_id"), table_name="preferences")

    op.drop_table("preferences")
    op.drop_index(op.f("ix_preference_versions_employee_id"), table_name="preference_versions")

    op.drop_table("preference_versions")
    op.drop_index(op.f("ix_employees_peer_group_id"), table_name="employees")

    op.drop_table("employees")
    op.drop_index(op.f("ix_periods_status"), table_name="periods")
    op.drop_index(op.f("ix_periods_created_at"), table_name="periods")

    op.drop_table("periods")
    op.drop_table("peer_groups")
