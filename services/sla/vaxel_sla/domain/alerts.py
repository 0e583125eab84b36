"""Service-level alerts: breach and predicted breach of a queue's current interval. Pure.

A queue and channel is **breached** when its current interval's service level (the contract
formula) is below the target, once at least ``min_contacts`` interactions have closed. It is
**predicted to breach** when it is not breached yet but counting who will miss the threshold
takes it below: every interaction of the interval still waiting whose wait already passed the
threshold or whose estimated answer (routing's estimated wait) lies past it, and, when more wait
in the queue than agents are available, the newest of those waiting beyond the available agents.

The open alerts are state: raised once (de-duplicated), cleared on recovery or when the interval
that breached is over. Every raise and clear has an id derived from the queue, the interval and
how many times that alert was raised in it, so a replayed decision gets the same id and a
consumer can drop the duplicate. The alert book rebuilds itself from the alerts topic at start.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from vaxel_common.ids import deterministic_id
from vaxel_sla.domain.book import Waiting
from vaxel_sla.domain.intervals import Formula, IntervalStats, service_level

__all__ = ["Alert", "AlertBook", "AlertChange", "AlertKey", "AlertKind", "Assessment", "assess"]


class AlertKind(Enum):
    BREACH = 1
    PREDICTED_BREACH = 2


@dataclass(frozen=True, slots=True)
class AlertKey:
    tenant_id: str
    queue_id: str
    channel: int
    kind: AlertKind

    def __lt__(self, other: object) -> bool:  # kinds are an Enum: order by value
        if not isinstance(other, AlertKey):
            return NotImplemented
        return self._tuple() < other._tuple()

    def _tuple(self) -> tuple[str, str, int, int]:
        return (self.tenant_id, self.queue_id, self.channel, self.kind.value)


@dataclass(frozen=True, slots=True)
class Alert:
    key: AlertKey
    alert_id: str
    interval_start: datetime
    raised_at: datetime
    service_level: float
    target: float


@dataclass(frozen=True, slots=True)
class AlertChange:
    alert: Alert
    raised: bool  # False: cleared
    event_id: str
    service_level: float


@dataclass(frozen=True, slots=True)
class Assessment:
    """One queue and channel's current interval, judged."""

    tenant_id: str
    queue_id: str
    channel: int
    interval_start: datetime
    target: float
    service_level: float | None
    projected_service_level: float | None
    breached: bool
    predicted: bool


def assess(
    tenant_id: str,
    queue_id: str,
    channel: int,
    interval: datetime,
    stats: IntervalStats,
    formula: Formula,
    target: float,
    waiting: Sequence[Waiting],
    available_agents: int,
    now: float,
    *,
    min_contacts: int = 5,
    predict: bool = True,
) -> Assessment:
    """Judge the current interval. ``waiting`` is everyone waiting in the queue, oldest first."""
    current = service_level(stats, formula)
    closed = stats.answered + stats.abandoned
    breached = current is not None and closed >= min_contacts and current < target
    start = interval.timestamp()
    misses: set[str] = set()
    if predict:
        threshold = stats.threshold_seconds
        excess = max(0, len(waiting) - available_agents)
        beyond_agents = {w.interaction_id for w in waiting[len(waiting) - excess :]} if excess else set()
        for w in waiting:
            if w.channel != channel or w.created_at < start:
                continue
            expected = max(now, w.estimated_answer_at or now)
            if expected - w.created_at > threshold or w.interaction_id in beyond_agents:
                misses.add(w.interaction_id)
    projected_stats = copy.copy(stats)
    projected_stats.answered += len(misses)  # answered, but outside the threshold
    projected = service_level(projected_stats, formula)
    predicted = (
        not breached
        and bool(misses)
        and projected is not None
        and closed + len(misses) >= min_contacts
        and projected < target
    )
    return Assessment(tenant_id, queue_id, channel, interval, target, current, projected, breached, predicted)


class AlertBook:
    """The alerts open now, and how often each was raised per interval (for stable ids)."""

    def __init__(self) -> None:
        self.open: dict[AlertKey, Alert] = {}
        self._raised: dict[tuple[AlertKey, datetime], set[str]] = {}

    def observe(self, alert: Alert, raised: bool) -> None:
        """An alert event read back from the alerts topic (at start, or our own after publishing)."""
        if raised:
            self._raised.setdefault((alert.key, alert.interval_start), set()).add(alert.alert_id)
            held = self.open.get(alert.key)
            if held is None or (held.interval_start, held.raised_at) <= (
                alert.interval_start,
                alert.raised_at,
            ):
                self.open[alert.key] = alert
        else:
            held = self.open.get(alert.key)
            if held is not None and held.alert_id == alert.alert_id:
                del self.open[alert.key]

    def evaluate(self, assessments: Iterable[Assessment], now: datetime) -> list[AlertChange]:
        """What to raise and clear so the open alerts match the assessments (queues not assessed
        any more, e.g. deleted, have their alerts cleared)."""
        wanted: dict[AlertKey, Assessment] = {}
        assessed: set[tuple[str, str, int]] = set()
        for a in assessments:
            assessed.add((a.tenant_id, a.queue_id, a.channel))
            if a.breached:
                wanted[AlertKey(a.tenant_id, a.queue_id, a.channel, AlertKind.BREACH)] = a
            elif a.predicted:
                wanted[AlertKey(a.tenant_id, a.queue_id, a.channel, AlertKind.PREDICTED_BREACH)] = a
        changes: list[AlertChange] = []
        for key in sorted(self.open):
            alert = self.open[key]
            judged = wanted.get(key)
            if judged is None or judged.interval_start != alert.interval_start:
                level = (judged.service_level if judged else None) or 0.0
                changes.append(AlertChange(alert, False, deterministic_id(alert.alert_id, "cleared"), level))
        for key in sorted(wanted):
            judged = wanted[key]
            held = self.open.get(key)
            if held is not None and held.interval_start == judged.interval_start:
                continue
            count = len(self._raised.get((key, judged.interval_start), ()))
            alert_id = deterministic_id(
                "sla-alert",
                key.tenant_id,
                key.queue_id,
                str(key.channel),
                key.kind.name,
                judged.interval_start.isoformat(),
                str(count),
            )
            level = (
                judged.service_level if key.kind is AlertKind.BREACH else judged.projected_service_level
            ) or 0.0
            raised = Alert(key, alert_id, judged.interval_start, now, level, judged.target)
            changes.append(AlertChange(raised, True, deterministic_id(alert_id, "raised"), level))
        return changes

    def for_tenant(self, tenant_id: str | None) -> list[Alert]:
        return [a for k, a in sorted(self.open.items()) if tenant_id is None or k.tenant_id == tenant_id]
