"""The services' Kafka settings become the clients' security options (prod: SASL_SSL, SCRAM-SHA-512)."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vaxel_common.errors import ConfigurationError
from vaxel_common.settings import ServiceSettings, load_settings


def _ca(path: Path) -> Path:
    """A self-signed CA certificate in PEM, as Strimzi's cluster CA Secret holds one."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster-ca")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


class TestKafkaSecurity:
    def test_plaintext_by_default_adds_no_options(self) -> None:
        security = ServiceSettings().kafka_security()
        assert security.aiokafka() == {}
        assert security.kafka_python() == {}

    def test_sasl_ssl_with_scram_gives_both_clients_the_principal_and_the_ca(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        ca = _ca(tmp_path / "ca.crt")
        for name, value in {
            "SECURITY_PROTOCOL": "SASL_SSL",
            "SASL_MECHANISM": "SCRAM-SHA-512",
            "USERNAME": "vaxel-routing",
            "PASSWORD": "s3cret-from-strimzi",
            "CA_FILE": str(ca),
        }.items():
            monkeypatch.setenv(f"VAXEL_KAFKA_{name}", value)
        security = load_settings(ServiceSettings).kafka_security()
        options = security.aiokafka()
        assert options["security_protocol"] == "SASL_SSL"
        assert options["sasl_mechanism"] == "SCRAM-SHA-512"
        assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
            "vaxel-routing",
            "s3cret-from-strimzi",
        )
        context = options["ssl_context"]
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert len(context.get_ca_certs()) == 1
        assert security.kafka_python()["ssl_cafile"] == str(ca)

    def test_sasl_without_a_password_or_with_a_missing_ca_is_a_configuration_error(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("VAXEL_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
        monkeypatch.setenv("VAXEL_KAFKA_USERNAME", "vaxel-sla")
        with pytest.raises(ConfigurationError, match="KAFKA_PASSWORD"):
            load_settings(ServiceSettings).kafka_security()
        monkeypatch.setenv("VAXEL_KAFKA_PASSWORD", "x")
        monkeypatch.setenv("VAXEL_KAFKA_CA_FILE", str(tmp_path / "absent.crt"))
        with pytest.raises(ConfigurationError, match="KAFKA_CA_FILE"):
            load_settings(ServiceSettings).kafka_security()
