"""How a key travels: gRPC metadata ``authorization: Bearer <key>``."""

from __future__ import annotations

__all__ = ["Metadata", "bearer"]

Metadata = tuple[tuple[str, str], ...]


def bearer(api_key: str) -> Metadata:
    """gRPC metadata carrying ``api_key``."""
    return (("authorization", f"Bearer {api_key}"),)
