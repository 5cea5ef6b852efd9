"""Portal settings (FLEXBEN_PUBLIC_URL and lifetimes), apart from the API's Settings."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FLEXBEN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Base of the sign-in links `flexben sign-in-link` prints.
    public_url: str = "http://127.0.0.1:8000"
    sign_in_link_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    # OpenID Connect sign-in (authorization code + PKCE): the provider is the API's
    # FLEXBEN_OIDC_ISSUER (its ID tokens are verified like the API's JWTs, so the client id
    # is FLEXBEN_OIDC_AUDIENCE); the portal needs its client credentials.
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
