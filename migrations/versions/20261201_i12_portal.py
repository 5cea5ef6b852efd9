"""Portal: one-time sign-in links and cookie sessions (hashed secrets only).

Revision ID: 20261201_i12_portal
Revises: 0005_scenarios
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_i12_portal"
down_revision: str | Sequence[str] | None = "0005_scenarios"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _person_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("employee_external_id", sa.String(length=64), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "portal_sign_in_links",
        *_person_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sign_in_links_token_hash")),
    )
    op.create_index(
        op.f("ix_portal_sign_in_links_person_id"), "portal_sign_in_links", ["person_id"]
    )
    op.create_table(
        "portal_sessions",
        *_person_columns(),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    op.create_index(op.f("ix_portal_sessions_person_id"), "portal_sessions", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_sessions_person_id"), table_name="portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_index(op.f("ix_portal_sign_in_links_person_id"), table_name="portal_sign_in_links")
    op.drop_table("portal_sign_in_links")
