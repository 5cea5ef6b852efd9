"""`flexben sign-in-link`: the URL alone on the last line, on FLEXBEN_PUBLIC_URL; it works
once through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.main import create_app
from tests.conftest import test_settings as settings_for

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FLEXBEN_DATABASE_URL", url)
    monkeypatch.setenv("FLEXBEN_PUBLIC_URL", "https://flex.example.org/")
    from app.config import get_settings

    get_settings.cache_clear()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    yield url
    get_settings.cache_clear()


def test_an_admin_link_is_printed_alone_and_works_once(database: str) -> None:
    result = runner.invoke(
        cli,
        [
            "sign-in-link",
            "--name",
            "Hana",
            "--api-key-roles",
            "hr_admin",
            "--api-key-roles",
            "approver",
        ],
    )
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("https://flex.example.org/portal/sign-in/")
    client = TestClient(create_app(settings_for(database)))
    path = url.removeprefix("https://flex.example.org")
    assert client.get(path, follow_redirects=False).headers["location"] == "/portal"
    assert "Hana" in client.get("/portal").text
    again = TestClient(create_app(settings_for(database))).get(path, follow_redirects=False)
    assert again.headers["location"] == "/portal/sign-in?bad=true"


def test_a_link_for_nobody_or_an_unknown_employee_is_refused(database: str) -> None:
    assert runner.invoke(cli, ["sign-in-link"]).exit_code == 2
    result = runner.invoke(cli, ["sign-in-link", "--employee", "NOPE"])
    assert result.exit_code == 2 and "no active employee 'NOPE'" in result.output
    assert "needs a name" not in result.output
    result = runner.invoke(cli, ["sign-in-link", "--api-key-roles", "wizard"])
    assert result.exit_code == 2 and "unknown role 'wizard'" in result.output
