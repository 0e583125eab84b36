"""How the Kafka clients authenticate and encrypt: plaintext on the embedded default, SASL_SSL in prod.

:class:`KafkaSecurity` turns the services' Kafka settings (``VAXEL_<SERVICE>_KAFKA_SECURITY_PROTOCOL``,
``_KAFKA_SASL_MECHANISM``, ``_KAFKA_USERNAME``, ``_KAFKA_PASSWORD``, ``_KAFKA_CA_FILE``) into the options
of aiokafka and of kafka-python, so that every client of a service connects as its one principal.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context

from vaxel_common.errors import ConfigurationError

__all__ = ["PLAINTEXT", "KafkaSecurity"]


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    protocol: str = "PLAINTEXT"
    mechanism: str = "SCRAM-SHA-512"
    username: str = ""
    password: str = ""
    ca_file: Path | None = None

    @classmethod
    def of(
        cls, protocol: str, mechanism: str, username: str, password: str, ca_file: Path | None
    ) -> KafkaSecurity:
        """Checked settings: SASL needs a username and a password; a CA file must be readable."""
        if protocol.startswith("SASL") and not (username and password):
            raise ConfigurationError(
                f"Kafka security {protocol}: KAFKA_USERNAME and KAFKA_PASSWORD are required"
            )
        if ca_file is not None and not ca_file.is_file():
            raise ConfigurationError(f"KAFKA_CA_FILE: {ca_file} is not a readable file")
        return cls(protocol, mechanism, username, password, ca_file)

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL")

    def ssl_context(self) -> ssl.SSLContext:
        context: ssl.SSLContext = create_ssl_context(cafile=str(self.ca_file) if self.ca_file else None)
        return context

    def aiokafka(self) -> dict[str, Any]:
        """Options for ``AIOKafkaProducer`` / ``AIOKafkaConsumer``."""
        if self.protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        return options | self._sasl_options()

    def kafka_python(self) -> dict[str, Any]:
        """Options for kafka-python's clients (admin, scripts)."""
        if self.protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.tls and self.ca_file is not None:
            options["ssl_cafile"] = str(self.ca_file)
        return options | self._sasl_options()

    def _sasl_options(self) -> dict[str, Any]:
        """The SASL options, named alike by both clients."""
        if not self.sasl:
            return {}
        return {
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }


PLAINTEXT = KafkaSecurity()
