"""Service settings: environment variables prefixed FLEXBEN_, and `.env` in development."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only ever acceptable on a developer's machine; production must set FLEXBEN_SECRET_KEY.
DEVELOPMENT_SECRET_KEY = "flexben-development-secret-key-do-not-use-in-production"
MIN_SECRET_KEY_LENGTH = 32

Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    """Everything the service reads from its environment (see the README's table)."""

    model_config = SettingsConfigDict(
        env_prefix="FLEXBEN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = "development"
    database_url: str = "sqlite:///./flexben.db"
    # Pepper of the API-key hashes: rotating it invalidates every issued API key.
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    sql_echo: bool = False
    max_body_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    # Requests in flight per process; must stay below the thread pool (40), see limits.py.
    max_concurrent_requests: int = Field(default=32, ge=1, le=36)
    # last_used_at of an API key is written at most this often (it costs a write).
    api_key_touch_seconds: int = Field(default=60, ge=0)
    log_level: str = "info"

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                f"FLEXBEN_SECRET_KEY must be set outside development "
                f"(environment is {self.environment!r})"
            )
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"FLEXBEN_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
