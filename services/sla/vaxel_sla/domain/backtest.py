"""Rolling-origin backtest of the forecast methods. Pure.

Every day of the test period is an origin: each method forecasts that local day from the weeks before
it only (:func:`vaxel_sla.domain.forecast.wall_history`), and each real 15-minute interval of the day
is compared with what arrived in it. The error of a method is its WAPE, the weighted absolute
percentage error sum |actual - forecast| / sum actual over every interval of every queue, so busy
intervals weigh most, as they do in a staffing plan. It is given over all days, over the days of
DST weeks (a Monday-to-Sunday week in which the queue's zone changes its UTC offset) and over the
rest. ``make bench`` runs it on the simulator's traffic (scripts/bench_forecast.py).
"""

from __future__ import annotations

import time as clock
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vaxel_sla.domain.forecast import METHODS, forecast_slots, wall_history, wall_slot
from vaxel_sla.domain.planning import local_intervals

__all__ = ["BacktestRow", "QueueSeries", "backtest", "best", "dst_week_days"]

BUCKET_SECONDS = 900


@dataclass(frozen=True, slots=True)
class QueueSeries:
    """One queue's arrivals per UTC bucket, (offered, handled, handle ms), and its zone."""

    name: str
    time_zone: str
    arrivals: Mapping[int, tuple[int, int, int]]


@dataclass(frozen=True, slots=True)
class BacktestRow:
    method: str
    weeks: int
    wape: float
    wape_dst: float  # over the days of DST weeks (NaN when the period has none)
    wape_other: float
    intervals: int
    forecasts: int  # queue-days forecast
    seconds: float  # time the method spent forecasting, over every origin


@dataclass(slots=True)
class _Sums:
    error: float = 0.0
    actual: float = 0.0

    def wape(self) -> float:
        return self.error / self.actual if self.actual else float("nan")


def dst_week_days(zone: str, first: date, last: date) -> set[date]:
    """The days of ``first``..``last`` whose Monday-to-Sunday week holds a change of ``zone``'s offset."""
    tz = ZoneInfo(zone)

    def offset(day: date) -> timedelta | None:
        return datetime.combine(day, time(12), tz).utcoffset()

    days: set[date] = set()
    day = first - timedelta(days=first.weekday())
    while day <= last:
        week = [day + timedelta(days=n) for n in range(7)]
        if any(offset(d) != offset(d - timedelta(days=1)) for d in week):
            days.update(d for d in week if first <= d <= last)
        day += timedelta(days=7)
    return days


def backtest(
    queues: Sequence[QueueSeries],
    first: date,
    last: date,
    *,
    methods: Sequence[str] = tuple(METHODS),
    weeks: int = 4,
    step_days: int = 1,
) -> list[BacktestRow]:
    """Each method's WAPE forecasting every ``step_days``-th local day ``first``..``last`` of every queue
    from the ``weeks`` weeks before it; best first."""
    if last < first:
        raise ValueError("last is before first")
    total = {m: _Sums() for m in methods}
    dst = {m: _Sums() for m in methods}
    other = {m: _Sums() for m in methods}
    spent = dict.fromkeys(methods, 0.0)
    intervals = forecasts = 0
    for queue in queues:
        in_dst = dst_week_days(queue.time_zone, first, last)
        day = first
        while day <= last:
            history = wall_history(queue.arrivals, queue.time_zone, day, weeks)
            starts = local_intervals(day, queue.time_zone, 15)
            slots = [wall_slot(s, queue.time_zone) for s in starts]
            actual = [queue.arrivals.get(int(s.timestamp()) // BUCKET_SECONDS, (0, 0, 0))[0] for s in starts]
            intervals += len(starts)
            forecasts += 1
            for method in methods:
                began = clock.perf_counter()
                forecast = forecast_slots(history, day.weekday(), method)
                spent[method] += clock.perf_counter() - began
                error = sum(abs(a - float(forecast[s])) for a, s in zip(actual, slots, strict=True))
                came = float(sum(actual))
                for sums in (total[method], dst[method] if day in in_dst else other[method]):
                    sums.error += error
                    sums.actual += came
            day += timedelta(days=step_days)
    rows = [
        BacktestRow(m, weeks, total[m].wape(), dst[m].wape(), other[m].wape(), intervals, forecasts, spent[m])
        for m in methods
    ]
    return sorted(rows, key=lambda r: (r.wape, r.method))


def best(rows: Sequence[BacktestRow]) -> BacktestRow:
    """The row with the lowest WAPE over all days."""
    return min(rows, key=lambda r: (r.wape, r.method))
