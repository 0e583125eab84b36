"""The one registry of Kafka topics: names, partitions, keys, retention and compaction.

Every producer and consumer imports its topic from here; ``deploy/k8s`` KafkaTopic
resources are checked against this registry.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGENT_EVENTS",
    "ALL_TOPICS",
    "DEAD_LETTER",
    "INTERACTION_EVENTS",
    "INTERACTION_INBOUND",
    "ROUTING_INPUTS",
    "SLA_ALERTS",
    "TENANT_CONFIG",
    "TopicSpec",
    "topic_names",
]

_DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic's contract. ``key`` says what the record key is (always UTF-8 text)."""

    name: str
    partitions: int
    key: str
    description: str
    retention_ms: int = 7 * _DAY_MS
    compacted: bool = False

    @property
    def config(self) -> dict[str, str]:
        """Topic-level configuration as Kafka expects it."""
        if self.compacted:
            return {"cleanup.policy": "compact"}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms)}


INTERACTION_INBOUND = TopicSpec(
    name="vaxel.interactions.inbound.v1",
    partitions=6,
    key="tenant_id",
    description="Interactions submitted over Kafka (chat, e-mail, social adapters); read by routing.",
)
INTERACTION_EVENTS = TopicSpec(
    name="vaxel.interactions.events.v1",
    partitions=6,
    key="interaction_id",
    description=(
        "Every interaction lifecycle event (routing writes them, interaction-log the survey events);"
        " read by interaction-log and SLA."
    ),
    retention_ms=30 * _DAY_MS,
)
AGENT_EVENTS = TopicSpec(
    name="vaxel.agents.events.v1",
    partitions=6,
    key="agent_id",
    description="Agent log-in, log-out and presence; read by interaction-log and SLA.",
    retention_ms=30 * _DAY_MS,
)
ROUTING_INPUTS = TopicSpec(
    name="vaxel.routing.inputs.v1",
    partitions=6,
    key="routing pool",
    description=(
        "Routing's own input log (vaxel.routing.v1.RoutingInput): submissions, desk actions, timers. "
        "One pool's engine state is a function of its records; kept until routing snapshots land."
    ),
    retention_ms=-1,
)
TENANT_CONFIG = TopicSpec(
    name="vaxel.tenants.config.v1",
    partitions=3,
    key="entity_type/entity_id",
    description="Full state of every tenant configuration entity; compacted, replicated by the others.",
    compacted=True,
)
SLA_ALERTS = TopicSpec(
    name="vaxel.sla.alerts.v1",
    partitions=3,
    key="tenant_id/queue_id",
    description="Service-level breach and predicted-breach alerts, raised and cleared.",
)
DEAD_LETTER = TopicSpec(
    name="vaxel.deadletter.v1",
    partitions=1,
    key="source topic",
    description="Records a consumer could not process, wrapped with the reason.",
    retention_ms=30 * _DAY_MS,
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    INTERACTION_INBOUND,
    ROUTING_INPUTS,
    INTERACTION_EVENTS,
    AGENT_EVENTS,
    TENANT_CONFIG,
    SLA_ALERTS,
    DEAD_LETTER,
)


def topic_names() -> list[str]:
    """Names of every registered topic."""
    return [t.name for t in ALL_TOPICS]
