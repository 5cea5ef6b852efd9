"""Alembic from Python: the migrations are the only way the schema changes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def downgrade_to(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def script_heads() -> tuple[str, ...]:
    """The head revisions of the migration scripts (exactly one when all is well)."""
    return tuple(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def database_heads(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is at (empty when never migrated)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def schema_state(connection: Connection) -> str | None:
    """None when the database is at head, else a plain-words reason."""
    current, expected = set(database_heads(connection)), set(script_heads())
    if current == expected:
        return None
    if not current:
        return f"database schema is empty; run `flexben migrate` (expected {sorted(expected)})"
    return (
        f"database schema at {sorted(current)}, expected {sorted(expected)}; run `flexben migrate`"
    )
