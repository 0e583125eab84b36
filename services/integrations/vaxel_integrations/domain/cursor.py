"""The tenant stream's cursor: the next offset of every partition read, as an opaque token (pure).

A token is URL-safe base64 of ``v1;topic:partition:offset;...``. It says nothing about tenants: the
stream filters by the caller's tenant whatever the cursor, so a forged cursor only moves the start.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from vaxel_common.errors import InvalidArgument

__all__ = ["decode_cursor", "encode_cursor"]

_VERSION = "v1"
_MAX_TOKEN = 4096

Positions = Mapping[tuple[str, int], int]


def encode_cursor(positions: Positions) -> str:
    parts = [f"{topic}:{partition}:{offset}" for (topic, partition), offset in sorted(positions.items())]
    raw = ";".join([_VERSION, *parts])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, topics: frozenset[str]) -> dict[tuple[str, int], int]:
    """The positions of ``token``; INVALID_ARGUMENT naming ``cursor`` when it is not one of ours."""
    if len(token) > _MAX_TOKEN:
        raise InvalidArgument("cursor", "too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidArgument("cursor", "not a cursor of this stream") from exc
    version, *parts = raw.split(";")
    if version != _VERSION:
        raise InvalidArgument("cursor", "not a cursor of this stream")
    positions: dict[tuple[str, int], int] = {}
    for part in parts:
        topic, _, rest = part.rpartition(":")
        topic, _, partition = topic.rpartition(":")
        if topic not in topics or not partition.isdigit() or not rest.isdigit():
            raise InvalidArgument("cursor", "not a cursor of this stream")
        positions[(topic, int(partition))] = int(rest)
    return positions
