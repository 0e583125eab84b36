"""The one registry of Kafka topics: names, partitions, keys, retention, compaction, who writes and reads.

Every producer and consumer imports its topic from here; ``deploy/k8s`` KafkaTopic resources, and the
prod overlay's KafkaUser ACLs (one principal per service), are checked against this registry.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGENT_EVENTS",
    "ALL_TOPICS",
    "CONVERSATION_MESSAGES",
    "DEAD_LETTER",
    "EXTERNAL",
    "INTERACTION_EVENTS",
    "INTERACTION_INBOUND",
    "ROUTING_INPUTS",
    "SLA_ALERTS",
    "TENANT_CONFIG",
    "TopicSpec",
    "topic_by_name",
    "topic_names",
]

_DAY_MS = 24 * 3600 * 1000
EXTERNAL = "external"  # a writer outside the services (channel adapters)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic's contract. ``key`` says what the record key is (always UTF-8 text)."""

    name: str
    partitions: int
    key: str
    description: str
    retention_ms: int = 7 * _DAY_MS
    compacted: bool = False
    # The services that may write (prod: Kafka ACLs) and that read it (consumer group = service name).
    # ``EXTERNAL`` among the writers: channel adapters outside the platform write it too.
    writers: tuple[str, ...] = ()
    readers: tuple[str, ...] = ()
    # Every record carries its writer's Ed25519 signature (vaxel_common.signing); readers refuse others.
    signed: bool = False

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
    writers=(EXTERNAL,),
    readers=("routing",),
)
INTERACTION_EVENTS = TopicSpec(
    name="vaxel.interactions.events.v1",
    partitions=6,
    key="interaction_id",
    description=(
        "Every interaction lifecycle event (routing writes them, interaction-log the survey events);"
        " read by interaction-log, SLA and integrations (webhooks, the tenants' own streams)."
    ),
    retention_ms=30 * _DAY_MS,
    writers=("routing", "interaction-log"),
    readers=("interaction-log", "sla", "integrations", "conversation"),
)
AGENT_EVENTS = TopicSpec(
    name="vaxel.agents.events.v1",
    partitions=6,
    key="agent_id",
    description="Agent log-in, log-out and presence; read by interaction-log and SLA.",
    retention_ms=30 * _DAY_MS,
    writers=("routing",),
    readers=("interaction-log", "sla"),
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
    writers=("routing",),
    readers=("routing",),
)
TENANT_CONFIG = TopicSpec(
    name="vaxel.tenants.config.v1",
    partitions=3,
    key="entity_type/entity_id",
    description="Full state of every tenant configuration entity; compacted, replicated by the others.",
    compacted=True,
    writers=("client-tenant",),
    readers=("routing", "interaction-log", "sla", "integrations", "conversation"),
    signed=True,
)
SLA_ALERTS = TopicSpec(
    name="vaxel.sla.alerts.v1",
    partitions=3,
    key="tenant_id/queue_id",
    description=(
        "Service-level breach and predicted-breach alerts, raised and cleared; integrations sends them"
        " to the tenants' webhooks and streams."
    ),
    writers=("sla",),
    readers=("sla", "integrations"),
)
CONVERSATION_MESSAGES = TopicSpec(
    name="vaxel.conversations.messages.v1",
    partitions=6,
    key="interaction_id",
    description=(
        "Every interaction's transcript (chat.started, message.posted), in order per interaction; the"
        " conversation service rebuilds its transcripts from it at start. Kept until a transcript store lands."
    ),
    retention_ms=-1,
    writers=("conversation",),
    readers=("conversation",),
)
DEAD_LETTER = TopicSpec(
    name="vaxel.deadletter.v1",
    partitions=1,
    key="source topic",
    description="Records a consumer could not process, wrapped with the reason.",
    retention_ms=30 * _DAY_MS,
    writers=(
        "routing",
        "interaction-log",
        "sla",
        "integrations",
        "conversation",
    ),  # the services that consume something
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    INTERACTION_INBOUND,
    ROUTING_INPUTS,
    INTERACTION_EVENTS,
    AGENT_EVENTS,
    TENANT_CONFIG,
    SLA_ALERTS,
    CONVERSATION_MESSAGES,
    DEAD_LETTER,
)


def topic_names() -> list[str]:
    """Names of every registered topic."""
    return [t.name for t in ALL_TOPICS]


_BY_NAME = {t.name: t for t in ALL_TOPICS}


def topic_by_name(name: str) -> TopicSpec | None:
    """The registered topic called ``name``; None for a topic the registry does not know."""
    return _BY_NAME.get(name)
