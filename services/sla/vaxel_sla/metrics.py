"""The SLA service's own instruments. Labels are bounded: tenant and queue come from configuration,
channel and kind are enums; never agent, customer or interaction ids."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["SlaMetrics"]

_QUEUE = ["tenant", "queue"]
_LANE = ["tenant", "queue", "channel"]


@dataclass(frozen=True, slots=True)
class SlaMetrics:
    offered: Counter
    answered: Counter
    abandoned: Counter
    service_level: Gauge
    target: Gauge
    waiting: Gauge
    estimated_wait: Gauge
    longest_wait: Gauge
    agents_required: Gauge
    agents_available: Gauge
    alerts_open: Gauge
    alerts_raised: Counter
    late_dropped: Gauge
    interactions_held: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> SlaMetrics:
        def counter(name: str, doc: str, labels: list[str]) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        def gauge(name: str, doc: str, labels: list[str]) -> Gauge:
            return Gauge(name, doc, labels, registry=registry)

        return cls(
            offered=counter("vaxel_sla_offered_total", "Interactions offered to a queue.", _LANE),
            answered=counter("vaxel_sla_answered_total", "Interactions answered by an agent.", _LANE),
            abandoned=counter("vaxel_sla_abandoned_total", "Interactions abandoned while waiting.", _LANE),
            service_level=gauge(
                "vaxel_sla_service_level_ratio",
                "Service level (0..1) of the queue's current interval by the contract formula.",
                _LANE,
            ),
            target=gauge(
                "vaxel_sla_service_level_target_ratio", "The contract's service-level target.", _LANE
            ),
            waiting=gauge("vaxel_sla_waiting_interactions", "Interactions waiting in the queue now.", _QUEUE),
            estimated_wait=gauge(
                "vaxel_sla_estimated_wait_seconds",
                "Estimated wait of the newest waiting interaction (routing's estimate).",
                _QUEUE,
            ),
            longest_wait=gauge(
                "vaxel_sla_longest_wait_seconds",
                "How long the oldest waiting interaction has waited.",
                _QUEUE,
            ),
            agents_required=gauge(
                "vaxel_sla_agents_required",
                "Agents the current interval's arrivals need for the target (Erlang C).",
                _QUEUE,
            ),
            agents_available=gauge(
                "vaxel_sla_agents_available",
                "Agents available and idle now (shared pools: all queues).",
                _QUEUE,
            ),
            alerts_open=gauge(
                "vaxel_sla_alerts_open",
                "1 while the alert is open (kind: breach, predicted_breach).",
                [*_LANE, "kind"],
            ),
            alerts_raised=counter("vaxel_sla_alerts_raised_total", "Alerts raised.", ["kind"]),
            late_dropped=gauge(
                "vaxel_sla_late_events_dropped",
                "Interactions that arrived after their interval was sealed.",
                [],
            ),
            interactions_held=gauge("vaxel_sla_interactions_held", "Interactions held in memory.", []),
        )
