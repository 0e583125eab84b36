"""Printing for people (rich tables) and for programs (``--json``: one JSON object per line)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console

from vaxel.types.v1 import types_pb2

__all__ = [
    "channel_name",
    "console",
    "duration",
    "emit_json",
    "message_dict",
    "percent",
    "span",
    "timestamp",
    "to_timestamp",
]

_WIDE = 240  # piped output is not cut at 80 columns (ids stay whole and greppable)


def console(stderr: bool = False) -> Console:
    """A console on the current stdout (or stderr); wide when it is not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(file=stream, highlight=False, width=None if terminal else _WIDE, soft_wrap=not terminal)


def message_dict(message: Message) -> dict[str, object]:
    """A message as JSON-ready data: proto field names, enums by name, zero values included."""
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def emit_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, sort_keys=False))


def channel_name(value: int) -> str:
    """``CHANNEL_VOICE`` -> ``voice``."""
    try:
        return types_pb2.Channel.Name(value).removeprefix("CHANNEL_").lower()  # type: ignore[arg-type]
    except ValueError:
        return str(value)


def percent(fraction: float | None) -> str:
    """0.8 -> ``80.0%``; None (nothing to divide by) -> ``-``."""
    return "-" if fraction is None else f"{fraction * 100:.1f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


def span(seconds: int) -> str:
    """Exact, for configured thresholds: 20 -> ``20s``, 14400 -> ``4h``, 5400 -> ``1h30m``."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0s"


def timestamp(stamp: Timestamp, zone: str = "") -> str:
    """A set timestamp as local time of ``zone`` (UTC when empty), ISO without microseconds; else ``-``."""
    if not stamp.seconds and not stamp.nanos:
        return "-"
    at = stamp.ToDatetime(tzinfo=UTC).replace(microsecond=0)
    return (at.astimezone(ZoneInfo(zone)) if zone else at).isoformat()


def to_timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at.astimezone(UTC))
    return stamp
