"""Local days and ISO weeks by integer arithmetic per constant-offset segment agree with zoneinfo."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxel_common.errors import InvalidArgument
from vaxel_interaction_log.domain.calendar import (
    DAY_US,
    day_index,
    day_of,
    local_days,
    local_weeks,
    offset_segments,
    week_index,
    week_label,
    week_start,
)
from vaxel_interaction_log.domain.search import to_micros

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ZONES = ["Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


class TestSegments:
    def test_the_spring_change_cuts_the_period_at_the_instant(self) -> None:
        start = datetime(2026, 3, 28, tzinfo=UTC)
        segments = offset_segments(STOCKHOLM, start, start + timedelta(days=3))
        assert len(segments) == 2
        assert segments[0].offset_us == 3600 * 1_000_000
        assert segments[1].offset_us == 7200 * 1_000_000
        assert segments[0].end_us == segments[1].start_us == to_micros(datetime(2026, 3, 29, 1, tzinfo=UTC))

    def test_a_year_has_two_changes_and_kolkata_none(self) -> None:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        assert len(offset_segments(STOCKHOLM, start, start + timedelta(days=365))) == 3
        assert len(offset_segments(ZoneInfo("Asia/Kolkata"), start, start + timedelta(days=365))) == 1

    @settings(max_examples=200, deadline=None)
    @given(
        zone=st.sampled_from(ZONES),
        at=st.datetimes(
            min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
        ),
    )
    def test_segment_arithmetic_gives_the_local_date(self, zone: str, at: datetime) -> None:
        tz = ZoneInfo(zone)
        start = at - timedelta(days=20)
        segments = offset_segments(tz, start, at + timedelta(days=20))
        us = to_micros(at)
        (segment,) = [s for s in segments if s.start_us <= us < s.end_us]
        day = (us + segment.offset_us) // DAY_US
        assert day_of(day) == at.astimezone(tz).date()
        assert day == day_index(at, tz)
        monday = week_start(week_index(day))
        assert monday.weekday() == 0
        assert 0 <= (at.astimezone(tz).date() - monday).days < 7


class TestPeriods:
    def test_days_widen_to_whole_local_days(self) -> None:
        days = local_days(
            STOCKHOLM, datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
        )
        assert (days.first_day, days.last_day) == (date(2026, 3, 1), date(2026, 4, 1))  # 00:30 CEST
        assert days.start == datetime(2026, 2, 28, 23, tzinfo=UTC)
        assert days.end == datetime(2026, 4, 1, 22, tzinfo=UTC)  # CEST after the change

    def test_weeks_start_on_monday_local_time(self) -> None:
        weeks = local_weeks(STOCKHOLM, datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC))
        assert (weeks.first_day, weeks.last_day) == (date(2026, 3, 2), date(2026, 3, 8))
        assert weeks.start == datetime(2026, 3, 1, 23, tzinfo=UTC)
        assert week_label(weeks.first_day) == "2026-W10"

    def test_the_year_boundary_week_keeps_its_iso_label(self) -> None:
        assert week_label(date(2025, 12, 29)) == "2026-W01"

    def test_a_period_is_required_and_bounded(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            local_days(STOCKHOLM, None, datetime(2026, 3, 1, tzinfo=UTC))
        assert err.value.field == "from"
        with pytest.raises(InvalidArgument) as err:
            local_weeks(STOCKHOLM, datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
        assert err.value.field == "to"
