"""Where the services are and which key to send: one settings class, built once per invocation.

Sources, strongest first: command-line options, environment variables (``VAXEL_*``, the names the
platform's own settings use), a config file (``--config`` or ``VAXEL_CLI_CONFIG``; YAML with the same
keys in lower case), the defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from vaxel_cli.errors import UsageError

__all__ = ["SERVICES", "CliSettings", "load_cli_settings"]

# service name (as in vaxel_common.supervisor) -> the setting holding its address
SERVICES = {
    "client-tenant": "client_tenant_target",
    "routing": "routing_target",
    "interaction-log": "interaction_log_target",
    "sla": "sla_target",
    "integrations": "integrations_target",
    "conversation": "conversation_target",
}


class CliSettings(BaseSettings):
    """The CLI's settings; environment variable = ``VAXEL_`` + the field name in capitals."""

    model_config = SettingsConfigDict(env_prefix="VAXEL_", extra="ignore", frozen=True)

    client_tenant_target: str = Field(default="", description="host:port of client-tenant's gRPC API")
    routing_target: str = Field(default="", description="host:port of routing's gRPC API")
    interaction_log_target: str = Field(default="", description="host:port of interaction-log's gRPC API")
    sla_target: str = Field(default="", description="host:port of the SLA service's gRPC API")
    integrations_target: str = Field(
        default="", description="host:port of the integrations service's gRPC API (webhooks, event stream)"
    )
    conversation_target: str = Field(
        default="", description="host:port of the conversation service's gRPC API"
    )
    kafka_bootstrap: str = Field(default="", description="host:port[,host:port] (vaxel events tail)")
    api_key: SecretStr | None = Field(default=None, description="a tenant key, or the provider ops key")
    api_key_file: Path | None = Field(
        default=None, description="a file holding the key, e.g. var/run/admin-key"
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=600, description="deadline of each call")

    def target(self, service: str) -> str:
        """host:port of ``service``, or UsageError saying how to give it."""
        name = SERVICES[service]
        value: str = getattr(self, name)
        if not value:
            raise UsageError(
                f"error: no address for {service}: pass --{name.replace('_', '-')} HOST:PORT,"
                f" set VAXEL_{name.upper()} or put {name} in the --config file"
            )
        return value

    def key(self) -> str:
        """The API key, or UsageError saying how to give it."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key.get_secret_value()
        if self.api_key_file is not None:
            try:
                text = self.api_key_file.read_text().strip()
            except OSError as exc:
                raise UsageError(
                    f"error: cannot read the API key file {self.api_key_file}: {exc.strerror}"
                ) from None
            if text:
                return text
        raise UsageError(
            "error: no API key: pass --api-key or --api-key-file, or set VAXEL_API_KEY or VAXEL_API_KEY_FILE"
        )


def load_cli_settings(config_file: Path | None, options: dict[str, Any]) -> CliSettings:
    """Options (None: not given) over the environment over ``config_file`` over the defaults."""
    from_file = _read_config(config_file) if config_file is not None else {}
    try:
        environment = CliSettings()
    except ValidationError as exc:
        raise UsageError(*_problems(exc, lambda name: f"VAXEL_{name.upper()}")) from None
    merged: dict[str, Any] = dict(from_file)
    merged.update({name: getattr(environment, name) for name in environment.model_fields_set})
    merged.update({name: value for name, value in options.items() if value is not None})
    try:
        # model_validate checks the merged values without reading the environment again
        return CliSettings.model_validate(merged)
    except ValidationError as exc:
        raise UsageError(*_problems(exc, lambda name: name)) from None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise UsageError(f"error: cannot read the config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"error: the config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"error: the config file {path} must be a mapping of settings")
    unknown = sorted(set(data) - set(CliSettings.model_fields))
    if unknown:
        raise UsageError(
            f"error: the config file {path} has unknown settings {unknown}; known: {sorted(CliSettings.model_fields)}"
        )
    return data


def _problems(exc: ValidationError, name_of: Any) -> list[str]:
    return [
        f"error: invalid setting {name_of('_'.join(str(p) for p in err['loc']))}: {err['msg']}"
        for err in exc.errors(include_url=False)
    ]
