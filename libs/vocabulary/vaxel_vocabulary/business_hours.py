"""Business hours of a queue in its own IANA time zone: weekly shifts, public holidays, date exceptions.

Pure functions that routing and SLA import too: :func:`is_open`, :func:`next_opening`,
:func:`next_closing`, :func:`business_seconds_between`, :func:`add_business_seconds`.
Instants in and out are timezone-aware (UTC on the wire).

Rules:
- A shift is ``[start, end)`` in local wall-clock time; ``end == time(0, 0)`` means 24:00, the end of the day.
- Local times are made absolute with :mod:`zoneinfo` and ``fold=0``: a time that does not exist (the hour
  skipped when clocks go forward) moves forward by the gap; an ambiguous time (the hour repeated when clocks
  go back) takes its first occurrence. So a shift 01:00-04:00 lasts 2 real hours on the spring-forward night
  in Europe/Stockholm and 3 on an ordinary night; a shift ending at 02:30 on the fall-back night ends at the
  first 02:30.
- On a public holiday of ``holidays_country`` (and subdivision) the queue is closed, unless a date exception
  gives that date its own shifts. A date exception with no shifts closes the day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.validation import validate_time_zone

__all__ = [
    "BusinessHours",
    "DateException",
    "Shift",
    "add_business_seconds",
    "business_hours",
    "business_seconds_between",
    "is_open",
    "next_closing",
    "next_opening",
]

MIDNIGHT = time(0, 0)
_HORIZON_DAYS = 370
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class Shift:
    """Open from ``start`` to ``end`` local time; ``end == 00:00`` means 24:00."""

    start: time
    end: time

    @property
    def end_minutes(self) -> int:
        return 24 * 60 if self.end == MIDNIGHT else self.end.hour * 60 + self.end.minute

    @property
    def start_minutes(self) -> int:
        return self.start.hour * 60 + self.start.minute


@dataclass(frozen=True, slots=True)
class DateException:
    """The day's own shifts (none: closed all day), replacing the weekly schedule and any holiday."""

    day: date
    shifts: tuple[Shift, ...] = ()


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Build with :func:`business_hours`, which validates."""

    time_zone: str
    weekly: tuple[tuple[Shift, ...], ...]
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    exceptions: tuple[DateException, ...] = ()
    _exceptions_by_day: Mapping[date, tuple[Shift, ...]] = field(
        default_factory=dict, compare=False, hash=False
    )


def business_hours(
    time_zone: str,
    weekly: Mapping[int, Sequence[Shift]],
    holidays_country: str | None = None,
    holidays_subdivision: str | None = None,
    exceptions: Sequence[DateException] = (),
) -> BusinessHours:
    """Validated business hours; ``weekly`` maps weekday (0 = Monday) to that day's shifts."""
    validate_time_zone("time_zone", time_zone)
    days: list[tuple[Shift, ...]] = []
    for weekday in range(7):
        shifts = tuple(sorted(weekly.get(weekday, ()), key=lambda s: s.start_minutes))
        _validate_shifts(f"weekly.{_DAY_NAMES[weekday]}", shifts)
        days.append(shifts)
    unknown_days = set(weekly) - set(range(7))
    if unknown_days:
        raise InvalidArgument("weekly", f"weekday must be 0 (Monday) to 6 (Sunday), got {min(unknown_days)}")
    if holidays_country is not None:
        supported = _supported_countries()
        if holidays_country not in supported:
            raise InvalidArgument("holidays_country", f"no public-holiday calendar for {holidays_country!r}")
        if holidays_subdivision and holidays_subdivision not in supported[holidays_country]:
            raise InvalidArgument(
                "holidays_subdivision", f"{holidays_subdivision!r} is not a subdivision of {holidays_country}"
            )
    by_day: dict[date, tuple[Shift, ...]] = {}
    for exception in exceptions:
        if exception.day in by_day:
            raise InvalidArgument("exceptions", f"{exception.day.isoformat()} is given twice")
        shifts = tuple(sorted(exception.shifts, key=lambda s: s.start_minutes))
        _validate_shifts(f"exceptions.{exception.day.isoformat()}", shifts)
        by_day[exception.day] = shifts
    return BusinessHours(
        time_zone=time_zone,
        weekly=tuple(days),
        holidays_country=holidays_country,
        holidays_subdivision=holidays_subdivision or None,
        exceptions=tuple(sorted(exceptions, key=lambda e: e.day)),
        _exceptions_by_day=by_day,
    )


def _validate_shifts(field_name: str, shifts: tuple[Shift, ...]) -> None:
    previous_end = -1
    for shift in shifts:
        if shift.start_minutes >= shift.end_minutes:
            raise InvalidArgument(
                field_name, f"shift {shift.start:%H:%M}-{shift.end:%H:%M} ends before it starts"
            )
        if shift.start_minutes < previous_end:
            raise InvalidArgument(field_name, f"shift starting {shift.start:%H:%M} overlaps the one before")
        previous_end = shift.end_minutes


@cache
def _supported_countries() -> dict[str, list[str]]:
    return dict(holiday_calendars.list_supported_countries())


@lru_cache(maxsize=4096)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    calendar = holiday_calendars.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(calendar.keys())


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _shifts_on(hours: BusinessHours, day: date) -> tuple[Shift, ...]:
    exception = hours._exceptions_by_day.get(day)
    if exception is not None:
        return exception
    if hours.holidays_country and day in _holidays(
        hours.holidays_country, hours.holidays_subdivision, day.year
    ):
        return ()
    return hours.weekly[day.weekday()]


@lru_cache(maxsize=65536)
def _intervals_on(hours: BusinessHours, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The day's open intervals as UTC instants, contiguous ones merged."""
    zone = _zone(hours.time_zone)
    out: list[tuple[datetime, datetime]] = []
    for shift in _shifts_on(hours, day):
        start = datetime.combine(day, shift.start, tzinfo=zone).astimezone(UTC)
        end_day = day + timedelta(days=1) if shift.end == MIDNIGHT else day
        end = datetime.combine(end_day, shift.end, tzinfo=zone).astimezone(UTC)
        if end <= start:  # a shift wholly inside the hour skipped at spring-forward
            continue
        if out and out[-1][1] >= start:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def _utc(at: datetime) -> datetime:
    """Instants are compared in UTC: two datetimes in the same zone subtract by wall clock in Python."""
    if at.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return at.astimezone(UTC)


def _local_day(hours: BusinessHours, at: datetime) -> date:
    return at.astimezone(_zone(hours.time_zone)).date()


def _intervals_from(
    hours: BusinessHours, day: date, days: int = _HORIZON_DAYS
) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals from local ``day`` on, in order, merged across midnight."""
    pending: tuple[datetime, datetime] | None = None
    for offset in range(days):
        for start, end in _intervals_on(hours, day + timedelta(days=offset)):
            if pending is not None and pending[1] >= start:
                pending = (pending[0], max(pending[1], end))
                continue
            if pending is not None:
                yield pending
            pending = (start, end)
    if pending is not None:
        yield pending


def is_open(hours: BusinessHours, at: datetime) -> bool:
    """Whether the queue is open at instant ``at``."""
    at = _utc(at)
    day = _local_day(hours, at)
    return any(start <= at < end for start, end in _intervals_on(hours, day))


def next_opening(hours: BusinessHours, at: datetime) -> datetime | None:
    """``at`` if open, else the next instant it opens (UTC); None if it does not open within a year."""
    at = _utc(at)
    for start, end in _intervals_from(hours, _local_day(hours, at) - timedelta(days=1)):
        if end > at:
            return max(start, at)
    return None


def next_closing(hours: BusinessHours, at: datetime) -> datetime | None:
    """When the current (or, if closed, the next) open period ends (UTC); None if never within a year."""
    at = _utc(at)
    first = _local_day(hours, at) - timedelta(days=1)
    horizon = datetime.combine(first + timedelta(days=_HORIZON_DAYS), MIDNIGHT, tzinfo=_zone(hours.time_zone))
    for _start, end in _intervals_from(hours, first):
        if end > at:
            return None if end >= horizon else end  # open up to the horizon: no closing in sight
    return None


def business_seconds_between(hours: BusinessHours, start: datetime, end: datetime) -> float:
    """Open seconds in ``[start, end)``; 0 when ``end <= start``."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0.0
    total = 0.0
    first, last = _local_day(hours, start) - timedelta(days=1), _local_day(hours, end) + timedelta(days=1)
    for opened, closed in _intervals_from(hours, first, (last - first).days + 1):
        if opened >= end:
            break
        overlap = (min(closed, end) - max(opened, start)).total_seconds()
        if overlap > 0:
            total += overlap
    return total


def add_business_seconds(hours: BusinessHours, start: datetime, seconds: float) -> datetime | None:
    """The instant at which ``seconds`` of open time have passed since ``start`` (e.g. a first-response
    deadline); None if the queue does not open enough within a year."""
    if seconds < 0:
        raise InvalidArgument("seconds", "must not be negative")
    start = _utc(start)
    remaining = seconds
    for opened, closed in _intervals_from(hours, _local_day(hours, start) - timedelta(days=1)):
        if closed <= start:
            continue
        begin = max(opened, start)
        available = (closed - begin).total_seconds()
        if remaining <= available:
            return begin + timedelta(seconds=remaining)
        remaining -= available
    return None
