"""Settings of client-tenant (environment variables ``VAXEL_CLIENT_TENANT_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from vaxel_common.settings import ServiceSettings


class ClientTenantSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_CLIENT_TENANT_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/client-tenant.sqlite3"
    admin_api_key: SecretStr = Field(
        min_length=24, description="the provider ops key for AdminService (and any tenant); required"
    )
    # One name (no service prefix), as its readers' VAXEL_CONFIG_VERIFY_KEY_FILE.
    config_signing_key_file: Path = Field(
        validation_alias="VAXEL_CONFIG_SIGNING_KEY_FILE",
        description="PEM (PKCS#8) Ed25519 private key signing every configuration record; required",
    )
    publish_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="how long a write waits for its events to be published before answering (it is"
        " committed either way; the outbox relay publishes it later)",
    )
    outbox_relay_paused: bool = Field(
        default=False,
        description="tests only: the relay publishes nothing (as if the process died after each commit)",
    )
