"""Bounds of every SLA request, checked before any work: INVALID_ARGUMENT naming the field.

Every string at most its limit without control characters (``vaxel_vocabulary.limits``); days between
:data:`FIRST_DAY` and :data:`LAST_DAY`; report periods within those days and at most
:data:`MAX_PERIOD`; intervals 15 or 30 minutes; history at most :data:`MAX_HISTORY_WEEKS`; at most
:data:`MAX_SITES` sites and :data:`MAX_TENANTS` tenants in a site plan; enums by their known values.
With these the longest legal request is bounded by the configuration (queues, history), and its
servicer checks the call's deadline between steps (``vaxel_common.deadline``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from datetime import time as clock

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from vaxel.types.v1 import types_pb2
from vaxel_common.auth import caller_tenant
from vaxel_common.errors import InvalidArgument
from vaxel_sla.domain.forecast import PLAN_WEEKS
from vaxel_vocabulary.limits import FIRST_DAY, LAST_DAY, check_instant, check_strings
from vaxel_vocabulary.scopes import REPORTS_READ

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_HISTORY_WEEKS",
    "MAX_PERIOD",
    "MAX_SITES",
    "MAX_TENANTS",
    "channel",
    "check_request",
    "count",
    "day",
    "enum_value",
    "local_clock",
    "minutes",
    "period",
    "tenant",
    "weeks",
]

MAX_PERIOD = timedelta(days=366)
MAX_HISTORY_WEEKS = 52
MAX_SITES = 50
MAX_TENANTS = 1_000


def check_request(request: Message) -> None:
    """Every string of ``request`` within its size, without control characters."""
    check_strings(request)


def tenant(requested: str, *, all_allowed: bool = False) -> str:
    """The tenant the caller may read (``reports:read``); ops name one, or all where allowed."""
    return caller_tenant(requested, REPORTS_READ, all_allowed=all_allowed)


def minutes(value: int, field: str = "interval_minutes") -> int:
    if value == 0:
        return 15
    if value not in (15, 30):
        raise InvalidArgument(field, "15 or 30")
    return value


def weeks(value: int) -> int:
    """History weeks a forecast reads: ``PLAN_WEEKS`` (12) when unset, at most 52."""
    if value > MAX_HISTORY_WEEKS:
        raise InvalidArgument("history_weeks", f"at most {MAX_HISTORY_WEEKS}")
    return value or PLAN_WEEKS


def period(start: Timestamp, end: Timestamp, has_start: bool, has_end: bool) -> tuple[datetime, datetime]:
    if not has_start:
        raise InvalidArgument("from", "required")
    if not has_end:
        raise InvalidArgument("to", "required")
    first, last = check_instant("from", start), check_instant("to", end)
    if last <= first:
        raise InvalidArgument("to", "must be after from")
    if last - first > MAX_PERIOD:
        raise InvalidArgument("to", f"a period is at most {MAX_PERIOD.days} days")
    return first, last


def day(value: str, field: str) -> date:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(field, "a date YYYY-MM-DD") from None
    if not FIRST_DAY <= parsed <= LAST_DAY:
        raise InvalidArgument(field, f"between {FIRST_DAY} and {LAST_DAY}")
    return parsed


def local_clock(value: str, field: str) -> clock:
    try:
        return clock.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(field, "a local time HH:MM") from None


def enum_value(value: int, known: Iterable[int], field: str) -> int:
    if value not in set(known):
        raise InvalidArgument(field, f"unknown value {value}")
    return value


def channel(value: int, field: str = "channel") -> int:
    """A known channel number (0: unspecified)."""
    return enum_value(value, types_pb2.Channel.values(), field)


def count(values: int, limit: int, field: str) -> None:
    if values > limit:
        raise InvalidArgument(field, f"at most {limit:,} (got {values:,})")
