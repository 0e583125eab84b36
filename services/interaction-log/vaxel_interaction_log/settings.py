"""Settings of interaction-log (environment variables ``VAXEL_INTERACTION_LOG_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vaxel_common.settings import ServiceSettings


class InteractionLogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_INTERACTION_LOG_", extra="ignore", frozen=True)

    # The embedded default; DATABASE_URL, when set, wins.
    sqlite_path: Path = Path("var/interaction-log.sqlite3")
    # sqlite:///PATH or postgresql://user@host:port/db; migrations run at start.
    database_url: str = ""
    # Routing's gRPC address (host:port): EraseCustomer has routing destroy the customer's data keys.
    routing_target: str = ""
    # A survey goes out for an interaction that ended with an agent at most this long ago
    # (a rebuilt store does not survey last month's calls).
    survey_within_hours: float = Field(default=24.0, gt=0)
    # Days an interaction is kept after it ends, for tenants that set none (SetDataRetention in
    # client-tenant); expired interactions and their events are purged.
    retention_days: int = Field(default=400, ge=1, le=3650)
    # How often the purge runs (also at start, once the tenants' settings are read, and when a tenant
    # shortens its retention).
    purge_interval_seconds: float = Field(default=3600.0, gt=0)
    # Interactions recent enough to be kept in memory for the write path (their stored events).
    write_cache_interactions: int = Field(default=20_000, ge=0)

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"
