"""Usage priced by the contract version in force on each local day: version changes mid-period,
DST days, channels without a rate, days before any contract."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from vaxel_interaction_log.domain.calendar import day_index, day_of
from vaxel_interaction_log.domain.usage import (
    DayUsage,
    Granularity,
    Rate,
    Tariff,
    TenantBook,
    Unit,
    bucket_of,
    price,
)

VOICE, CHAT, EMAIL = 1, 2, 3
MINUTE, EACH = Unit.PER_HANDLED_MINUTE, Unit.PER_INTERACTION
V1 = Tariff(date(2026, 1, 1), "SEK", {VOICE: Rate(MINUTE, 250), CHAT: Rate(EACH, 900)})
V2 = Tariff(date(2026, 3, 15), "SEK", {VOICE: Rate(MINUTE, 300), CHAT: Rate(EACH, 1000)})
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def line_view(report_lines: object) -> list[tuple[str, str, int, int, int, int, bool]]:
    return [
        (
            line.start_date.isoformat(),
            line.end_date.isoformat(),
            line.channel,
            line.interactions,
            line.minutes,
            line.amount_minor,
            line.priced,
        )
        for line in report_lines  # type: ignore[attr-defined]
    ]


class TestPrice:
    def test_a_version_change_mid_month_splits_the_month(self) -> None:
        usage = [
            DayUsage(date(2026, 3, 10), VOICE, 3, 10),
            DayUsage(date(2026, 3, 14), VOICE, 1, 1),
            DayUsage(date(2026, 3, 20), VOICE, 2, 5),
            DayUsage(date(2026, 3, 16), CHAT, 4, 9),
        ]
        report = price(usage, [V2, V1], Granularity.MONTH, *MARCH)
        assert line_view(report.lines) == [
            ("2026-03-01", "2026-03-14", VOICE, 4, 11, 11 * 250, True),
            ("2026-03-15", "2026-03-31", VOICE, 2, 5, 5 * 300, True),
            ("2026-03-15", "2026-03-31", CHAT, 4, 9, 4 * 1000, True),
        ]
        assert report.amounts == {"SEK": 2750 + 1500 + 4000}
        assert [(t.channel, t.interactions, t.minutes) for t in report.totals] == [
            (VOICE, 6, 16),
            (CHAT, 4, 9),
        ]
        assert report.unpriced_interactions == 0

    def test_daily_lines_take_each_days_version(self) -> None:
        usage = [DayUsage(date(2026, 3, 14), VOICE, 1, 4), DayUsage(date(2026, 3, 15), VOICE, 1, 4)]
        report = price(usage, [V1, V2], Granularity.DAY, *MARCH)
        assert [(line.start_date.day, line.amount_minor) for line in report.lines] == [(14, 1000), (15, 1200)]
        assert [line.tariff.effective_from for line in report.lines if line.tariff] == [
            V1.effective_from,
            V2.effective_from,
        ]

    def test_the_dst_night_belongs_to_its_local_day(self) -> None:
        # Stockholm goes to summer time at 01:00 UTC on 2026-03-29; a version takes effect that day.
        zone = ZoneInfo("Europe/Stockholm")
        change = Tariff(date(2026, 3, 29), "SEK", {VOICE: Rate(MINUTE, 400)})
        before = day_of(day_index(datetime(2026, 3, 28, 22, 59, tzinfo=UTC), zone))  # 23:59 CET
        after = day_of(day_index(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), zone))  # 00:30 CET
        late = day_of(day_index(datetime(2026, 3, 29, 21, 59, tzinfo=UTC), zone))  # 23:59 CEST
        assert (before, after, late) == (date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 29))
        usage = [DayUsage(before, VOICE, 1, 2), DayUsage(after, VOICE, 1, 2), DayUsage(late, VOICE, 1, 2)]
        report = price(usage, [V2, change], Granularity.DAY, *MARCH)
        assert [(line.start_date.day, line.minutes, line.amount_minor) for line in report.lines] == [
            (28, 2, 600),
            (29, 4, 1600),
        ]

    def test_per_interaction_and_per_minute_rates(self) -> None:
        report = price(
            [DayUsage(date(2026, 2, 3), CHAT, 7, 40)],
            [V1],
            Granularity.DAY,
            date(2026, 2, 1),
            date(2026, 2, 28),
        )
        assert report.lines[0].amount_minor == 7 * 900
        assert report.lines[0].rate == Rate(EACH, 900)

    def test_usage_without_a_rate_or_a_contract_is_unpriced(self) -> None:
        usage = [DayUsage(date(2025, 12, 31), VOICE, 2, 3), DayUsage(date(2026, 1, 2), EMAIL, 5, 20)]
        report = price(usage, [V1], Granularity.MONTH, date(2025, 12, 1), date(2026, 1, 31))
        assert line_view(report.lines) == [
            ("2025-12-01", "2025-12-31", VOICE, 2, 3, 0, False),
            ("2026-01-01", "2026-01-31", EMAIL, 5, 20, 0, False),
        ]
        assert report.lines[0].tariff is None
        assert report.lines[1].tariff == V1  # in force, but no e-mail rate
        assert report.unpriced_interactions == 7
        assert report.amounts == {}

    def test_a_currency_change_gives_one_amount_per_currency(self) -> None:
        euro = Tariff(date(2026, 3, 15), "EUR", {VOICE: Rate(MINUTE, 25)})
        usage = [DayUsage(date(2026, 3, 1), VOICE, 1, 10), DayUsage(date(2026, 3, 31), VOICE, 1, 10)]
        report = price(usage, [V1, euro], Granularity.MONTH, *MARCH)
        assert report.amounts == {"EUR": 250, "SEK": 2500}

    def test_days_outside_the_period_are_left_out(self) -> None:
        report = price([DayUsage(date(2026, 4, 1), VOICE, 1, 1)], [V1], Granularity.DAY, *MARCH)
        assert report.lines == ()
        assert report.totals == ()


class TestBuckets:
    def test_months_and_days(self) -> None:
        assert bucket_of(date(2024, 2, 10), Granularity.MONTH) == (date(2024, 2, 1), date(2024, 2, 29))
        assert bucket_of(date(2026, 12, 31), Granularity.MONTH) == (date(2026, 12, 1), date(2026, 12, 31))
        assert bucket_of(date(2026, 3, 5), Granularity.DAY) == (date(2026, 3, 5), date(2026, 3, 5))


class TestTenantBook:
    def test_a_version_replaces_the_same_date_and_can_be_removed(self) -> None:
        book = TenantBook()
        book.put_tariff("t1", V2)
        book.put_tariff("t1", V1)
        replaced = Tariff(V2.effective_from, "SEK", {VOICE: Rate(MINUTE, 1)})
        book.put_tariff("t1", replaced)
        assert book.tariffs("t1") == [V1, replaced]
        assert book.tariffs("t2") == []
        book.remove_tariff("t1", V1.effective_from)
        assert book.tariffs("t1") == [replaced]
        assert book.zone("t1") is None
        book.set_zone("t1", "Europe/Stockholm")
        assert book.zone("t1") == "Europe/Stockholm"


class TestInvariants:
    @settings(max_examples=150, deadline=None)
    @given(
        usage=st.lists(
            st.builds(
                DayUsage,
                day=st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 5, 31)),
                channel=st.sampled_from([VOICE, CHAT, EMAIL]),
                interactions=st.integers(1, 50),
                minutes=st.integers(1, 500),
            ),
            max_size=40,
        ),
        starts=st.sets(st.dates(min_value=date(2025, 11, 1), max_value=date(2026, 6, 30)), max_size=4),
        granularity=st.sampled_from(list(Granularity)),
    )
    def test_lines_partition_the_usage_and_each_day_pays_its_versions_rate(
        self, usage: list[DayUsage], starts: set[date], granularity: Granularity
    ) -> None:
        tariffs = [
            Tariff(d, "SEK", {VOICE: Rate(MINUTE, d.day), CHAT: Rate(EACH, 100 + d.month)}) for d in starts
        ]
        first, last = date(2026, 1, 1), date(2026, 4, 30)
        report = price(usage, tariffs, granularity, first, last)
        inside = [u for u in usage if first <= u.day <= last]
        assert sum(line.interactions for line in report.lines) == sum(u.interactions for u in inside)
        assert sum(line.minutes for line in report.lines) == sum(u.minutes for u in inside)
        expected = 0
        for u in inside:
            in_force = [t for t in tariffs if t.effective_from <= u.day]
            tariff = max(in_force, key=lambda t: t.effective_from) if in_force else None
            rate = tariff.rates.get(u.channel) if tariff else None
            if rate is not None:
                expected += (u.minutes if rate.unit is MINUTE else u.interactions) * rate.amount_minor
        assert sum(report.amounts.values()) == expected == sum(line.amount_minor for line in report.lines)
        for line in report.lines:
            assert first <= line.start_date <= line.end_date <= last
            if line.tariff is not None:
                assert line.tariff.effective_from <= line.start_date
