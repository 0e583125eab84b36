"""Local days and ISO weeks of a tenant's zone, in a form SQL can group by.

Reports group interactions by the local day (or ISO week) they began in the tenant's IANA
zone. SQLite has no time zones, so the period is cut into :class:`Segment` s within which the
zone's UTC offset is constant (a DST change ends one and starts the next). Inside a segment an
instant's local day number is ``(utc_us + offset_us) // DAY_US`` (days since 1970-01-01) and its
ISO week number ``(day + 3) // 7`` (weeks since Monday 1969-12-29): integer arithmetic that
SQLite and PostgreSQL both evaluate, and that :func:`day_of` / :func:`week_start` turn back into
dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vaxel_interaction_log.domain.search import from_micros, period, to_micros

__all__ = [
    "DAY_US",
    "LocalPeriod",
    "Segment",
    "day_index",
    "day_number",
    "day_of",
    "local_days",
    "local_midnight",
    "local_span",
    "local_weeks",
    "offset_segments",
    "week_index",
    "week_label",
    "week_start",
    "zone_of",
]

DAY_US = 86_400_000_000
_EPOCH = date(1970, 1, 1)
_STEP = timedelta(hours=6)  # no zone changes its offset twice within 6 hours


@dataclass(frozen=True, slots=True)
class Segment:
    """[start_us, end_us) in UTC microseconds, where the zone's offset is ``offset_us``."""

    start_us: int
    end_us: int
    offset_us: int


@dataclass(frozen=True, slots=True)
class LocalPeriod:
    """A period widened to whole local days (or weeks): [start, end) in UTC, the first and last
    local dates, and the constant-offset segments that cover it."""

    zone: ZoneInfo
    start: datetime
    end: datetime
    first_day: date
    last_day: date
    segments: tuple[Segment, ...]


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # client-tenant validates zones; a stale replica never breaks a report


def _offset_us(zone: ZoneInfo, at_us: int) -> int:
    offset = from_micros(at_us).astimezone(zone).utcoffset()
    return to_micros(datetime(1970, 1, 1, tzinfo=UTC) + offset) if offset else 0


def offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[Segment, ...]:
    """Cut [start, end) where the zone's UTC offset changes (found to the microsecond)."""
    first, last = to_micros(start), to_micros(end)
    step = to_micros(datetime(1970, 1, 1, tzinfo=UTC) + _STEP)
    segments: list[Segment] = []
    seg_start, offset = first, _offset_us(zone, first)
    probe = first
    while probe < last:
        nxt = min(probe + step, last)
        if _offset_us(zone, nxt) != offset and nxt < last:
            low, high = probe, nxt  # offset(low) == offset, offset(high) differs
            while high - low > 1:
                mid = (low + high) // 2
                if _offset_us(zone, mid) == offset:
                    low = mid
                else:
                    high = mid
            segments.append(Segment(seg_start, high, offset))
            seg_start, offset = high, _offset_us(zone, high)
        probe = nxt
    segments.append(Segment(seg_start, last, offset))
    return tuple(s for s in segments if s.end_us > s.start_us)


def day_index(at: datetime, zone: ZoneInfo) -> int:
    """The local day number (days since 1970-01-01) of an instant, as the SQL computes it."""
    us = to_micros(at)
    return (us + _offset_us(zone, us)) // DAY_US


def week_index(day: int) -> int:
    """The ISO week number (weeks since Monday 1969-12-29) of a local day number."""
    return (day + 3) // 7


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the inverse of :func:`day_of`)."""
    return (day - _EPOCH).days


def day_of(index: int) -> date:
    return _EPOCH + timedelta(days=index)


def week_start(index: int) -> date:
    """The Monday of a week number."""
    return _EPOCH + timedelta(days=7 * index - 3)


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant the local day begins (where midnight falls in a DST gap: the end of the gap)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def local_span(zone: ZoneInfo, first_day: date, end_day: date) -> LocalPeriod:
    """The local days [first_day, end_day) as a :class:`LocalPeriod`."""
    start, end = local_midnight(first_day, zone), local_midnight(end_day, zone)
    return LocalPeriod(
        zone, start, end, first_day, end_day - timedelta(days=1), offset_segments(zone, start, end)
    )


def local_days(zone: ZoneInfo, start: datetime | None, end: datetime | None) -> LocalPeriod:
    """A required period [from, to), widened to whole local days."""
    first, last = period(start, end)
    first_day = first.astimezone(zone).date()
    last_day = (last - timedelta(microseconds=1)).astimezone(zone).date()
    return local_span(zone, first_day, last_day + timedelta(days=1))


def local_weeks(zone: ZoneInfo, start: datetime | None, end: datetime | None) -> LocalPeriod:
    """A required period [from, to), widened to whole ISO weeks (Monday 00:00 local)."""
    days = local_days(zone, start, end)
    monday = days.first_day - timedelta(days=days.first_day.weekday())
    after = days.last_day + timedelta(days=7 - days.last_day.weekday())
    return local_span(zone, monday, after)
