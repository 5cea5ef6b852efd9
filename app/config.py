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

    # --- security (issue 5); see README "Security" ---
    # OpenID Connect: people present JWTs from the organisation's provider. Off unless an
    # issuer and a JWKS (URL or file) are set.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_jwks_file: str | None = None
    oidc_algorithms: list[Literal["RS256", "ES256"]] = Field(default=["RS256"], min_length=1)
    oidc_leeway_seconds: int = Field(default=30, ge=0, le=300)
    oidc_jwks_ttl_seconds: int = Field(default=300, ge=0)
    oidc_employee_claim: str = "email"  # the claim naming the person...
    oidc_employee_field: Literal["email", "external_id"] = "email"  # ...matched to this field
    oidc_roles_claim: str = "roles"  # a list of flexben role names
    # Roles given to a token bound to an employee, on top of its roles claim.
    oidc_default_roles: list[str] = Field(default=["employee"])
    # API keys minted by a person signed in through OIDC expire after at most this long.
    oidc_key_max_days: int = Field(default=30, ge=1, le=366)
    # Abuse limits.
    max_import_rows: int = Field(default=200_000, ge=1)
    max_solver_seconds: int = Field(default=600, ge=1)  # cap of any run's time_limit_s
    # Where a run's solve works (see DESIGN "Executors"): worker processes on the worker's
    # machine (0: its cores), or tasks on a Ray cluster (extra `ray`).
    solver_processes: int = Field(default=0, ge=0, le=512)
    solver_executor: Literal["process", "ray"] = "process"
    ray_address: str | None = None
    rate_limit_per_minute: int = Field(default=600, ge=0)  # per principal; 0 disables
    rate_limit_burst: int = Field(default=120, ge=1)
    # Failed authentications per client address (guessing keys); 0 disables.
    auth_failures_per_minute: int = Field(default=30, ge=0)
    auth_failures_burst: int = Field(default=20, ge=1)
    cors_origins: list[str] = Field(default=[])  # HR portal origins allowed by CORS
    # Reverse proxies (addresses or networks) whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: list[str] = Field(default=[])
    # Bodies: JSON routes take at most max_json_body_bytes (far below the import limit,
    # max_body_bytes); a body must arrive within body_read_seconds.
    max_json_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    body_read_seconds: float = Field(default=30.0, gt=0, le=600)
    # Privacy: preferences of periods published longer ago are purged.
    preference_retention_days: int = Field(default=730, ge=1)

    @model_validator(mode="after")
    def _oidc_is_complete(self) -> Settings:
        # A token for another application of the same provider must not get in: `aud` is
        # always checked, so an issuer without an audience is a configuration error.
        if self.oidc_issuer is not None and not self.oidc_audience:
            raise ValueError("FLEXBEN_OIDC_AUDIENCE must be set with FLEXBEN_OIDC_ISSUER")
        if self.oidc_issuer is not None and not (self.oidc_jwks_url or self.oidc_jwks_file):
            raise ValueError(
                "FLEXBEN_OIDC_JWKS_URL or FLEXBEN_OIDC_JWKS_FILE must be set with "
                "FLEXBEN_OIDC_ISSUER"
            )
        return self

    @model_validator(mode="after")
    def _proxies_are_networks(self) -> Settings:
        from app.security.proxies import parse_networks

        parse_networks(self.trusted_proxies)
        return self

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
    def oidc_enabled(self) -> bool:
        return self.oidc_issuer is not None and bool(self.oidc_jwks_url or self.oidc_jwks_file)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
