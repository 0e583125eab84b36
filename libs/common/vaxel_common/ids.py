"""Deterministic ids: the same decision, replayed, gets the same id (pure; no I/O)."""

from __future__ import annotations

import uuid

__all__ = ["PROVIDER_TENANT_ID", "deterministic_id"]

_NAMESPACE = uuid.UUID("6f1c8f3e-5d1a-4b8e-9a57-0a2c9d6e7b10")

# The tenant id of events that belong to the provider, not to one client company
# (agents serve several tenants from shared pools). No tenant key ever reaches it.
PROVIDER_TENANT_ID = "_provider"


def deterministic_id(*parts: str) -> str:
    """A UUID derived from ``parts``."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))
