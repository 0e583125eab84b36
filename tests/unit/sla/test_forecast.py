"""Forecast methods on known series (domain/forecast.py): what each returns, the DST days, the plan's method."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from vaxel_sla.domain.forecast import (
    METHODS,
    PLAN_METHOD,
    SLOTS,
    History,
    Traffic,
    forecast_slots,
    wall_history,
    wall_slot,
)
from vaxel_sla.domain.planning import forecast_day

STOCKHOLM = "Europe/Stockholm"
TZ = ZoneInfo(STOCKHOLM)
MONDAY = date(2026, 11, 23)


def _bucket(day: date, hour: int, minute: int = 0, fold: int = 0) -> int:
    return int(datetime.combine(day, time(hour, minute), TZ).replace(fold=fold).timestamp()) // 900


def _history(rows: list[list[float]]) -> History:
    """A history of whole days given oldest first, each day's value in every slot."""
    values = np.array([[v] * SLOTS for v in (r[0] for r in rows)], dtype=np.float64)
    return History(date(2026, 1, 1), values, np.zeros_like(values), np.zeros_like(values))


def _weeks(per_week: list[float], days_per_week: int = 7) -> History:
    """Weeks oldest first, every slot of every day of week k holding ``per_week[k]``."""
    return _history([[v] for v in per_week for _ in range(days_per_week)])


class TestWallHistory:
    def test_the_spring_gap_is_nan_and_the_autumn_hour_is_read_once_at_its_first_instant(self) -> None:
        spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
        arrivals = {
            _bucket(spring, 3): (7, 0, 0),  # 03:00 summer time, just after the gap
            _bucket(autumn, 2, 15, fold=0): (5, 0, 0),
            _bucket(autumn, 2, 15, fold=1): (9, 0, 0),
            _bucket(date(2026, 3, 1), 0): (1, 0, 0),  # traffic since March
        }
        history = wall_history(arrivals, STOCKHOLM, date(2026, 11, 2), weeks=36)
        spring_row = (spring - history.first_day).days
        autumn_row = (autumn - history.first_day).days
        assert np.isnan(history.offered[spring_row, 8:12]).all()  # 02:00-02:45 did not exist
        assert history.offered[spring_row, 12] == 7  # 03:00 is 03:00, not read for 02:00
        assert history.offered[autumn_row, 9] == 5  # 02:15: the first of the two real 02:15s
        assert not np.isnan(history.offered[autumn_row]).any()

    def test_days_before_the_first_traffic_are_not_counted(self) -> None:
        arrivals = {_bucket(MONDAY - timedelta(days=7), 10): (12, 0, 0)}
        history = wall_history(arrivals, STOCKHOLM, MONDAY, weeks=4)
        assert np.isnan(history.offered[:21]).all()  # the three weeks before it
        assert forecast_slots(history, 0, "seasonal_mean")[40] == 12  # 10:00 over the one week counted

    def test_a_mapping_and_its_traffic_read_the_same(self) -> None:
        arrivals = {_bucket(MONDAY - timedelta(days=d), 9): (d, d, d * 1000) for d in range(1, 30)}
        one = wall_history(arrivals, STOCKHOLM, MONDAY, 4)
        two = wall_history(Traffic.of(arrivals), STOCKHOLM, MONDAY, 4)
        assert np.array_equal(one.offered, two.offered, equal_nan=True)
        assert Traffic.of(arrivals).aht_seconds == 1.0


class TestMethods:
    def test_seasonal_mean_and_median_of_the_same_weekday(self) -> None:
        history = _weeks([10, 20, 30, 100])
        assert forecast_slots(history, 0, "seasonal_mean")[0] == 40
        assert forecast_slots(history, 0, "seasonal_median")[0] == 25

    def test_the_trend_carries_the_weekly_totals_line_one_week_on(self) -> None:
        flat = _weeks([20, 20, 20, 20])
        assert forecast_slots(flat, 0, "seasonal_median_trend")[0] == pytest.approx(20)
        growing = _weeks([10, 20, 30, 40, 50])
        # weekly totals grow 10 a week (per slot); the oldest week is left out of the line (a first week
        # may be partial): 20, 30, 40, 50 carried to 60 next week, against their mean 35
        median = forecast_slots(growing, 0, "seasonal_median")[0]
        assert median == 30
        assert forecast_slots(growing, 0, "seasonal_median_trend")[0] == pytest.approx(30 * 60 / 35)

    def test_the_level_scales_the_mean_by_last_week_against_the_weeks(self) -> None:
        history = _weeks([10, 10, 10, 30])
        assert forecast_slots(history, 0, "seasonal_mean_level")[0] == pytest.approx(15 * 30 / 15)

    def test_smoothed_weighs_the_newest_week_most(self) -> None:
        history = _weeks([0, 0, 0, 10])
        weights = [0.3 * 0.7**k for k in range(4)]
        assert forecast_slots(history, 0, "smoothed_seasonal")[0] == pytest.approx(
            10 * weights[0] / sum(weights)
        )

    def test_day_profile_spreads_the_weekday_volume_by_the_pooled_weekday_shape(self) -> None:
        # Mondays have 2x the volume of the other weekdays; every weekday puts 3/4 of it at 10:00, 1/4 at 14:00
        def history(days: int) -> History:  # from a Monday, so the forecast day is weekday days % 7
            rows = []
            for n in range(days):
                row = [0.0] * SLOTS
                volume = 0 if n % 7 >= 5 else (80 if n % 7 == 0 else 40)
                row[40], row[56] = volume * 0.75, volume * 0.25
                rows.append(row)
            values = np.array(rows)
            return History(date(2026, 1, 5), values, np.zeros_like(values), np.zeros_like(values))

        monday = forecast_slots(history(28), 0, "day_profile")
        assert monday[40] == pytest.approx(60)
        assert monday[56] == pytest.approx(20)
        assert monday.sum() == pytest.approx(80)
        assert forecast_slots(history(29), 1, "day_profile")[40] == pytest.approx(30)
        assert forecast_slots(history(33), 5, "day_profile").sum() == 0

    def test_holt_winters_repeats_a_steady_weekly_pattern(self) -> None:
        pattern = np.array([10.0 + 5 * math.sin(2 * math.pi * s / SLOTS) for s in range(SLOTS)])
        values = np.tile(pattern, (28, 1))
        values[::7] *= 2  # the forecast day's weekday is twice as busy
        history = History(date(2026, 1, 5), values, np.zeros_like(values), np.zeros_like(values))
        forecast = forecast_slots(history, 0, "holt_winters")
        assert np.abs(forecast - 2 * pattern).max() < 0.5

    def test_holt_winters_with_under_two_weeks_falls_back_to_the_seasonal_mean(self) -> None:
        history = _weeks([5, 6])
        history.offered[:7] = np.nan
        assert forecast_slots(history, 0, "holt_winters")[0] == 6

    @pytest.mark.parametrize("method", sorted(METHODS))
    def test_every_method_forecasts_zero_without_history_and_never_negative(self, method: str) -> None:
        empty = wall_history({}, STOCKHOLM, MONDAY, 4)
        assert (forecast_slots(empty, 0, method) == 0).all()
        noisy = _weeks([0, 30, 0, 30, 0, 30])
        assert (forecast_slots(noisy, 0, method) >= 0).all()

    def test_an_unknown_method_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown forecast method"):
            forecast_slots(_weeks([1]), 0, "crystal_ball")


class TestForecastDay:
    def test_the_plan_uses_the_chosen_method(self) -> None:
        arrivals = {
            _bucket(MONDAY - timedelta(weeks=w), 10): (calls, calls, calls * 300_000)
            for w, calls in ((1, 10), (2, 20), (3, 30), (4, 100))
        }
        ten = wall_slot(datetime.combine(MONDAY, time(10), TZ), STOCKHOLM)
        by_method = {
            m: forecast_day(arrivals, STOCKHOLM, MONDAY, method=m)[ten].arrivals
            for m in ("seasonal_mean", "seasonal_median")
        }
        assert by_method == {"seasonal_mean": 40, "seasonal_median": 25}
        history = wall_history(arrivals, STOCKHOLM, MONDAY, 4)
        assert (
            forecast_day(arrivals, STOCKHOLM, MONDAY)[ten].arrivals
            == forecast_slots(history, 0, PLAN_METHOD)[ten]
        )

    def test_each_real_interval_of_the_autumn_hour_gets_its_wall_slots_forecast(self) -> None:
        autumn = date(2026, 10, 25)  # a Sunday: 02:00-03:00 happens twice
        arrivals = {_bucket(autumn - timedelta(weeks=w), 2, 15): (8, 8, 8 * 60_000) for w in (1, 2)}
        plan = forecast_day(arrivals, STOCKHOLM, autumn, weeks=2, method="seasonal_mean")
        assert len(plan) == 100
        twice = [f for f in plan if f.local_start[11:16] == "02:15"]
        assert [f.arrivals for f in twice] == [
            8,
            8,
        ]  # once per real instant, not 16 in one and 0 in the other
        assert twice[0].start + timedelta(hours=1) == twice[1].start
        assert twice[0].aht_seconds == 60

    def test_the_spring_day_has_no_interval_in_its_gap_and_thirty_minutes_sum_two_slots(self) -> None:
        spring = date(2026, 3, 29)
        arrivals = {_bucket(spring - timedelta(weeks=1), h, m): (3, 3, 0) for h in (1, 3) for m in (0, 15)}
        plan = forecast_day(arrivals, STOCKHOLM, spring, weeks=1, minutes=30)
        assert len(plan) == 46
        assert not any(f.local_start[11:13] == "02" for f in plan)
        by_time = {f.local_start[11:16]: f.arrivals for f in plan}
        assert by_time["01:00"] == 6
        assert by_time["03:00"] == 6
