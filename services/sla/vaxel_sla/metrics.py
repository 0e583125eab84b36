"""The SLA service's own instruments (tenant and queue ids are bounded by configuration)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter


@dataclass(frozen=True)
class SlaMetrics:
    offered: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> SlaMetrics:
        return cls(
            offered=Counter(
                "vaxel_sla_interactions_offered_total",
                "Interactions offered to a queue.",
                ["tenant", "queue"],
                registry=registry,
            )
        )
