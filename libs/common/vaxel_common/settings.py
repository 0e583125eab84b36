"""The settings base every service's settings class derives from.

Each service declares one ``BaseSettings`` subclass with its own ``env_prefix``
(e.g. ``VAXEL_ROUTING_``), builds it once in ``__main__`` with :func:`load_settings`
and passes it down. Nothing else reads ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from vaxel_common.errors import ConfigurationError
from vaxel_common.kafka_security import KafkaSecurity

__all__ = ["ServiceSettings", "load_settings"]


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``env_prefix`` in ``model_config``."""

    model_config = SettingsConfigDict(env_prefix="VAXEL_", extra="ignore", frozen=True)

    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    kafka_bootstrap: str = Field(
        default="", description="host:port[,host:port]; required by services (the launcher fills it)"
    )
    kafka_session_timeout_ms: int = Field(default=6000, ge=1000, le=300_000)
    # Prod (deploy/k8s/overlays/prod): SASL_SSL with SCRAM-SHA-512, one Kafka principal per service.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str = Field(default="", description="the service's Kafka principal (SASL)")
    kafka_password: SecretStr | None = Field(default=None, description="its SASL password")
    kafka_ca_file: Path | None = Field(
        default=None, description="PEM CA bundle the broker's TLS certificate is checked against"
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", description="uvloop (libuv) is faster; asyncio is the standard library's loop"
    )
    shutdown_grace_seconds: float = Field(default=5.0, ge=0, le=120)
    dependency_timeout_seconds: float = Field(
        default=60.0, gt=0, description="how long to retry an unreachable broker or database before giving up"
    )
    write_stall_seconds: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="a publish unanswered this long (broker paused or unreachable) turns health NOT_SERVING",
    )
    # The provider ops key (all tenants). client-tenant requires it; the others accept it when set
    # and otherwise take only tenant keys (from the replicated key states).
    admin_api_key: SecretStr | None = Field(default=None, min_length=24)
    # One name for every service (no service prefix): the public keys client-tenant's configuration
    # records are checked against; required by the services that read the configuration topic.
    config_verify_key_file: Path | None = Field(
        default=None,
        validation_alias="VAXEL_CONFIG_VERIFY_KEY_FILE",
        description="PEM file of one or more Ed25519 public keys (several during a key rotation)",
    )

    def kafka_security(self) -> KafkaSecurity:
        """The Kafka client security these settings ask for (validated: SASL needs user and password)."""
        password = self.kafka_password.get_secret_value() if self.kafka_password else ""
        return KafkaSecurity.of(
            self.kafka_security_protocol,
            self.kafka_sasl_mechanism,
            self.kafka_username,
            password,
            self.kafka_ca_file,
        )


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S]) -> S:
    """Build settings from the environment; a bad value raises one readable line.

    >>> # VAXEL_ROUTING_GRPC_PORT=abc -> ConfigurationError("VAXEL_ROUTING_GRPC_PORT: ...")
    """
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        problems = []
        for err in exc.errors():
            name = (prefix + "_".join(str(part) for part in err["loc"])).upper()
            problems.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigurationError("invalid setting " + "; ".join(problems)) from None
