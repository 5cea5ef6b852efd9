"""Response bodies of the privacy operations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ErasureOut(BaseModel):
    external_id: str = Field(description="the pseudonymous key the person's records now carry")
    erased_at: datetime
    preferences_removed: int = Field(description="current preference rows deleted")
    preference_versions_removed: int = Field(description="submission history rows deleted")
    api_keys_revoked: int
