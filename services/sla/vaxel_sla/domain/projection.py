"""Projected service level of a queue channel's current and next interval. Pure.

Where the current interval will end up, and where the next will start, if nothing changes: the agents
serving the queue now stay, work arrives as forecast, and everyone is answered in turn.

- **Waiting work** is answered in arrival order (every channel of the queue shares its agents): the
  first ``idle`` at once, the k-th after that when k agents have freed up, i.e. after ``(k - idle +
  1) · AHT / N`` seconds with ``N`` agents serving. It is within the threshold when its age now plus
  that wait is within; with no agents nobody is answered in time. Only work that arrived in the
  current interval counts for its figure; older work still takes its turn first.
- **Arrivals** for the rest of the current interval and for the next come from the forecast
  (:func:`vaxel_sla.domain.planning.forecast_day`), or, where it forecasts nothing (no history), the
  rate of the last hour. An arrival at ``u`` waits first for what is left of the backlog, ``b(u) =
  max(0, B - (u - now))`` with ``B`` the waiting work beyond the idle agents times AHT / N, then as
  Erlang says for the queue's traffic: within the threshold with Erlang C's (or, with a patience,
  Erlang A's) probability of an answer within ``T - b(u)``, never when ``b(u) > T``. Erlang A's
  abandons count as abandoned, none of them short or within the threshold (the cautious reading).
  Arrivals are averaged over the window by the midpoint rule.
- **Agents** serving the queue are those logged in and not away who handled its work in the last
  hour, a shared agent by the share of its handling that was this queue's; fractional head counts
  are interpolated between the whole ones in Erlang.

The projected level is the contract formula (:func:`~vaxel_sla.domain.intervals.service_level`)
applied to what is closed so far plus these expected counts; None when there is nothing to judge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from vaxel_sla.domain.book import Waiting
from vaxel_sla.domain.erlang import erlang_a, erlang_c_figures
from vaxel_sla.domain.intervals import Formula, IntervalStats, service_level
from vaxel_sla.domain.utilisation import QueueAgents

__all__ = ["Demand", "ExpectedCounts", "ProjectedLevels", "QueueAgents", "project"]

# Points of the midpoint rule over an interval's arrivals.
_STEPS = 16


@dataclass(frozen=True, slots=True)
class Demand:
    """Forecast arrivals per second of the lane (``lane``) and of the whole queue (``queue``, every
    channel: they share the agents) for the current and the next interval."""

    lane_now: float
    lane_next: float
    queue_now: float
    queue_next: float
    aht_seconds: float


@dataclass(slots=True)
class ExpectedCounts:
    """An interval's counts, expected (fractional): what :func:`service_level` divides."""

    answered: float = 0.0
    answered_within: float = 0.0
    abandoned: float = 0.0
    short_abandoned: float = 0.0
    abandoned_within: float = 0.0

    @classmethod
    def of(cls, stats: IntervalStats) -> ExpectedCounts:
        return cls(
            stats.answered,
            stats.answered_within,
            stats.abandoned,
            stats.short_abandoned,
            stats.abandoned_within,
        )


@dataclass(frozen=True, slots=True)
class ProjectedLevels:
    current: float | None
    next: float | None


@dataclass(frozen=True, slots=True)
class _Queue:
    """What an arrival meets: agents, answer rate when they are all busy, the backlog ahead (seconds)."""

    agents: float
    rate: float  # answers per second when every agent is busy
    backlog_seconds: float
    threshold: float
    aht: float
    patience: float | None


def project(
    *,
    now: float,
    interval_start: float,
    interval_seconds: float,
    channel: int,
    so_far: IntervalStats,
    waiting: Sequence[Waiting],
    demand: Demand,
    agents: QueueAgents,
    threshold_seconds: float,
    formula: Formula,
    patience_seconds: float | None = None,
) -> ProjectedLevels:
    """The projected level of ``channel``'s current interval ``[interval_start, + interval_seconds)``
    and of the next. ``waiting`` is everyone waiting in the queue now, oldest first (every channel)."""
    serving = max(0.0, agents.serving)
    idle = min(max(0.0, agents.idle), serving)
    aht = demand.aht_seconds
    rate = serving / aht
    queue = _Queue(
        serving,
        rate,
        max(0.0, len(waiting) - idle) / rate if rate > 0 else math.inf,
        threshold_seconds,
        aht,
        patience_seconds,
    )
    current = ExpectedCounts.of(so_far)
    for position, w in enumerate(waiting):
        if w.channel != channel or w.created_at < interval_start:
            continue
        ahead = position - math.floor(idle)
        wait = 0.0 if ahead < 0 else ((ahead + 1) / rate if rate > 0 else math.inf)
        current.answered += 1
        current.answered_within += (now - w.created_at) + wait <= threshold_seconds
    end = interval_start + interval_seconds
    left = max(0.0, end - now)
    _add_arrivals(current, queue, demand.lane_now * left, demand.queue_now, 0.0, left)
    upcoming = ExpectedCounts()
    _add_arrivals(
        upcoming, queue, demand.lane_next * interval_seconds, demand.queue_next, left, left + interval_seconds
    )
    return ProjectedLevels(service_level(current, formula), service_level(upcoming, formula))


def _add_arrivals(
    counts: ExpectedCounts, queue: _Queue, arrivals: float, queue_rate: float, since: float, until: float
) -> None:
    """``arrivals`` spread evenly over ``[now + since, now + until)``, each judged as it meets the queue."""
    if arrivals <= 0 or until <= since:
        return
    within = abandoned = 0.0
    step = (until - since) / _STEPS
    for i in range(_STEPS):
        backlog = max(0.0, queue.backlog_seconds - (since + (i + 0.5) * step))
        w, a = _arrival(queue, queue_rate, queue.threshold - backlog)
        within += w / _STEPS
        abandoned += a / _STEPS
    counts.answered += arrivals * (1 - abandoned)
    counts.answered_within += arrivals * within
    counts.abandoned += arrivals * abandoned


def _arrival(queue: _Queue, queue_rate: float, threshold: float) -> tuple[float, float]:
    """(P(answered within ``threshold``), P(abandons)) of one arrival, Erlang between whole agent counts."""
    if queue.agents <= 0:
        return 0.0, 0.0 if queue.patience is None else 1.0
    if threshold < 0:  # the backlog alone outlasts the threshold: answered late (or abandoned)
        return 0.0, _arrival(queue, queue_rate, 0.0)[1]
    low = math.floor(queue.agents)
    share = queue.agents - low
    w_low, a_low = _erlang(low, queue, queue_rate, threshold)
    if share == 0:
        return w_low, a_low
    w_high, a_high = _erlang(low + 1, queue, queue_rate, threshold)
    return w_low + share * (w_high - w_low), a_low + share * (a_high - a_low)


def _erlang(agents: int, queue: _Queue, queue_rate: float, threshold: float) -> tuple[float, float]:
    if agents <= 0:
        return 0.0, 0.0 if queue.patience is None else 1.0
    if queue_rate <= 0:
        return 1.0, 0.0
    if queue.patience is not None:
        a = erlang_a(agents, queue_rate, queue.aht, queue.patience, threshold, with_asa=False)
        return a.service_level, a.abandon_probability
    return erlang_c_figures(agents, queue_rate * queue.aht, queue.aht, threshold).service_level, 0.0
