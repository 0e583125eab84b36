"""Arrival forecasts of a local day, by several methods behind one interface. Pure (numpy; statsmodels
for Holt-Winters).

Every method reads the same thing, a :class:`History`: the local days before the forecast day, each as
96 wall-clock quarter hours (00:00, 00:15, ... 23:45 in the queue's IANA zone), oldest first, so the day
a week before the forecast day is row ``-7``. A wall time that did not exist on a history day (the spring
DST gap) is NaN and skipped, never read as the next hour; on the autumn night the repeated hour is read
once, at its first instant, so each wall slot holds one real quarter hour of traffic. Slots before the
queue's first traffic are NaN too (a new queue is not diluted by zeros). A method returns the expected
arrivals of each of the 96 wall slots of the forecast day; :func:`wall_slot` tells which slot a real
interval of that day reads, so on the autumn night both real 02:15s get slot 02:15's forecast (counted
once per real instant) and on the spring night the skipped slots are asked for by no interval.

The method the staffing plans and the projection use is :data:`PLAN_METHOD`, chosen by the backtest
(:mod:`vaxel_sla.domain.backtest`, ``make bench``: docs/bench.md "Forecast").
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

__all__ = [
    "METHODS",
    "PLAN_METHOD",
    "PLAN_WEEKS",
    "SLOTS",
    "History",
    "Method",
    "Traffic",
    "forecast_slots",
    "wall_history",
    "wall_slot",
]

SLOTS = 96  # wall-clock quarter hours of a local day
BUCKET_SECONDS = 900
Array = npt.NDArray[np.float64]
Arrivals = Mapping[int, tuple[int, int, int]]  # UTC bucket -> (offered, handled, handle ms)


@dataclass(frozen=True, slots=True)
class History:
    """``offered``, ``handled`` and ``handle_ms`` per local day (rows, oldest first) and wall slot
    (96 columns); NaN where the wall time did not exist or came before the queue's first traffic."""

    first_day: date
    offered: Array
    handled: Array
    handle_ms: Array

    @property
    def days(self) -> int:
        return int(self.offered.shape[0])


@lru_cache(maxsize=8192)  # the same for every queue of a zone: a plan of many queues reads it once
def _slot_buckets(day: date, zone: str) -> npt.NDArray[np.int64]:
    """UTC bucket of each wall slot of local ``day`` (-1 where the wall time did not exist); read-only."""
    tz = ZoneInfo(zone)
    first = datetime.combine(day, time(0), tz)
    last = datetime.combine(day, time(23, 45), tz)
    if first.utcoffset() == last.utcoffset():  # no change that day: one offset for all 96
        base = int(first.astimezone(UTC).timestamp()) // BUCKET_SECONDS
        out = np.arange(base, base + SLOTS, dtype=np.int64)
        out.flags.writeable = False
        return out
    out = np.empty(SLOTS, dtype=np.int64)
    for slot in range(SLOTS):
        wall = datetime.combine(day, time(slot // 4, 15 * (slot % 4)))
        instant = wall.replace(tzinfo=tz).astimezone(UTC)  # fold 0: the first of a repeated hour
        exists = instant.astimezone(tz).replace(tzinfo=None) == wall
        out[slot] = int(instant.timestamp()) // BUCKET_SECONDS if exists else -1
    out.flags.writeable = False
    return out


@dataclass(frozen=True, slots=True)
class Traffic:
    """A queue's arrivals as sorted arrays, built once and read for many days: ``buckets`` (UTC quarter
    hours) and per bucket ``table`` columns offered, handled, handle ms; the first bucket with traffic
    and the queue's observed handle time."""

    buckets: npt.NDArray[np.int64]
    table: Array
    first_traffic: int | None
    aht_seconds: float | None

    @classmethod
    def of(cls, arrivals: Arrivals) -> Traffic:
        count = len(arrivals)
        keys = np.fromiter(arrivals.keys(), dtype=np.int64, count=count)
        table = np.fromiter(
            chain.from_iterable(arrivals.values()), dtype=np.float64, count=3 * count
        ).reshape(count, 3)
        order = np.argsort(keys)
        keys, table = keys[order], table[order]
        offered = keys[table[:, 0] > 0]
        handled, handle_ms = table[:, 1].sum(), table[:, 2].sum()
        return cls(
            keys,
            table,
            int(offered[0]) if len(offered) else None,
            float(handle_ms / handled / 1000) if handled else None,
        )


def wall_history(arrivals: Arrivals | Traffic, zone: str, day: date, weeks: int) -> History:
    """The ``weeks`` weeks of local days before ``day`` as wall slots (see the module docstring)."""
    traffic = arrivals if isinstance(arrivals, Traffic) else Traffic.of(arrivals)
    days = 7 * weeks
    first_day = day - timedelta(days=days)
    buckets = np.stack([_slot_buckets(first_day + timedelta(days=d), zone) for d in range(days)])
    valid = buckets >= 0
    if traffic.first_traffic is None:
        valid[:] = False
    else:
        valid &= buckets >= traffic.first_traffic
    values = np.zeros((3, days, SLOTS))
    if valid.any():
        where = np.searchsorted(traffic.buckets, buckets).clip(0, len(traffic.buckets) - 1)
        found = traffic.buckets[where] == buckets
        values = np.where(found[None], np.moveaxis(traffic.table[where], -1, 0), 0.0)
    values[:, ~valid] = np.nan
    return History(first_day, values[0], values[1], values[2])


def wall_slot(start: datetime, zone: str) -> int:
    """The wall slot (0..95) a real interval starting at ``start`` reads."""
    local = start.astimezone(ZoneInfo(zone))
    return local.hour * 4 + local.minute // 15


def _same_weekday(values: Array, weeks: int | None = None) -> Array:
    """Rows of the same weekday as the forecast day, newest first (weeks x 96)."""
    rows = values[::-1][6::7]
    return rows[:weeks] if weeks else rows


def _nan_reduce(rows: Array, reduce: Callable[[Array], Array]) -> Array:
    counted = ~np.isnan(rows)
    if not counted.any():
        return np.zeros(SLOTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slot: no history, forecast 0
        out = reduce(rows)
    return np.nan_to_num(out, nan=0.0)


def seasonal_mean(history: History, weekday: int) -> Array:
    """The mean of the same weekday slot over the weeks (the baseline)."""
    return _nan_reduce(_same_weekday(history.offered), lambda r: np.nanmean(r, axis=0))


def seasonal_median(history: History, weekday: int) -> Array:
    """The median of the same weekday slot over the weeks: one unusual week moves it less."""
    return _nan_reduce(_same_weekday(history.offered), lambda r: np.nanmedian(r, axis=0))


def _weekly_totals(history: History) -> Array:
    """Arrivals per whole week, newest first (NaN for a week with no counted slot)."""
    weeks = history.days // 7
    if weeks == 0:
        return np.zeros(0)
    values = history.offered[::-1][: weeks * 7].reshape(weeks, 7 * SLOTS)
    counted = (~np.isnan(values)).any(axis=1)
    return np.where(counted, np.nansum(values, axis=1), np.nan)


def _trend_factor(history: History) -> float:
    """Next week's arrivals over the weeks' mean by a least-squares line through the weekly totals
    (1 with fewer than three weeks or no traffic; kept within 0.5..2)."""
    totals = _weekly_totals(history)
    ages = np.arange(len(totals), dtype=np.float64)
    keep = ~np.isnan(totals)
    # a first partial week (the queue started mid-week) would read as growth: left out
    if keep.sum() >= 2:
        keep[np.flatnonzero(keep)[-1]] = False
    if keep.sum() < 3 or totals[keep].mean() <= 0:
        return 1.0
    slope, intercept = np.polyfit(ages[keep], totals[keep], 1)
    return float(np.clip((intercept - slope) / totals[keep].mean(), 0.5, 2.0))  # age -1: next week


def _level_factor(history: History) -> float:
    """The last seven days' arrivals over the weeks' mean (1 with fewer than two weeks; 0.5..2)."""
    totals = _weekly_totals(history)
    totals = totals[~np.isnan(totals)]
    if len(totals) < 2 or totals.mean() <= 0:
        return 1.0
    return float(np.clip(totals[0] / totals.mean(), 0.5, 2.0))


def seasonal_median_trend(history: History, weekday: int) -> Array:
    """The seasonal median times the weekly totals' linear trend carried to the forecast week."""
    return seasonal_median(history, weekday) * _trend_factor(history)


def seasonal_mean_level(history: History, weekday: int) -> Array:
    """The seasonal mean times the last week's level against the weeks' mean."""
    return seasonal_mean(history, weekday) * _level_factor(history)


def smoothed_seasonal(history: History, weekday: int, alpha: float = 0.3) -> Array:
    """Exponentially weighted mean of the same weekday slot, newest week weighing most (weight
    alpha * (1 - alpha)^age, renormalised over the weeks counted)."""
    rows = _same_weekday(history.offered)
    weights = alpha * (1 - alpha) ** np.arange(len(rows), dtype=np.float64)
    counted = ~np.isnan(rows)
    total = (np.where(counted, rows, 0.0) * weights[:, None]).sum(axis=0)
    weight = (counted * weights[:, None]).sum(axis=0)
    out: Array = np.divide(total, weight, out=np.zeros(SLOTS), where=weight > 0)
    return out


def day_profile(history: History, weekday: int) -> Array:
    """This weekday's volume (the seasonal mean's daily total, so gaps and a first partial day count
    slot by slot as there) spread by the intraday profile of every whole day of the same kind (Monday to
    Friday pooled; Saturday, Sunday each alone) over the weeks: the workforce planners' volume x
    profile, which reads five times the history for the shape of a weekday."""
    offered = history.offered
    ages = np.arange(history.days)[::-1] + 1  # days before the forecast day
    kinds = (weekday - ages) % 7
    same_kind = (kinds < 5) if weekday < 5 else (kinds == weekday)
    rows = offered[same_kind]
    counted = ~np.isnan(rows)
    if not counted.any():
        return np.zeros(SLOTS)
    day_totals = np.nansum(rows, axis=1)
    full = counted.all(axis=1) & (day_totals > 0)  # days with every slot (no DST gap, no start)
    if not full.any():
        return seasonal_mean(history, weekday)
    profile = rows[full].sum(axis=0) / day_totals[full].sum()
    volume = float(seasonal_mean(history, weekday).sum())
    return np.asarray(profile * volume, dtype=np.float64)


def holt_winters(history: History, weekday: int) -> Array:
    """Additive Holt-Winters (statsmodels ExponentialSmoothing: level and a weekly season of 672
    quarter hours, which holds the daily cycle) fitted to the history, 96 steps ahead. A gap (DST, no
    traffic yet) is filled from the week before; fewer than two whole weeks: the seasonal mean."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # noqa: PLC0415  (slow to import)

    values = history.offered.copy()
    started = np.flatnonzero((~np.isnan(values)).any(axis=1))
    if len(started) == 0 or history.days - started[0] < 14:
        return seasonal_mean(history, weekday)
    values = values[started[0] :]
    for row in range(len(values)):
        gap = np.isnan(values[row])
        if gap.any():
            values[row, gap] = values[row - 7, gap] if row >= 7 else np.nanmean(values[row])
    series = np.nan_to_num(values.ravel(), nan=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser
        model = ExponentialSmoothing(
            series, seasonal="add", seasonal_periods=7 * SLOTS, initialization_method="heuristic"
        ).fit()
        out = np.asarray(model.forecast(SLOTS), dtype=np.float64)
    return np.clip(out, 0.0, None)


Method = Callable[[History, int], Array]
METHODS: dict[str, Method] = {
    "seasonal_mean": seasonal_mean,
    "seasonal_median": seasonal_median,
    "seasonal_median_trend": seasonal_median_trend,
    "seasonal_mean_level": seasonal_mean_level,
    "smoothed_seasonal": smoothed_seasonal,
    "day_profile": day_profile,
    "holt_winters": holt_winters,
}
PLAN_METHOD = "day_profile"  # the backtest's best (docs/bench.md "Forecast")
PLAN_WEEKS = 12  # history weeks a plan reads unless the request says: the backtest's best of 4, 8, 12


def forecast_slots(history: History, weekday: int, method: str = PLAN_METHOD) -> Array:
    """Expected arrivals per wall slot of the day after ``history`` (weekday 0 = Monday)."""
    try:
        chosen = METHODS[method]
    except KeyError:
        raise ValueError(f"unknown forecast method {method!r}: one of {', '.join(METHODS)}") from None
    return chosen(history, weekday)
