"""The SLA service's own instruments. Labels are bounded: tenant and queue come from configuration,
channel and kind are enums; never agent, customer or interaction ids."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from vaxel_sla.domain.alerts import AlertKind

__all__ = ["ALERT_KINDS", "PROJECTED_INTERVALS", "SlaMetrics", "kind_label"]


def kind_label(kind: AlertKind) -> str:
    """The ``kind`` label of an alert kind: breach, predicted_breach."""
    return kind.name.lower()


ALERT_KINDS = tuple(kind_label(kind) for kind in AlertKind)
# The ``interval`` label of the projected service level.
PROJECTED_INTERVALS = ("current", "next")

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
    occupancy: Gauge
    utilisation: Gauge
    tenant_share: Gauge
    projected: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> SlaMetrics:
        def counter(name: str, doc: str, labels: list[str]) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        def gauge(name: str, doc: str, labels: list[str]) -> Gauge:
            return Gauge(name, doc, labels, registry=registry)

        metrics = cls(
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
            occupancy=gauge(
                "vaxel_sla_occupancy_ratio",
                "Agents' handling / available time over the last hour, per site.",
                ["site"],
            ),
            utilisation=gauge(
                "vaxel_sla_utilisation_ratio",
                "Agents' handling / logged-in time over the last hour, per site.",
                ["site"],
            ),
            tenant_share=gauge(
                "vaxel_sla_tenant_share_ratio",
                "A tenant's handling / the available time of the agents that served it, last hour.",
                ["tenant"],
            ),
            projected=gauge(
                "vaxel_sla_projected_service_level_ratio",
                "Projected service level (0..1) by the contract formula of the queue's current or next "
                "15-minute interval (interval: current, next), from the waiting work, the forecast and "
                "the agents serving the queue now.",
                [*_LANE, "interval"],
            ),
        )
        for kind in ALERT_KINDS:
            metrics.alerts_raised.labels(kind)  # 0 until the first alert of the kind
        return metrics

    def track_lane(self, tenant_id: str, queue_id: str, channel: str) -> None:
        """Create a queue channel's counters and alert gauges at 0 once the service judges it: the
        dashboards then show 0 offered, abandoned or open alerts rather than no data, and Prometheus
        sees the first abandon or alert as an increase (a series that first appears at 1 shows none)."""
        lane = (tenant_id, queue_id, channel)
        for counter in (self.offered, self.answered, self.abandoned):
            counter.labels(*lane)
        for kind in ALERT_KINDS:
            self.alerts_open.labels(*lane, kind)
