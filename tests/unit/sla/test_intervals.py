"""Intervals aligned in the queue's zone (DST included) and the four service-level formulas."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxel_sla.domain.intervals import Formula, IntervalStats, Outcome, interval_start, service_level


def test_intervals_align_on_local_quarter_hours() -> None:
    at = datetime(2026, 6, 1, 7, 52, 10, tzinfo=UTC)  # 09:52 in Stockholm (CEST)
    assert interval_start(at, "Europe/Stockholm", 15) == datetime(2026, 6, 1, 7, 45, tzinfo=UTC)
    assert interval_start(at, "Europe/Stockholm", 30) == datetime(2026, 6, 1, 7, 30, tzinfo=UTC)
    # Adelaide is UTC+9:30: its half hours fall on :00 and :30 local, which is :30 and :00 UTC
    assert interval_start(at, "Australia/Adelaide", 30) == datetime(2026, 6, 1, 7, 30, tzinfo=UTC)
    assert interval_start(at, "Asia/Kathmandu", 15) == datetime(2026, 6, 1, 7, 45, tzinfo=UTC)  # UTC+5:45


def test_the_repeated_autumn_hour_has_its_own_intervals() -> None:
    # New York, 2026-11-01: 01:00-02:00 local happens twice (EDT, then EST)
    first = datetime(2026, 11, 1, 5, 10, tzinfo=UTC)  # 01:10 EDT
    second = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)  # 01:10 EST
    assert interval_start(first, "America/New_York", 15) == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
    assert interval_start(second, "America/New_York", 15) == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(["Europe/Stockholm", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
    st.sampled_from([15, 30]),
)
def test_every_instant_lies_in_its_interval(at: datetime, zone: str, minutes: int) -> None:
    start = interval_start(at, zone, minutes)
    assert start <= at < start + timedelta(minutes=minutes)


def _stats() -> IntervalStats:
    stats = IntervalStats(threshold_seconds=20, short_abandon_seconds=5)
    for i, (answered, wait) in enumerate(
        [(True, 5), (True, 15), (True, 40), (False, 3), (False, 30), (False, 10)]
    ):
        stats.add(Outcome(f"i{i}", answered, wait))
    return stats


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        (Formula.ANSWERED_WITHIN_OVER_ANSWERED, 2 / 3),
        (Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED, 2 / 6),
        (Formula.ANSWERED_WITHIN_OVER_OFFERED_EXCLUDING_SHORT_ABANDONS, 2 / 5),
        (Formula.ANSWERED_AND_ABANDONED_WITHIN_OVER_OFFERED, 4 / 6),
    ],
)
def test_the_four_formulas(formula: Formula, expected: float) -> None:
    assert service_level(_stats(), formula) == pytest.approx(expected)


def test_edge_cases_are_defined() -> None:
    empty = IntervalStats(20, 5)
    assert all(service_level(empty, f) is None for f in Formula)
    assert empty.asa_seconds is None
    assert empty.abandonment_rate is None
    gone = IntervalStats(20, 5)
    gone.add(Outcome("a", answered=False, waited_seconds=60))
    assert service_level(gone, Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED) == 0.0
    assert service_level(gone, Formula.ANSWERED_WITHIN_OVER_ANSWERED) is None
    assert gone.abandonment_rate == 1.0


def test_any_order_of_adding_gives_the_same_figures_to_the_last_digit() -> None:
    outcomes = [Outcome(f"i{n}", n % 3 != 0, n * 1.37, handle_seconds=100 + n * 0.1) for n in range(40)]
    first = IntervalStats(20, 5)
    for o in outcomes:
        first.add(o)
    shuffled = list(outcomes)
    random.Random(5).shuffle(shuffled)  # noqa: S311  (reproducible order, not secrets)
    halves = IntervalStats(20, 5), IntervalStats(20, 5)
    for n, o in enumerate(shuffled):
        halves[n % 2].add(o)
    halves[1].merge(halves[0])
    assert first == halves[1]
    assert first.asa_seconds == halves[1].asa_seconds
    assert first.aht_seconds == halves[1].aht_seconds
