"""Settings of routing (environment variables ``VAXEL_ROUTING_*``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from vaxel_common.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_ROUTING_", extra="ignore", frozen=True)
