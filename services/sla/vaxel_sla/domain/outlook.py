"""A queue's projected service levels, gathered from the book. Pure.

For every channel of the queue judged on the wall clock (channels whose target runs on the
business-hours clock, e-mail and social, are not projected): what is closed so far in the current
15-minute interval, who waits, the forecast of the current and the next interval
(:func:`~vaxel_sla.domain.planning.forecast_day`; the last hour's rate where it forecasts nothing),
the handle time, the patience (Erlang A when abandons give one, else Erlang C) and the target,
threshold and formula in force in each interval (the contract version of its local date). The maths
is :func:`vaxel_sla.domain.projection.project`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from vaxel_sla.domain.book import ServiceLevelBook, utc
from vaxel_sla.domain.forecast import PLAN_METHOD
from vaxel_sla.domain.intervals import interval_start
from vaxel_sla.domain.planning import ForecastInterval, forecast_day
from vaxel_sla.domain.projection import Demand, project
from vaxel_sla.domain.terms import QueueTerms
from vaxel_sla.domain.utilisation import QueueAgents

__all__ = ["INTERVAL_MINUTES", "SERVING_WINDOW_SECONDS", "ForecastCache", "LaneProjection", "project_queue"]

INTERVAL_MINUTES = 15
# Agents serving a queue: logged in, not away, and handled its work within this long.
SERVING_WINDOW_SECONDS = 3600.0
_INTERVAL = timedelta(minutes=INTERVAL_MINUTES)


@dataclass(frozen=True, slots=True)
class LaneProjection:
    """One channel's projected level (None: nothing to judge) against its target, per interval."""

    channel: int
    current_start: datetime
    current: float | None
    current_target: float
    next_start: datetime
    next: float | None
    next_target: float
    agents: float
    forecast_now: float  # arrivals expected in the rest of the current interval
    forecast_next: float  # arrivals expected in the next interval


class ForecastCache:
    """Each lane's forecast of a local day, kept ``ttl_seconds``: a day's forecast reads weeks of history,
    which the current traffic barely moves, and costs milliseconds; the projection asks every round."""

    def __init__(self, ttl_seconds: float = 900.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._held: dict[tuple[str, str, int, date], tuple[float, list[ForecastInterval]]] = {}

    def get(
        self, key: tuple[str, str, int, date], now: float, compute: Callable[[], list[ForecastInterval]]
    ) -> list[ForecastInterval]:
        held = self._held.get(key)
        if held is not None and now - held[0] < self.ttl_seconds:
            return held[1]
        if held is None and len(self._held) % 256 == 0:  # forget the stale now and then: bounded by the lanes
            self._held = {k: v for k, v in self._held.items() if now - v[0] < self.ttl_seconds}
        forecast = compute()
        self._held[key] = (now, forecast)
        return forecast


@dataclass(frozen=True, slots=True)
class _Lane:
    channel: int
    now_rate: float  # arrivals per second
    next_rate: float
    aht_seconds: float


def project_queue(
    book: ServiceLevelBook,
    terms: QueueTerms,
    now: float,
    agents: QueueAgents,
    *,
    default_aht_seconds: float = 300.0,
    forecasts: ForecastCache | None = None,
    forecast_method: str = PLAN_METHOD,
) -> list[LaneProjection]:
    """The queue's projected current and next interval, per channel judged on the wall clock (the day
    forecasts kept in ``forecasts`` when given)."""
    at = utc(now)
    start = interval_start(at, terms.time_zone, INTERVAL_MINUTES)
    following = interval_start(start + _INTERVAL, terms.time_zone, INTERVAL_MINUTES)
    judged_now, judged_next = terms.at(start), terms.at(following)
    channels = sorted(set(terms.channels) | set(book.channels(terms.tenant_id, terms.queue_id)))
    lanes = [
        _lane(book, terms, channel, now, (start, following), default_aht_seconds, forecasts, forecast_method)
        for channel in channels
        if not judged_now.target_for(channel).business_clock
    ]
    queue_now = sum(lane.now_rate for lane in lanes)
    queue_next = sum(lane.next_rate for lane in lanes)
    weight = queue_now + queue_next
    aht = (
        sum((lane.now_rate + lane.next_rate) * lane.aht_seconds for lane in lanes) / weight
        if weight
        else default_aht_seconds
    )
    waiting = book.waiting(terms.tenant_id, terms.queue_id)
    seconds = INTERVAL_MINUTES * 60
    left = max(0.0, start.timestamp() + seconds - now)
    out = []
    for lane in lanes:
        demand = Demand(lane.now_rate, lane.next_rate, queue_now, queue_next, aht)
        patience = book.patience_seconds(terms.tenant_id, terms.queue_id, lane.channel)
        levels = []
        for judged in (judged_now, judged_next):
            target = judged.target_for(lane.channel)
            levels.append(
                (
                    project(
                        now=now,
                        interval_start=start.timestamp(),
                        interval_seconds=seconds,
                        channel=lane.channel,
                        so_far=book.stats(judged_now, lane.channel, start, INTERVAL_MINUTES, now),
                        waiting=waiting,
                        demand=demand,
                        agents=agents,
                        threshold_seconds=target.threshold_seconds,
                        formula=judged.formula,
                        patience_seconds=patience,
                    ),
                    target.target,
                )
            )
            if judged_next == judged_now:  # the same terms judge both: one projection gives both
                levels.append(levels[0])
                break
        (current, current_target), (upcoming, next_target) = levels
        out.append(
            LaneProjection(
                lane.channel,
                start,
                current.current,
                current_target,
                following,
                upcoming.next,
                next_target,
                agents.serving,
                lane.now_rate * left,
                lane.next_rate * seconds,
            )
        )
    return out


def _lane(
    book: ServiceLevelBook,
    terms: QueueTerms,
    channel: int,
    now: float,
    intervals: tuple[datetime, datetime],
    default_aht_seconds: float,
    forecasts: ForecastCache | None,
    method: str,
) -> _Lane:
    arrivals = book.arrivals(terms.tenant_id, terms.queue_id, channel)
    cache = forecasts if forecasts is not None else ForecastCache()

    def forecast(interval: datetime) -> ForecastInterval | None:
        if not arrivals:  # no traffic ever: nothing to forecast from
            return None
        day = interval.astimezone(ZoneInfo(terms.time_zone)).date()
        intervals_of_day = cache.get(
            (terms.tenant_id, terms.queue_id, channel, day),
            now,
            lambda: forecast_day(
                arrivals,
                terms.time_zone,
                day,
                minutes=INTERVAL_MINUTES,
                default_aht_seconds=default_aht_seconds,
                method=method,
            ),
        )
        return next((f for f in intervals_of_day if f.start == interval), None)

    seconds = INTERVAL_MINUTES * 60
    rolling = book.rolling(terms, channel, now)
    recent = rolling.offered / 3600  # per second over the last hour: where the forecast has no history
    now_f, next_f = (forecast(interval) for interval in intervals)
    aht = (now_f.aht_seconds if now_f else None) or rolling.aht_seconds or default_aht_seconds
    return _Lane(
        channel,
        now_f.arrivals / seconds if now_f and now_f.arrivals > 0 else recent,
        next_f.arrivals / seconds if next_f and next_f.arrivals > 0 else recent,
        aht,
    )
