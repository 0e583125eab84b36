"""The integrations service's own instruments. Labels are bounded: tenant ids come from configuration,
outcome is an enum; never endpoint URLs, delivery, event or interaction ids."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["OUTCOMES", "IntegrationsMetrics"]

# delivered: 2xx; retried: failed, another attempt scheduled; failed: given up.
OUTCOMES = ("delivered", "retried", "failed")
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


@dataclass(frozen=True, slots=True)
class IntegrationsMetrics:
    attempts: Counter
    deliveries_created: Counter
    delivery_latency: Histogram
    attempt_duration: Histogram
    endpoints: Gauge
    pending: Gauge
    streams_open: Gauge
    stream_events: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> IntegrationsMetrics:
        return cls(
            attempts=Counter(
                "vaxel_integrations_delivery_attempts_total",
                "Webhook delivery attempts by outcome (delivered, retried, failed).",
                ["tenant", "outcome"],
                registry=registry,
            ),
            deliveries_created=Counter(
                "vaxel_integrations_deliveries_created_total",
                "Webhook deliveries created from events (one per event and endpoint that wants it).",
                ["tenant"],
                registry=registry,
            ),
            delivery_latency=Histogram(
                "vaxel_integrations_delivery_latency_seconds",
                "From the event's occurred-at to the endpoint's 2xx answer.",
                [],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            attempt_duration=Histogram(
                "vaxel_integrations_attempt_duration_seconds",
                "One HTTP attempt, request to answer (or timeout).",
                [],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            endpoints=Gauge(
                "vaxel_integrations_endpoints", "Webhook endpoints registered.", [], registry=registry
            ),
            pending=Gauge(
                "vaxel_integrations_pending_deliveries",
                "Deliveries waiting for their first or next attempt.",
                [],
                registry=registry,
            ),
            streams_open=Gauge(
                "vaxel_integrations_streams_open", "Tenant event streams open now.", [], registry=registry
            ),
            stream_events=Counter(
                "vaxel_integrations_stream_events_total",
                "Events sent on tenant event streams.",
                [],
                registry=registry,
            ),
        )

    def track_tenant(self, tenant_id: str) -> None:
        """A tenant's counters at 0 from its first endpoint (increase() sees the first failure)."""
        self.deliveries_created.labels(tenant_id)
        for outcome in OUTCOMES:
            self.attempts.labels(tenant_id, outcome)
