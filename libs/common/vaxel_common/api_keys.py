"""Checking API keys, shared by client-tenant (which issues them) and the services that keep a replica.

A key reads ``vx_<key id>_<secret>``; only SHA-256 of the secret is stored and published
(the secret is 256 random bits, so a slow hash adds nothing). client-tenant publishes each
key's state (tenant, scopes, hash, revoked) on the compacted configuration topic, so
routing, interaction-log and SLA authenticate tenant keys locally, without a call.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from vaxel_common.auth import Principal, api_key_of
from vaxel_common.errors import PermissionDenied, Unauthenticated

__all__ = ["OPS", "KeyRecord", "ReplicatedKeys", "digest", "split_key"]

OPS = Principal(subject="ops", tenant_id=None, scopes=frozenset({"*"}))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(plaintext: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key; secrets may contain underscores."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != "vx" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    tenant_id: str
    scopes: frozenset[str]
    secret_sha256: str
    revoked: bool = False


class ReplicatedKeys:
    """An authenticator over replicated key records and tenant states, plus the ops key."""

    def __init__(self, admin_key: str | None) -> None:
        self._admin_key = admin_key or ""
        self._keys: dict[str, KeyRecord] = {}
        self._suspended: set[str] = set()

    def apply_key(self, record: KeyRecord) -> None:
        held = self._keys.get(record.key_id)
        if held is not None and held.revoked:
            return  # revocation is final, whatever order the records come in
        self._keys[record.key_id] = record

    def set_suspended(self, tenant_id: str, suspended: bool) -> None:
        if suspended:
            self._suspended.add(tenant_id)
        else:
            self._suspended.discard(tenant_id)

    def principal(self, plaintext: str) -> Principal:
        parts = split_key(plaintext)
        record = self._keys.get(parts[0]) if parts else None
        if parts is None or record is None or record.revoked:
            raise Unauthenticated("invalid or revoked API key")
        if not hmac.compare_digest(record.secret_sha256, digest(parts[1])):
            raise Unauthenticated("invalid or revoked API key")
        if record.tenant_id in self._suspended:
            raise PermissionDenied("the tenant is suspended")
        return Principal(subject=f"key:{record.key_id}", tenant_id=record.tenant_id, scopes=record.scopes)

    async def authenticate(self, method: str, metadata: Mapping[str, str]) -> Principal:
        key = api_key_of(metadata)
        if self._admin_key and hmac.compare_digest(key, self._admin_key):
            return OPS
        return self.principal(key)
