"""Searches over interaction records: validated filters, a period, and stable cursor pages.

A page token carries the sort key (start time in microseconds, interaction id) of the last
record handed out, so a page is stable while new interactions arrive (the token format and page
size rules are client-tenant's, shared through :mod:`vaxel_vocabulary.pagination`).
Errors name the field and never echo the value: filters may hold personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vaxel_common.errors import InvalidArgument
from vaxel_interaction_log.domain.timeline import InteractionRecord, Outcome
from vaxel_vocabulary.pagination import decode_token, encode_token, page_size_of

__all__ = [
    "MAX_PERIOD",
    "Cursor",
    "Filter",
    "Search",
    "cursor_of",
    "from_micros",
    "next_token",
    "parse_cursor",
    "period",
    "text_filter",
    "to_micros",
]

MAX_PERIOD = timedelta(days=366)
_MAX_TEXT = 200
_CHANNELS = range(0, 7)

Cursor = tuple[int, str]


@dataclass(frozen=True, slots=True)
class Filter:
    """Every empty field matches everything."""

    queue_id: str = ""
    channel: int = 0
    outcome: Outcome | None = None
    agent_id: str = ""
    tag: str = ""
    disposition: str = ""
    customer_ref: str = ""


@dataclass(frozen=True, slots=True)
class Search:
    tenant_id: str
    start: datetime | None
    end: datetime | None
    filter: Filter
    page_size: int
    after: Cursor | None = None


def to_micros(when: datetime) -> int:
    return round(when.timestamp() * 1_000_000)


def from_micros(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


def text_filter(field: str, value: str) -> str:
    """A text filter's value, checked for length only (its content is the caller's)."""
    if len(value) > _MAX_TEXT:
        raise InvalidArgument(field, f"at most {_MAX_TEXT} characters")
    if any(ord(c) < 32 for c in value):
        raise InvalidArgument(field, "no control characters")
    return value


def channel_filter(field: str, value: int) -> int:
    if value not in _CHANNELS:
        raise InvalidArgument(field, "not a known channel")
    return value


def period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """A required, bounded period [from, to)."""
    if start is None:
        raise InvalidArgument("from", "required")
    if end is None:
        raise InvalidArgument("to", "required")
    if end <= start:
        raise InvalidArgument("to", "must be after from")
    if end - start > MAX_PERIOD:
        raise InvalidArgument("to", "a period is at most 366 days")
    return start, end


def parse_cursor(token: str) -> Cursor | None:
    key = decode_token(token)
    if not key:
        return None
    if len(key) != 2 or not key[0].lstrip("-").isdigit():
        raise InvalidArgument("page_token", "not a token from a previous page")
    return int(key[0]), key[1]


def cursor_of(record: InteractionRecord) -> Cursor:
    started = record.started_at
    return (to_micros(started) if started else 0, record.interaction_id)


def next_token(records: list[InteractionRecord], page_size: int) -> tuple[list[InteractionRecord], str]:
    """``records`` holds up to page_size + 1 rows: the page, and a token when there is more."""
    if len(records) <= page_size:
        return records, ""
    page = records[:page_size]
    started, interaction_id = cursor_of(page[-1])
    return page, encode_token([str(started), interaction_id])


def size_of(requested: int) -> int:
    return page_size_of(requested)
