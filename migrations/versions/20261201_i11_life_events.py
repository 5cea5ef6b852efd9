"""Life events: period reasons, events, event runs, effective-dated run and payroll lines.

Existing lines get their period's dates (a line of a run or publication so far always
covered the whole period); `effective_from` joins the key so an amended line and its
replacement can both exist.

Revision ID: i11_life_events
Revises: 20261201_i12_portal
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i11_life_events"
down_revision: str | Sequence[str] | None = "20261201_i12_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERIOD_OF = {
    "run_lines": "SELECT {column} FROM runs JOIN periods ON periods.id = runs.period_id "
    "WHERE runs.id = run_lines.run_id",
    "payroll_lines": "SELECT {column} FROM publications "
    "WHERE publications.id = payroll_lines.publication_id",
}
_KEY = {"run_lines": "run_id", "payroll_lines": "publication_id"}


def upgrade() -> None:
    with op.batch_alter_table("periods") as batch:
        batch.add_column(
            sa.Column(
                "non_submitters",
                sa.String(length=16),
                nullable=False,
                server_default="core_only",
            )
        )
    op.create_table(
        "life_event_reasons",
        sa.Column("period_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["periods.id"],
            name=op.f("fk_life_event_reasons_period_id_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("period_id", "code", name=op.f("pk_life_event_reasons")),
    )
    op.create_table(
        "life_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("period_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("window_closes", sa.Date(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=True),
        sa.Column("peer_group_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("self_reported", sa.Boolean(), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("preferences", sa.JSON(), nullable=True),
        sa.Column("preferences_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('reported', 'confirmed', 'published')",
            name=op.f("ck_life_events_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_life_events_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["peer_group_id"],
            ["peer_groups.id"],
            name=op.f("fk_life_events_peer_group_id_peer_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["periods.id"],
            name=op.f("fk_life_events_period_id_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_life_events")),
    )
    op.create_index(op.f("ix_life_events_period_id"), "life_events", ["period_id"])
    op.create_index(op.f("ix_life_events_employee_id"), "life_events", ["employee_id"])
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("life_event_id", sa.String(length=36), nullable=True))
        batch.create_index(batch.f("ix_runs_life_event_id"), ["life_event_id"])
    for table, key in _KEY.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("effective_from", sa.Date(), nullable=True))
            batch.add_column(sa.Column("effective_to", sa.Date(), nullable=True))
        for column in ("effective_from", "effective_to"):
            source = _PERIOD_OF[table].format(
                column=f"{'periods' if table == 'run_lines' else 'publications'}.{column}"
            )
            op.execute(f"UPDATE {table} SET {column} = ({source})")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("effective_from", existing_type=sa.Date(), nullable=False)
            batch.alter_column("effective_to", existing_type=sa.Date(), nullable=False)
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", [key, "employee", "benefit", "effective_from"])


def downgrade() -> None:
    for table, key in _KEY.items():
        # Keep the first segment of every line: the pre-event shape of a publication.
        op.execute(
            f"DELETE FROM {table} WHERE effective_from > (SELECT MIN(t.effective_from) "
            f"FROM {table} t WHERE t.{key} = {table}.{key} AND t.employee = {table}.employee "
            f"AND t.benefit = {table}.benefit)"
        )
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", [key, "employee", "benefit"])
            batch.drop_column("effective_to")
            batch.drop_column("effective_from")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index(batch.f("ix_runs_life_event_id"))
        batch.drop_column("life_event_id")
    op.drop_index(op.f("ix_life_events_employee_id"), table_name="life_events")
    op.drop_index(op.f("ix_life_events_period_id"), table_name="life_events")
    op.drop_table("life_events")
    op.drop_table("life_event_reasons")
    with op.batch_alter_table("periods") as batch:
        batch.drop_column("non_submitters")
