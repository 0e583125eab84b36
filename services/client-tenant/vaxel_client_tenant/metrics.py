"""Client-tenant's own instruments (the gRPC and produced-event counts are the shared ones of
``vaxel_common.metrics``). No labels: nothing here is per tenant, entity or person."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["ClientTenantMetrics"]


@dataclass(frozen=True, slots=True)
class ClientTenantMetrics:
    outbox_pending: Gauge
    outbox_failures: Counter
    republished: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ClientTenantMetrics:
        return cls(
            outbox_pending=Gauge(
                "vaxel_client_tenant_outbox_pending_events",
                "Configuration changes committed to the store and not yet published to the topic.",
                registry=registry,
            ),
            outbox_failures=Counter(
                "vaxel_client_tenant_outbox_publish_failures_total",
                "Attempts of the outbox relay to publish that failed (retried; nothing is skipped).",
                registry=registry,
            ),
            republished=Counter(
                "vaxel_client_tenant_config_republished_events",
                "Configuration events republished at start because the topic lacked them (an emptied or"
                " restarted memory-only broker, a lost topic).",
                registry=registry,
            ),
        )
