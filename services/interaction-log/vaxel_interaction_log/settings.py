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
    # A survey goes out for an interaction that ended with an agent at most this long ago
    # (a rebuilt store does not survey last month's calls).
    survey_within_hours: float = Field(default=24.0, gt=0)

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"
