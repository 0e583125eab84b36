"""Settings of the SLA service (environment variables ``VAXEL_SLA_*``)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from vaxel_common.settings import ServiceSettings
from vaxel_sla.domain.forecast import METHODS, PLAN_METHOD


class SlaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_SLA_", extra="ignore", frozen=True)

    evaluate_seconds: float = Field(default=5.0, gt=0, le=300)
    alert_min_contacts: int = Field(default=5, ge=1, le=10_000)
    fcr_days: float = Field(default=7.0, gt=0, le=90)
    seal_after_hours: float = Field(default=48.0, ge=1, le=24 * 90)
    default_aht_seconds: float = Field(default=300.0, gt=0, le=86_400)
    # How often the projected service levels (every queue's forecast) and the agents' occupancy per
    # site and tenant (every agent's handling) are refreshed: heavier than a round, so less often.
    projection_seconds: float = Field(default=30.0, gt=0, le=3600)
    utilisation_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Longest a report or plan may compute when its call has no deadline (a deadline shortens it).
    max_work_seconds: float = Field(default=60.0, gt=0, le=600)
    # The arrival forecast of staffing plans and projections (domain/forecast.py METHODS); the default is
    # the backtest's choice (docs/bench.md "Forecast").
    forecast_method: str = PLAN_METHOD

    @field_validator("forecast_method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError(f"one of {', '.join(METHODS)}")
        return value
