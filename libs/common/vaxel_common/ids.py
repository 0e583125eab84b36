"""Deterministic ids: the same decision, replayed, gets the same id (pure; no I/O)."""

from __future__ import annotations

import hashlib
import uuid

__all__ = ["PROVIDER_TENANT_ID", "deterministic_id"]

_NAMESPACE = uuid.UUID("6f1c8f3e-5d1a-4b8e-9a57-0a2c9d6e7b10")
_NAMESPACE_BYTES = _NAMESPACE.bytes

# The tenant id of events that belong to the provider, not to one client company
# (agents serve several tenants from shared pools). No tenant key ever reaches it.
PROVIDER_TENANT_ID = "_provider"


def deterministic_id(*parts: str) -> str:
    """A UUID (version 5) derived from ``parts``; equal to ``uuid.uuid5`` of the joined parts,
    computed without building UUID objects (the routing engine makes several per decision)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + "\x1f".join(parts).encode()).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
