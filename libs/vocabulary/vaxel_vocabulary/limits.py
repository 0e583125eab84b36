"""Sizes and characters every configuration string must respect, in one place.

:func:`check_strings` walks a request message (nested messages and repeated fields included) and refuses,
with InvalidArgument naming the field's path (``queue.after_hours.message``, ``entry.keywords[2]``):

- a string longer than its limit (:data:`FIELD_LIMITS` by field name, else :data:`DEFAULT_LIMIT`),
- NUL and other control characters (``Cc``); the multi-line fields in :data:`MULTILINE` may hold
  line feeds, carriage returns and tabs.

:func:`check_instant` bounds a request's timestamps to :data:`FIRST_DAY` .. :data:`LAST_DAY`, so a
year 1 or 9999 is INVALID_ARGUMENT rather than an overflow deep in date arithmetic.

It runs before anything is validated further or stored, so a 1 MB name never reaches the store or the
configuration topic. Error messages quote at most :data:`EXCERPT` characters of what was sent
(:func:`excerpt`). services/client-tenant/README.md lists the limits for API users.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from vaxel_common.errors import InvalidArgument

__all__ = [
    "DEFAULT_LIMIT",
    "EXCERPT",
    "FIELD_LIMITS",
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_NAME",
    "MAX_TEXT",
    "MULTILINE",
    "check_instant",
    "check_strings",
    "check_text",
    "excerpt",
]

# Names of tenants, queues and skills.
MAX_NAME = 200
# Long text: call guidelines, FAQ answers.
MAX_TEXT = 20_000
# Ids, codes, tags, zones, dates, keys, tokens: anything without its own limit.
DEFAULT_LIMIT = 256
# Characters of a refused value quoted in an error message.
EXCERPT = 40

FIELD_LIMITS: dict[str, int] = {
    "name": MAX_NAME,
    "description": 2_000,
    "message": 2_000,
    "question": 1_000,
    "answer": MAX_TEXT,
    "text": MAX_TEXT,
    "keywords": 100,
    "address": 320,
    "idempotency_key": 128,
    "comment": 2_000,
    # Opaque tokens carrying the sort key of the last item handed out.
    "page_token": 2_048,
}
# Days a request may name (dates, timestamps of periods).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
_FIRST_SECOND = int(datetime.combine(FIRST_DAY, time(0), UTC).timestamp())
_LAST_SECOND = int(datetime.combine(LAST_DAY + timedelta(days=1), time(0), UTC).timestamp())
MULTILINE = frozenset({"description", "message", "answer", "text", "comment"})
_LINE_BREAKS = frozenset("\n\r\t")


def excerpt(value: str) -> str:
    """``value`` quoted for an error message: at most :data:`EXCERPT` characters, control characters
    escaped, an ellipsis when cut."""
    cut = value[:EXCERPT]
    return repr(cut) + ("..." if len(value) > EXCERPT else "")


def check_text(field: str, value: str, limit: int, *, multiline: bool = False) -> str:
    """``value`` when at most ``limit`` characters without control characters; else InvalidArgument."""
    if len(value) > limit:
        raise InvalidArgument(field, f"at most {limit:,} characters (got {len(value):,})")
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cc" and not (multiline and char in _LINE_BREAKS):
            label = "NUL" if char == "\0" else f"control character U+{ord(char):04X}"
            raise InvalidArgument(field, f"{label} at position {position} is not allowed")
    return value


def check_strings(message: Message, path: str = "") -> None:
    """Every string field of ``message``, recursively: InvalidArgument for the first one out of bounds."""
    for descriptor, value in message.ListFields():
        name = f"{path}.{descriptor.name}" if path else descriptor.name
        repeated = descriptor.is_repeated
        items = list(value) if repeated else [value]
        for i, item in enumerate(items):
            field = f"{name}[{i}]" if repeated else name
            if descriptor.type == FieldDescriptor.TYPE_STRING:
                limit = FIELD_LIMITS.get(descriptor.name, DEFAULT_LIMIT)
                check_text(field, item, limit, multiline=descriptor.name in MULTILINE)
            elif descriptor.type == FieldDescriptor.TYPE_MESSAGE and isinstance(item, Message):
                check_strings(item, field)


def check_instant(field: str, stamp: Timestamp) -> datetime:
    """``stamp`` as a UTC datetime when between :data:`FIRST_DAY` and :data:`LAST_DAY`; else InvalidArgument."""
    if not _FIRST_SECOND <= stamp.seconds < _LAST_SECOND:
        raise InvalidArgument(field, f"between {FIRST_DAY} and {LAST_DAY}")
    return stamp.ToDatetime(UTC)
