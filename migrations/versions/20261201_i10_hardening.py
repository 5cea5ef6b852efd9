"""Persons behind keys and runs (four-eyes compares persons), runs' small budgets (issue 10).

api_keys.person_id / person_employee_id and runs.created_by_person, backfilled: a key
bound to an employee belongs to that employee; a key minted through the API to the person
of the key that minted it; any other key is a person of its own.

Revision ID: 20261201_i10_hardening
Revises: i11_life_events
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_i10_hardening"
down_revision: str | Sequence[str] | None = "i11_life_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Copy of app.auth.persons (migrations never import application code).
_EMPLOYEE_NAMESPACE = uuid.UUID("6c3f5a0e-1d6b-4f0e-9a7e-3b1f1c0d2e10")


def _persons_of_keys(connection: sa.Connection) -> dict[str, tuple[str, int | None]]:
    employees = dict(connection.execute(sa.text("SELECT external_id, id FROM employees")).all())
    keys = {
        row.public_id: row
        for row in connection.execute(
            sa.text("SELECT public_id, employee_external_id, created_by FROM api_keys")
        )
    }
    persons: dict[str, tuple[str, int | None]] = {}

    def person(public_id: str, depth: int = 0) -> tuple[str, int | None]:
        if public_id in persons:
            return persons[public_id]
        row = keys[public_id]
        employee_id = employees.get(row.employee_external_id)
        if employee_id is not None:
            found: tuple[str, int | None] = (
                str(uuid.uuid5(_EMPLOYEE_NAMESPACE, str(employee_id))),
                employee_id,
            )
        elif row.created_by in keys and depth < 100:
            found = person(row.created_by, depth + 1)
        else:
            found = (row.created_by or public_id, None)
        persons[public_id] = found
        return found

    for public_id in keys:
        person(public_id)
    return persons


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("person_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("person_employee_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("created_by_person", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("small_budgets", sa.JSON(), nullable=True))
    connection = op.get_bind()
    persons = _persons_of_keys(connection)
    for public_id, (person_id, employee_id) in persons.items():
        connection.execute(
            sa.text(
                "UPDATE api_keys SET person_id = :person, person_employee_id = :employee "
                "WHERE public_id = :id"
            ),
            {"person": person_id, "employee": employee_id, "id": public_id},
        )
        connection.execute(
            sa.text("UPDATE runs SET created_by_person = :person WHERE created_by = :id"),
            {"person": person_id, "id": public_id},
        )
    connection.execute(
        sa.text("UPDATE runs SET created_by_person = created_by WHERE created_by_person IS NULL")
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("person_id", existing_type=sa.String(length=36), nullable=False)
        batch.create_foreign_key(
            op.f("fk_api_keys_person_employee_id_employees"),
            "employees",
            ["person_employee_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_api_keys_person_id"), ["person_id"])
        batch.create_index(op.f("ix_api_keys_person_employee_id"), ["person_employee_id"])
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("created_by_person", existing_type=sa.String(length=36), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("small_budgets")
        batch.drop_column("created_by_person")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index(op.f("ix_api_keys_person_employee_id"))
        batch.drop_index(op.f("ix_api_keys_person_id"))
        batch.drop_constraint(op.f("fk_api_keys_person_employee_id_employees"), type_="foreignkey")
        batch.drop_column("person_employee_id")
        batch.drop_column("person_id")
