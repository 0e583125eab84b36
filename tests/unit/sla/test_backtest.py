"""Rolling-origin backtest (domain/backtest.py) on small series whose errors are known."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from vaxel_sla.domain.backtest import QueueSeries, backtest, best, dst_week_days
from vaxel_sla.domain.planning import local_intervals

STOCKHOLM = "Europe/Stockholm"


def _series(first: date, days: int, calls: Callable[[int], int], zone: str = "UTC") -> QueueSeries:
    """``calls(week)`` arrivals in every UTC quarter hour of each day from ``first``."""
    start = int(datetime.combine(first, datetime.min.time(), UTC).timestamp()) // 900
    arrivals = {start + n: (calls(n // 672), 0, 0) for n in range(days * 96) if calls(n // 672)}
    return QueueSeries("q", zone, arrivals)


def test_a_steady_series_is_forecast_without_error() -> None:
    queue = _series(date(2026, 1, 5), 42, lambda week: 10)
    rows = backtest(
        [queue], date(2026, 2, 2), date(2026, 2, 15), methods=["seasonal_mean", "seasonal_median"]
    )
    assert {r.method: r.wape for r in rows} == {"seasonal_mean": 0.0, "seasonal_median": 0.0}
    assert rows[0].intervals == 14 * 96


def test_the_wape_is_the_absolute_error_over_the_arrivals_and_the_trend_wins_on_growth() -> None:
    # week k has 10 + 10k calls a quarter hour: the seasonal mean of the four weeks before week 4 says 25
    # where 50 arrive (WAPE 0.5); the trend carries the line to 50 (WAPE 0)
    queue = _series(date(2026, 1, 5), 35, lambda week: 10 + 10 * week)
    rows = backtest(
        [queue],
        date(2026, 2, 2),
        date(2026, 2, 8),
        methods=["seasonal_mean", "seasonal_median_trend"],
        weeks=4,
    )
    by = {r.method: r for r in rows}
    assert by["seasonal_mean"].wape == pytest.approx(0.5)
    assert by["seasonal_median_trend"].wape < by["seasonal_mean"].wape
    assert best(rows).method == "seasonal_median_trend"
    assert rows[0] == best(rows)  # best first
    assert math.isnan(by["seasonal_mean"].wape_dst)  # UTC has no DST weeks
    assert by["seasonal_mean"].wape_other == by["seasonal_mean"].wape


def test_dst_weeks_are_the_monday_to_sunday_weeks_holding_a_change() -> None:
    days = dst_week_days(STOCKHOLM, date(2026, 3, 16), date(2026, 4, 12))
    assert days == {date(2026, 3, 23) + timedelta(days=n) for n in range(7)}  # change on Sunday 29 March
    sydney = dst_week_days("Australia/Sydney", date(2026, 1, 1), date(2026, 12, 31))
    assert {date(2026, 4, 5), date(2026, 10, 4)} <= sydney
    assert len(sydney) == 14


def test_a_stockholm_dst_week_is_scored_apart_and_its_days_are_forecast_on_the_wall_clock() -> None:
    # 5 calls in every local quarter hour: after the spring change the wall-clock reading still says 5
    zone = STOCKHOLM
    first = date(2026, 2, 23)
    arrivals: dict[int, tuple[int, int, int]] = {}
    for d in range(49):
        day = first + timedelta(days=d)
        for start in local_intervals(day, zone, 15):
            arrivals[int(start.timestamp()) // 900] = (5, 0, 0)
    rows = backtest(
        [QueueSeries("q", zone, arrivals)], date(2026, 3, 23), date(2026, 4, 12), methods=["seasonal_mean"]
    )
    assert rows[0].wape == 0.0
    assert rows[0].wape_dst == 0.0
    assert rows[0].intervals == 21 * 96 - 4  # the spring Sunday has 92


def test_an_empty_period_is_refused() -> None:
    with pytest.raises(ValueError, match="before first"):
        backtest([], date(2026, 2, 2), date(2026, 2, 1))
