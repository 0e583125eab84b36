"""Ed25519 record signatures: what verifies, what does not, key files and rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaxel_common.errors import ConfigurationError
from vaxel_common.signing import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    BadSignature,
    RecordSigner,
    RecordVerifier,
    ensure_key_pair,
)

TOPIC, KEY, VALUE = "vaxel.tenants.config.v1", b"api_key/k1", b"\x0a\x03abc envelope bytes"


def _pem(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _reason(verifier: RecordVerifier, headers: list[tuple[str, bytes]], **changed: object) -> str:
    record = {"topic": TOPIC, "key": KEY, "value": VALUE} | changed
    with pytest.raises(BadSignature) as refused:
        verifier.verify(str(record["topic"]), record["key"], record["value"], headers)  # type: ignore[arg-type]
    return refused.value.reason


class TestSignatures:
    def test_a_signed_record_verifies(self) -> None:
        private = Ed25519PrivateKey.generate()
        headers = RecordSigner(private).headers(TOPIC, KEY, VALUE)
        RecordVerifier([private.public_key()]).verify(TOPIC, KEY, VALUE, headers)
        assert {name for name, _ in headers} == {KEY_ID_HEADER, SIGNATURE_HEADER}

    def test_unsigned_untrusted_and_altered_records_are_refused_with_their_reason(self) -> None:
        private = Ed25519PrivateKey.generate()
        verifier = RecordVerifier([private.public_key()])
        headers = RecordSigner(private).headers(TOPIC, KEY, VALUE)
        stranger = RecordSigner(Ed25519PrivateKey.generate()).headers(TOPIC, KEY, VALUE)
        assert _reason(verifier, []) == "unsigned"
        assert _reason(verifier, headers[:1]) == "unsigned"
        assert _reason(verifier, stranger) == "unknown_key"
        assert _reason(verifier, headers, value=VALUE + b"x") == "bad_signature"
        assert _reason(verifier, headers, key=b"api_key/k2") == "bad_signature"
        assert _reason(verifier, headers, topic="vaxel.interactions.events.v1") == "bad_signature"

    def test_during_a_rotation_every_key_in_the_file_is_trusted(self, tmp_path: Path) -> None:
        old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        (tmp_path / "verify.pem").write_bytes(_pem(old) + _pem(new))
        verifier = RecordVerifier.load(tmp_path / "verify.pem")
        for private in (old, new):
            verifier.verify(TOPIC, KEY, VALUE, RecordSigner(private).headers(TOPIC, KEY, VALUE))
        assert len(verifier.key_ids) == 2


class TestKeyFiles:
    def test_the_embedded_pair_is_made_once_with_a_private_key_only_its_owner_reads(
        self, tmp_path: Path
    ) -> None:
        files = ensure_key_pair(tmp_path / "data")
        assert stat.S_IMODE(files.signing.stat().st_mode) == 0o600
        signer = RecordSigner.load(files.signing)
        verifier = RecordVerifier.load(files.verify)
        verifier.verify(TOPIC, KEY, VALUE, signer.headers(TOPIC, KEY, VALUE))
        assert ensure_key_pair(tmp_path / "data") == files
        assert RecordSigner.load(files.signing).key_id == signer.key_id  # kept, not made again

    def test_a_file_without_a_public_key_is_a_configuration_error(self, tmp_path: Path) -> None:
        (tmp_path / "empty.pem").write_text("nothing here\n")
        with pytest.raises(ConfigurationError, match="no PEM public key"):
            RecordVerifier.load(tmp_path / "empty.pem")
        with pytest.raises(ConfigurationError, match="signing key"):
            RecordSigner.load(tmp_path / "missing.key")
