"""Forecast and staffing: arrivals by local time of day and weekday, agents per interval, and
which site covers which hours (follow the sun). Pure.

The forecast of an interval comes from the last weeks of history read as wall-clock slots in the
queue's zone, by the method :data:`~vaxel_sla.domain.forecast.PLAN_METHOD` names (chosen by backtest;
a wall time that did not exist, the spring DST gap, is skipped; weeks before the queue's first traffic
are not counted, so a new queue is not diluted by zeros); its handle time is the same weekday
intervals' observed mean, else the queue's, else a default. Local days have 92, 96 or 100 quarter
hours across DST: each real interval of the repeated autumn hour gets its wall slot's forecast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from vaxel_sla.domain.erlang import Staffing, agents_for
from vaxel_sla.domain.forecast import PLAN_METHOD, PLAN_WEEKS, Traffic, forecast_slots, wall_history
from vaxel_sla.domain.intervals import interval_start

__all__ = [
    "ForecastInterval",
    "Site",
    "SiteCoverage",
    "agent_hours",
    "cover_by_sites",
    "forecast_day",
    "local_intervals",
    "staff",
]

BUCKET_SECONDS = 900
Arrivals = Mapping[int, tuple[int, int, int]]  # UTC bucket -> (offered, handled, handle ms)


def local_intervals(day: date, zone: str, minutes: int) -> list[datetime]:
    """UTC starts of the ``minutes``-long intervals of local ``day`` in ``zone``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    out = []
    cursor = interval_start(start, zone, minutes)
    while cursor < end:
        out.append(cursor)
        cursor = interval_start(cursor + timedelta(minutes=minutes), zone, minutes)
    return out


@dataclass(frozen=True, slots=True)
class ForecastInterval:
    start: datetime
    local_start: str
    arrivals: float
    aht_seconds: float
    staffing: Staffing | None = None


def forecast_day(
    arrivals: Arrivals | Traffic,
    zone: str,
    day: date,
    *,
    minutes: int = 15,
    weeks: int = PLAN_WEEKS,
    default_aht_seconds: float = 300.0,
    method: str = PLAN_METHOD,
) -> list[ForecastInterval]:
    """Expected arrivals (by ``method``, :mod:`vaxel_sla.domain.forecast`) and handle time per local
    interval of ``day``, from the ``weeks`` weeks before it (``Traffic.of(arrivals)`` once when forecasting
    several days of a queue)."""
    traffic = arrivals if isinstance(arrivals, Traffic) else Traffic.of(arrivals)
    history = wall_history(traffic, zone, day, weeks)
    slots = forecast_slots(history, day.weekday(), method)
    queue_aht = traffic.aht_seconds
    same_day = slice(history.days - 7, None, -7)  # the same weekday's rows, newest first
    handled = np.nansum(history.handled[same_day], axis=0).tolist()
    handle_ms = np.nansum(history.handle_ms[same_day], axis=0).tolist()
    expected = slots.tolist()
    per = minutes // 15
    tz = ZoneInfo(zone)
    out = []
    for start in local_intervals(day, zone, minutes):
        local = start.astimezone(tz)
        first = local.hour * 4 + local.minute // 15  # its wall slot (forecast.wall_slot)
        count = sum(handled[first : first + per])
        aht = (
            sum(handle_ms[first : first + per]) / count / 1000
            if count
            else (queue_aht or default_aht_seconds)
        )
        arrivals_expected = sum(expected[first : first + per])
        out.append(ForecastInterval(start, local.isoformat(timespec="minutes"), arrivals_expected, aht))
    return out


def staff(
    forecast: Sequence[ForecastInterval],
    *,
    minutes: int,
    target: float,
    threshold_seconds: float,
    shrinkage: float = 0.0,
    concurrency: int = 1,
    max_asa_seconds: float | None = None,
    max_occupancy: float = 1.0,
    patience_seconds: float | None = None,
) -> list[ForecastInterval]:
    """Each forecast interval with the agents its target needs (Erlang A with a patience, else C)."""
    return [
        ForecastInterval(
            f.start,
            f.local_start,
            f.arrivals,
            f.aht_seconds,
            agents_for(
                f.arrivals,
                minutes * 60,
                f.aht_seconds,
                target_service_level=target,
                threshold_seconds=threshold_seconds,
                max_asa_seconds=max_asa_seconds,
                max_occupancy=max_occupancy,
                shrinkage=shrinkage,
                concurrency=concurrency,
                patience_seconds=patience_seconds,
            ),
        )
        for f in forecast
    ]


@dataclass(frozen=True, slots=True)
class Site:
    """A site and its local working hours (``opens`` < ``closes``, or overnight when ``closes`` <=
    ``opens``); Monday to Friday unless ``weekends``."""

    site_id: str
    time_zone: str
    opens: time
    closes: time
    weekends: bool = False
    max_agents: int = 0

    def _minutes(self, t: time) -> int:
        return t.hour * 60 + t.minute

    def is_working(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.time_zone))
        now, opens, closes = (
            self._minutes(local.time()),
            self._minutes(self.opens),
            self._minutes(self.closes),
        )
        if opens < closes:
            inside, day = opens <= now < closes, local.weekday()
        else:  # overnight: the shift belongs to the day it opened
            inside = now >= opens or now < closes
            day = local.weekday() if now >= opens else (local.weekday() - 1) % 7
        return inside and (self.weekends or day < 5)

    def distance_from_midday(self, at: datetime) -> float:
        """How far the local time is from the middle of the site's working day (0: right there)."""
        local = at.astimezone(ZoneInfo(self.time_zone))
        opens, closes = self._minutes(self.opens), self._minutes(self.closes)
        length = (closes - opens) % 1440 or 1440
        middle = (opens + length / 2) % 1440
        delta = abs(local.hour * 60 + local.minute - middle) % 1440
        return min(delta, 1440 - delta)


@dataclass(frozen=True, slots=True)
class SiteCoverage:
    start: datetime
    required: int
    covered_by: dict[str, int]
    uncovered: int


def cover_by_sites(required: Mapping[datetime, int], sites: Sequence[Site]) -> list[SiteCoverage]:
    """Follow the sun: each interval's agents go to the working sites nearest their local midday
    first (up to a site's ``max_agents``), then to the next; what no site covers is reported."""
    out = []
    for start in sorted(required):
        need = required[start]
        left = need
        covered: dict[str, int] = {}
        working = sorted(
            (s for s in sites if s.is_working(start)),
            key=lambda s: (s.distance_from_midday(start), s.site_id),
        )
        for site in working:
            if left <= 0:
                break
            take = left if site.max_agents <= 0 else min(left, site.max_agents)
            if take:
                covered[site.site_id] = take
                left -= take
        out.append(SiteCoverage(start, need, covered, left))
    return out


def agent_hours(coverage: Sequence[SiteCoverage], minutes: int) -> tuple[dict[str, float], float]:
    """Agent-hours per site over the plan, and the uncovered agent-hours."""
    hours: dict[str, float] = {}
    uncovered = 0.0
    for c in coverage:
        for site, agents in c.covered_by.items():
            hours[site] = hours.get(site, 0.0) + agents * minutes / 60
        uncovered += c.uncovered * minutes / 60
    return hours, uncovered
