from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import DEVELOPMENT_SECRET_KEY, Settings


def test_defaults_are_for_development() -> None:
    settings = Settings(_env_file=None)
    assert settings.environment == "development"
    assert settings.database_url == "sqlite:///./flexben.db"
    assert settings.secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY
    assert DEVELOPMENT_SECRET_KEY not in repr(settings)


@pytest.mark.parametrize("environment", ["production", "test"])
def test_default_secret_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="FLEXBEN_SECRET_KEY must be set"):
        Settings(_env_file=None, environment=environment)


def test_short_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(_env_file=None, environment="production", secret_key="short")


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXBEN_ENVIRONMENT", "production")
    monkeypatch.setenv("FLEXBEN_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("FLEXBEN_DATABASE_URL", "postgresql+psycopg://u@db/flexben")
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert settings.database_url == "postgresql+psycopg://u@db/flexben"
    assert not settings.is_sqlite


def test_reads_dotenv_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / ".env"
    env_file.write_text("FLEXBEN_DATABASE_URL=sqlite:///./other.db\n")
    monkeypatch.delenv("FLEXBEN_DATABASE_URL", raising=False)
    assert Settings(_env_file=env_file).database_url == "sqlite:///./other.db"
