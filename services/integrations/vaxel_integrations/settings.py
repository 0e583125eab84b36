"""Settings of the integrations service (environment variables ``VAXEL_INTEGRATIONS_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vaxel_common.settings import ServiceSettings


class IntegrationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_INTEGRATIONS_", extra="ignore", frozen=True)

    # The embedded default; DATABASE_URL, when set, wins (sqlite:///PATH or postgresql://...).
    sqlite_path: Path = Path("var/integrations.sqlite3")
    database_url: str = ""
    # Development only (make run, tests): webhook URLs on loopback, http:// included. Never in production.
    allow_loopback_urls: bool = False
    # Retries: exponential from the initial delay up to the maximum, with jitter; given up (failed) this
    # long after the delivery was created.
    retry_initial_seconds: float = Field(default=10.0, gt=0, le=3600)
    retry_max_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    retry_for_seconds: float = Field(default=86_400.0, gt=0, le=7 * 86_400)
    # One attempt's HTTP timeout (connect to last byte of the answer's head).
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Requests in flight to one endpoint at once, and deliveries one endpoint's lane takes per round.
    endpoint_concurrency: int = Field(default=8, ge=1, le=256)
    lane_batch: int = Field(default=64, ge=1, le=1000)
    max_endpoints_per_tenant: int = Field(default=10, ge=1, le=1000)
    # Delivered and failed deliveries are kept this long for ListDeliveries and replays, then purged.
    keep_deliveries_days: float = Field(default=30.0, gt=0, le=400)
    # The tenant stream: a progress message (cursor only) after this long without a matching event.
    stream_heartbeat_seconds: float = Field(default=5.0, gt=0, le=300)
    max_streams_per_tenant: int = Field(default=4, ge=1, le=100)

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"
