"""Settings: one readable line naming the bad variable."""

from __future__ import annotations

import pytest
from pydantic_settings import SettingsConfigDict

from vaxel_common.errors import ConfigurationError
from vaxel_common.settings import ServiceSettings, load_settings


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_EXAMPLE_", extra="ignore", frozen=True)


class TestLoadSettings:
    def test_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("VAXEL_EXAMPLE_GRPC_PORT", raising=False)
        settings = load_settings(ExampleSettings)
        assert settings.grpc_port == 0
        assert settings.kafka_session_timeout_ms == 6000

    def test_bad_value_names_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("VAXEL_EXAMPLE_GRPC_PORT", "70000")
        with pytest.raises(ConfigurationError) as err:
            load_settings(ExampleSettings)
        message = str(err.value)
        assert "VAXEL_EXAMPLE_GRPC_PORT" in message
        assert "\n" not in message

    def test_bad_choice(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("VAXEL_EXAMPLE_LOG_LEVEL", "loud")
        with pytest.raises(ConfigurationError, match="VAXEL_EXAMPLE_LOG_LEVEL"):
            load_settings(ExampleSettings)
