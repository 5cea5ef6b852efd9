from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.auth.models import ApiKey
from app.cli import cli
from app.config import get_settings
from app.db import make_engine, make_session_factory

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FLEXBEN_DATABASE_URL", url)
    monkeypatch.setenv("FLEXBEN_ENVIRONMENT", "development")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_migrate_then_create_key_prints_key_alone_on_last_line(sqlite_env: str) -> None:
    migrated = runner.invoke(cli, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    result = runner.invoke(
        cli, ["api-keys", "create", "--name", "admin", "--role", "hr_admin", "--role", "auditor"]
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("fb_") and " " not in key
    engine = make_engine(sqlite_env)
    with make_session_factory(engine)() as session:
        stored = session.scalar(select(ApiKey).where(ApiKey.prefix == key.split("_")[1]))
        assert stored is not None
        assert stored.roles == ["hr_admin", "auditor"]
    engine.dispose()


def test_create_key_with_unknown_role_fails_clearly(sqlite_env: str) -> None:
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(cli, ["api-keys", "create", "--name", "x", "--role", "wizard"])
    assert result.exit_code == 2
    assert "unknown role 'wizard'" in result.output


def test_serve_refuses_an_unmigrated_database(sqlite_env: str) -> None:
    result = runner.invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 1
    assert "flexben migrate" in result.output


def test_help_lists_the_service_commands() -> None:
    result = runner.invoke(cli, ["--help"])
    for command in ("migrate", "serve", "api-keys"):
        assert command in result.output


def test_create_key_refuses_an_unmigrated_database(sqlite_env: str) -> None:
    result = runner.invoke(cli, ["api-keys", "create", "--name", "x", "--role", "hr_admin"])
    assert result.exit_code == 1
    assert "flexben migrate" in result.output


def test_list_and_revoke_keys(sqlite_env: str) -> None:
    runner.invoke(cli, ["migrate"])
    created = runner.invoke(cli, ["api-keys", "create", "--name", "ops", "--role", "auditor"])
    key_id = created.output.split()[2]
    listed = runner.invoke(cli, ["api-keys", "list"])
    assert listed.exit_code == 0
    assert f"{key_id}  active " in listed.output and "'ops'" in listed.output
    assert created.output.strip().splitlines()[-1] not in listed.output  # no secrets
    revoked = runner.invoke(cli, ["api-keys", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    assert f"{key_id}  revoked" in runner.invoke(cli, ["api-keys", "list"]).output
    missing = runner.invoke(cli, ["api-keys", "revoke", "no-such-id"])
    assert missing.exit_code == 1
    assert "no API key" in missing.output


def test_create_key_bound_to_an_unknown_employee_fails_clearly(sqlite_env: str) -> None:
    runner.invoke(cli, ["migrate"])
    args = ["api-keys", "create", "--name", "x", "--role", "employee", "--employee", "NOPE"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "no employee with external_id 'NOPE'" in result.output
