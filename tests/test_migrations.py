"""The migrations are the only way the schema changes: one head, up and down cleanly,
and exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import app.model_registry  # noqa: F401
from app.db import Base
from app.migrate import database_heads, downgrade_to, script_heads, upgrade_to_head
from tests.conftest import FreshDatabase


def test_single_head() -> None:
    assert len(script_heads()) == 1


def test_first_revision_is_the_fixed_foundation_id() -> None:
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    bases = scripts.get_bases()
    assert bases == ["0001_foundation"]


def test_upgrade_from_empty_reaches_head_with_every_table(fresh_db: FreshDatabase) -> None:
    with fresh_db.engine.connect() as connection:
        assert set(database_heads(connection)) == set(script_heads())
        tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_models_match_migrations(fresh_db: FreshDatabase) -> None:
    with fresh_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(fresh_db: FreshDatabase) -> None:
    downgrade_to(fresh_db.url, "base")
    with fresh_db.engine.connect() as connection:
        assert database_heads(connection) == ()
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    upgrade_to_head(fresh_db.url)
    with fresh_db.engine.connect() as connection:
        assert set(database_heads(connection)) == set(script_heads())


def test_every_revision_steps_down_and_up_again(fresh_db: FreshDatabase) -> None:
    """Walk the history from the head: each revision's downgrade undoes its upgrade."""
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = [script.revision for script in scripts.walk_revisions()]  # head first
    for revision in revisions:
        script = scripts.get_revision(revision)
        assert script is not None
        below = script.down_revision if isinstance(script.down_revision, str) else "base"
        downgrade_to(fresh_db.url, below)
        upgrade_to_head(fresh_db.url)
        with fresh_db.engine.connect() as connection:
            assert set(database_heads(connection)) == set(script_heads())
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == [], revision
