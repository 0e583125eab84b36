"""Business hours across time zones, DST switches, holidays and exceptions."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.business_hours import (
    BusinessHours,
    DateException,
    Shift,
    add_business_seconds,
    business_hours,
    business_seconds_between,
    is_open,
    next_closing,
    next_opening,
)

STHLM, NY, SYD = ZoneInfo("Europe/Stockholm"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney")
WEEKDAYS_8_17 = {d: [Shift(time(8), time(17))] for d in range(5)}


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


class TestValidation:
    def test_unknown_zone(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            business_hours("Mars/Olympus", WEEKDAYS_8_17)
        assert err.value.field == "time_zone"

    def test_inverted_shift_names_the_day(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            business_hours("Europe/Stockholm", {2: [Shift(time(17), time(8))]})
        assert err.value.field == "weekly.wednesday"

    def test_overlapping_shifts(self) -> None:
        with pytest.raises(InvalidArgument, match="overlaps"):
            business_hours("Europe/Stockholm", {0: [Shift(time(8), time(12)), Shift(time(11), time(15))]})

    def test_unknown_holiday_country(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            business_hours("Europe/Stockholm", WEEKDAYS_8_17, holidays_country="XX")
        assert err.value.field == "holidays_country"


class TestIsOpen:
    def test_split_shift_lunch_is_closed(self) -> None:
        hours = business_hours("Europe/Stockholm", {0: [Shift(time(8), time(12)), Shift(time(13), time(17))]})
        monday = date(2026, 11, 23)
        assert is_open(hours, local(STHLM, 2026, 11, 23, 11, 59))
        assert not is_open(hours, local(STHLM, 2026, 11, 23, 12, 30))
        assert is_open(hours, local(STHLM, 2026, 11, 23, 13, 0))
        assert not is_open(hours, local(STHLM, 2026, 11, 23, 17, 0)), "end is exclusive"
        assert monday.weekday() == 0

    def test_evaluated_in_the_queues_zone_not_utc(self) -> None:
        hours = business_hours("America/New_York", WEEKDAYS_8_17)
        # 13:30 UTC on a Wednesday in November is 08:30 in New York (EST, UTC-5)
        assert is_open(hours, datetime(2026, 11, 25, 13, 30, tzinfo=UTC))
        assert not is_open(hours, datetime(2026, 11, 25, 12, 30, tzinfo=UTC))

    def test_holidays_close_unless_an_exception_opens(self) -> None:
        hours = business_hours(
            "America/New_York",
            WEEKDAYS_8_17,
            holidays_country="US",
            exceptions=[DateException(date(2026, 12, 25), (Shift(time(10), time(14)),))],
        )
        assert not is_open(hours, local(NY, 2026, 11, 26, 10)), "Thanksgiving"
        assert is_open(hours, local(NY, 2026, 11, 27, 10))
        assert is_open(hours, local(NY, 2026, 12, 25, 11)), "exception beats Christmas"
        assert not is_open(hours, local(NY, 2026, 12, 25, 9))

    def test_swedish_holidays_and_a_closed_exception(self) -> None:
        hours = business_hours(
            "Europe/Stockholm",
            WEEKDAYS_8_17,
            holidays_country="SE",
            exceptions=[DateException(date(2026, 12, 24))],
        )
        assert not is_open(hours, local(STHLM, 2026, 12, 25, 10)), "juldagen"
        assert not is_open(hours, local(STHLM, 2026, 12, 24, 10)), "julafton closed by exception"
        assert (
            is_open(hours, local(STHLM, 2026, 6, 19, 10)) is not False or True
        )  # midsommarafton: not a public holiday
        assert is_open(hours, local(STHLM, 2026, 6, 19, 10))


class TestDst:
    def test_stockholm_spring_forward_night_shift_is_two_hours(self) -> None:
        hours = business_hours("Europe/Stockholm", {6: [Shift(time(1), time(4))]})  # Sunday 29 March 2026
        start, end = datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)
        assert business_seconds_between(hours, start, end) == 2 * 3600
        ordinary = business_seconds_between(
            hours, datetime(2026, 3, 21, tzinfo=UTC), datetime(2026, 3, 23, tzinfo=UTC)
        )
        assert ordinary == 3 * 3600

    def test_stockholm_fall_back_night_shift_is_four_hours(self) -> None:
        hours = business_hours("Europe/Stockholm", {6: [Shift(time(1), time(4))]})  # Sunday 25 October 2026
        seconds = business_seconds_between(
            hours, datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC)
        )
        assert seconds == 4 * 3600

    def test_new_york_day_shift_keeps_local_times_across_switch(self) -> None:
        hours = business_hours("America/New_York", WEEKDAYS_8_17)
        # Friday 6 March (EST) opens 13:00 UTC; Monday 9 March (EDT) opens 12:00 UTC
        assert next_opening(hours, datetime(2026, 3, 6, 0, tzinfo=UTC)) == datetime(
            2026, 3, 6, 13, tzinfo=UTC
        )
        assert next_opening(hours, datetime(2026, 3, 7, 0, tzinfo=UTC)) == datetime(
            2026, 3, 9, 12, tzinfo=UTC
        )

    def test_sydney_autumn_switch(self) -> None:
        hours = business_hours("Australia/Sydney", {d: [Shift(time(0), MID)] for d in range(7)})
        # Sunday 5 April 2026: 25 hours long in Sydney
        day_start = local(SYD, 2026, 4, 5, 0)
        day_end = local(SYD, 2026, 4, 6, 0)
        assert business_seconds_between(hours, day_start, day_end) == 25 * 3600
        assert next_closing(hours, day_start) is None, "open around the clock: never closes"

    def test_sydney_spring_switch(self) -> None:
        hours = business_hours("Australia/Sydney", {6: [Shift(time(1), time(5))]})  # Sunday 4 October 2026
        seconds = business_seconds_between(hours, local(SYD, 2026, 10, 4, 0), local(SYD, 2026, 10, 5, 0))
        assert seconds == 3 * 3600


MID = time(0, 0)


class TestNextOpeningAndClosing:
    def test_over_a_weekend_and_a_holiday(self) -> None:
        hours = business_hours("Europe/Stockholm", WEEKDAYS_8_17, holidays_country="SE")
        friday_evening = local(STHLM, 2026, 4, 3, 18)  # Good Friday, then Easter Monday is a holiday too
        assert next_opening(hours, friday_evening) == local(STHLM, 2026, 4, 7, 8).astimezone(UTC)

    def test_open_now_returns_now_and_closing_is_end_of_shift(self) -> None:
        hours = business_hours("Europe/Stockholm", WEEKDAYS_8_17)
        at = local(STHLM, 2026, 11, 25, 9)
        assert next_opening(hours, at) == at
        assert next_closing(hours, at) == local(STHLM, 2026, 11, 25, 17).astimezone(UTC)

    def test_never_open(self) -> None:
        assert next_opening(business_hours("Europe/Stockholm", {}), datetime(2026, 1, 1, tzinfo=UTC)) is None


class TestFirstResponseDeadline:
    def test_email_answered_within_four_business_hours(self) -> None:
        hours = business_hours("Europe/Stockholm", WEEKDAYS_8_17)
        received = local(STHLM, 2026, 11, 27, 15)  # Friday 15:00
        deadline = add_business_seconds(hours, received, 4 * 3600)
        assert deadline == local(STHLM, 2026, 11, 30, 10).astimezone(UTC)  # Monday 10:00


def instants() -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC)
    )


HOURS: list[BusinessHours] = [
    business_hours(
        "Europe/Stockholm",
        {0: [Shift(time(1), time(4)), Shift(time(8), MID)], 6: [Shift(time(2), time(3))]},
        "SE",
    ),
    business_hours("America/New_York", WEEKDAYS_8_17, "US"),
    business_hours(
        "Australia/Sydney", {d: [Shift(time(0), time(2, 30)), Shift(time(22), MID)] for d in range(7)}
    ),
]


class TestProperties:
    @settings(max_examples=150, deadline=None)
    @given(st.sampled_from(HOURS), instants(), instants(), instants())
    def test_additive_and_bounded(self, hours: BusinessHours, a: datetime, b: datetime, c: datetime) -> None:
        a, b, c = sorted((a, b, c))
        ab, bc = business_seconds_between(hours, a, b), business_seconds_between(hours, b, c)
        assert ab + bc == pytest.approx(business_seconds_between(hours, a, c))
        assert 0 <= ab <= (b - a).total_seconds()

    @settings(max_examples=150, deadline=None)
    @given(st.sampled_from(HOURS), instants())
    def test_next_opening_is_open(self, hours: BusinessHours, at: datetime) -> None:
        opening = next_opening(hours, at)
        assert opening is not None
        assert opening >= at
        assert is_open(hours, opening)
        closing = next_closing(hours, at)
        assert closing is not None
        assert closing > opening
        assert not is_open(hours, closing)

    @settings(max_examples=150, deadline=None)
    @given(st.sampled_from(HOURS), instants(), st.floats(min_value=0, max_value=30 * 86400))
    def test_add_then_measure(self, hours: BusinessHours, start: datetime, seconds: float) -> None:
        end = add_business_seconds(hours, start, seconds)
        assert end is not None
        assert business_seconds_between(hours, start, end) == pytest.approx(seconds, abs=1e-3)


def test_evaluation_rate_is_reported_not_timed() -> None:
    """Sanity: evaluations are cheap enough that 10,000 take well under a second (the rate is in make bench)."""
    hours = HOURS[0]
    at = datetime(2026, 11, 25, 12, tzinfo=UTC)
    started = clock.perf_counter()
    opened = sum(is_open(hours, at + timedelta(minutes=i)) for i in range(10_000))
    assert opened > 0
    assert clock.perf_counter() - started < 5
