"""Ed25519 signatures of Kafka records, so that readers can tell a genuine record from a forged one.

client-tenant signs every record it writes on the tenant-configuration topic (API key states, tenants,
queues, everything: they are few); routing, interaction-log and SLA hold only public keys and refuse a
record of a signed topic (``TopicSpec.signed``) that is unsigned or whose signature does not match.

Where the signature travels: two Kafka record headers, :data:`KEY_ID_HEADER` (which key signed, the
first 16 hex digits of SHA-256 of its raw public key) and :data:`SIGNATURE_HEADER` (64 bytes). The
signature covers :func:`signed_bytes`: the topic, the record key and the record value byte for byte,
so the whole ``vaxel.events.v1.Event`` envelope (id, type, tenant, occurred-at, producer, schema
version, payload) as it was written; nothing is re-serialised before checking it, and a record moved
to another topic or key does not verify.

Key rotation: a verify-key file may hold several PEM public keys, and a record signed by any of them is
accepted. Add the new public key to every reader's file, then give client-tenant the new private key;
remove the old public key only once no record signed with it is left on the compacted topic
(docs/operations.md, "Signing keys and who may write").
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vaxel_common.errors import ConfigurationError

__all__ = [
    "KEY_ID_HEADER",
    "SIGNATURE_HEADER",
    "BadSignature",
    "KeyPairFiles",
    "RecordSigner",
    "RecordVerifier",
    "ensure_key_pair",
    "key_id_of",
    "signed_bytes",
]

KEY_ID_HEADER = "vaxel-signing-key"
SIGNATURE_HEADER = "vaxel-signature"
_DOMAIN = b"vaxel.record.v1\x00"

Headers = Sequence[tuple[str, bytes]]


class BadSignature(Exception):  # noqa: N818  (an outcome of checking a record)
    """A record of a signed topic that must not be applied; ``reason`` is one of a small set (a label)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def signed_bytes(topic: str, key: bytes | None, value: bytes) -> bytes:
    """What a signature covers: a domain tag, the topic, the key and the value (lengths first)."""
    key = key or b""
    parts = [topic.encode(), key, value]
    return _DOMAIN + b"".join(len(p).to_bytes(8, "big") + p for p in parts)


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class RecordSigner:
    """Signs records with one Ed25519 private key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.key_id = key_id_of(private.public_key())

    @classmethod
    def load(cls, path: Path) -> RecordSigner:
        """The PEM (PKCS#8, unencrypted) private key in ``path``."""
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"config signing key {path}: {type(exc).__name__}: {exc}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise ConfigurationError(f"config signing key {path}: not an Ed25519 private key")
        return cls(private)

    def verifier(self) -> RecordVerifier:
        """A verifier of this signer's own records (client-tenant telling its records from others)."""
        return RecordVerifier([self._private.public_key()])

    def headers(self, topic: str, key: bytes | None, value: bytes) -> list[tuple[str, bytes]]:
        """The record headers that carry the signature of (topic, key, value)."""
        signature = self._private.sign(signed_bytes(topic, key, value))
        return [(KEY_ID_HEADER, self.key_id.encode()), (SIGNATURE_HEADER, signature)]


class RecordVerifier:
    """Checks records against a set of trusted Ed25519 public keys (several during a rotation)."""

    def __init__(self, keys: Iterable[Ed25519PublicKey]) -> None:
        self._keys = {key_id_of(k): k for k in keys}
        if not self._keys:
            raise ConfigurationError("no config verify key given")

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    @classmethod
    def load(cls, path: Path) -> RecordVerifier:
        """Every PEM public key in ``path`` (one or more ``BEGIN PUBLIC KEY`` blocks)."""
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"config verify keys {path}: {type(exc).__name__}: {exc}") from None
        end = "-----END PUBLIC KEY-----"
        blocks = [b + end for b in text.split(end) if "-----BEGIN PUBLIC KEY-----" in b]
        keys = []
        for block in blocks:
            try:
                public = serialization.load_pem_public_key(block.strip().encode())
            except ValueError as exc:
                raise ConfigurationError(f"config verify keys {path}: {exc}") from None
            if not isinstance(public, Ed25519PublicKey):
                raise ConfigurationError(f"config verify keys {path}: a key is not Ed25519")
            keys.append(public)
        if not keys:
            raise ConfigurationError(f"config verify keys {path}: no PEM public key in the file")
        return cls(keys)

    def verify(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        """Return if the record is signed by a trusted key; else raise :class:`BadSignature`."""
        found = {name: data for name, data in headers if name in (KEY_ID_HEADER, SIGNATURE_HEADER)}
        key_id, signature = found.get(KEY_ID_HEADER), found.get(SIGNATURE_HEADER)
        if key_id is None or signature is None:
            raise BadSignature("unsigned", "record is not signed")
        public = self._keys.get(key_id.decode(errors="replace"))
        if public is None:
            raise BadSignature("unknown_key", "record is signed by a key that is not trusted")
        try:
            public.verify(signature, signed_bytes(topic, key, value))
        except InvalidSignature:
            raise BadSignature("bad_signature", "record signature does not match") from None


@dataclass(frozen=True, slots=True)
class KeyPairFiles:
    signing: Path
    verify: Path

    @classmethod
    def in_directory(cls, directory: Path, name: str = "config-signing") -> KeyPairFiles:
        return cls(directory / f"{name}.key", directory / f"{name}.pub")


def ensure_key_pair(directory: Path, name: str = "config-signing") -> KeyPairFiles:
    """The key pair kept in ``directory`` (``NAME.key`` mode 0600, ``NAME.pub``), made at first use:
    the embedded default's (launcher, ``make run``, the test session's platform)."""
    files = KeyPairFiles.in_directory(directory, name)
    if files.signing.exists() and files.verify.exists():
        return files
    directory.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(files.signing, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(files.signing, 0o600)  # also when the file was there with other bits
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    files.verify.write_bytes(public)
    return files
