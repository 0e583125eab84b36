"""Settings of the CLI: options over environment over config file; a missing one says how to give it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaxel_cli.errors import UsageError
from vaxel_cli.settings import CliSettings, load_cli_settings

NAMES = [f"VAXEL_{n.upper()}" for n in CliSettings.model_fields]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


class TestSources:
    def test_option_over_environment_over_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        config = tmp_path / "vaxel.yaml"
        config.write_text("sla_target: file:1\nrouting_target: file:2\nclient_tenant_target: file:3\n")
        monkeypatch.setenv("VAXEL_ROUTING_TARGET", "env:2")
        monkeypatch.setenv("VAXEL_CLIENT_TENANT_TARGET", "env:3")
        settings = load_cli_settings(config, {"client_tenant_target": "option:3", "sla_target": None})
        assert settings.sla_target == "file:1"
        assert settings.routing_target == "env:2"
        assert settings.client_tenant_target == "option:3"
        assert settings.target("sla") == "file:1"

    def test_key_from_option_environment_or_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        key_file = tmp_path / "admin-key"
        key_file.write_text("ops-key-from-file\n")
        monkeypatch.setenv("VAXEL_API_KEY_FILE", str(key_file))
        assert load_cli_settings(None, {}).key() == "ops-key-from-file"
        monkeypatch.setenv("VAXEL_API_KEY", "vx_env_key")
        assert load_cli_settings(None, {}).key() == "vx_env_key"
        assert load_cli_settings(None, {"api_key": "vx_option"}).key() == "vx_option"


class TestMissingAndWrong:
    def test_a_missing_target_says_how_to_give_it(self) -> None:
        with pytest.raises(UsageError) as err:
            load_cli_settings(None, {}).target("interaction-log")
        assert err.value.exit_code == 2
        assert err.value.lines == (
            "error: no address for interaction-log: pass --interaction-log-target HOST:PORT,"
            " set VAXEL_INTERACTION_LOG_TARGET or put interaction_log_target in the --config file",
        )

    def test_a_missing_key(self, tmp_path: Path) -> None:
        with pytest.raises(UsageError, match="no API key: pass --api-key"):
            load_cli_settings(None, {}).key()
        with pytest.raises(UsageError, match="cannot read the API key file"):
            load_cli_settings(None, {"api_key_file": tmp_path / "none"}).key()

    def test_config_file_problems(self, tmp_path: Path) -> None:
        config = tmp_path / "vaxel.yaml"
        config.write_text("sla: 127.0.0.1:1\n")
        with pytest.raises(UsageError, match=r"unknown settings \['sla'\]"):
            load_cli_settings(config, {})
        config.write_text("- a list\n")
        with pytest.raises(UsageError, match="must be a mapping"):
            load_cli_settings(config, {})
        with pytest.raises(UsageError, match="cannot read the config file"):
            load_cli_settings(tmp_path / "none.yaml", {})

    def test_bad_values_name_the_setting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("VAXEL_TIMEOUT_SECONDS", "soon")
        with pytest.raises(UsageError) as err:
            load_cli_settings(None, {})
        assert err.value.lines[0].startswith("error: invalid setting VAXEL_TIMEOUT_SECONDS: ")
        monkeypatch.delenv("VAXEL_TIMEOUT_SECONDS")
        with pytest.raises(UsageError, match="invalid setting timeout_seconds"):
            load_cli_settings(None, {"timeout_seconds": -1})
