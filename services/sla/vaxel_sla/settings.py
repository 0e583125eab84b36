"""Settings of the SLA service (environment variables ``VAXEL_SLA_*``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from vaxel_common.settings import ServiceSettings


class SlaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_SLA_", extra="ignore", frozen=True)
