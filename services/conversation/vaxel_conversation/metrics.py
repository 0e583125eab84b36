"""The conversation service's own instruments. Labels are bounded: author kinds and refusal fields are
small known sets; never tenant, interaction, agent or message ids, nor any text."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vaxel_conversation.domain.model import AuthorKind

__all__ = ["AUTHOR_KINDS", "ConversationMetrics"]

AUTHOR_KINDS = tuple(kind.value for kind in AuthorKind)


@dataclass(frozen=True, slots=True)
class ConversationMetrics:
    messages: Counter
    duplicates: Counter
    chats_started: Counter
    streams: Gauge
    transcripts: Gauge
    post_latency: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ConversationMetrics:
        metrics = cls(
            messages=Counter(
                "vaxel_conversation_messages_total",
                "Messages that joined a transcript, by author kind (customer, agent, system, internal_note).",
                ["author_kind"],
                registry=registry,
            ),
            duplicates=Counter(
                "vaxel_conversation_duplicate_messages_total",
                "Messages sent again with an idempotency key already in the transcript (answered, not added).",
                registry=registry,
            ),
            chats_started=Counter(
                "vaxel_conversation_chats_started_total", "Chats started by customers.", registry=registry
            ),
            streams=Gauge(
                "vaxel_conversation_open_streams",
                "Chat and watch streams open now (side: customer, agent).",
                ["side"],
                registry=registry,
            ),
            transcripts=Gauge(
                "vaxel_conversation_transcripts", "Transcripts held in memory.", registry=registry
            ),
            post_latency=Histogram(
                "vaxel_conversation_post_duration_seconds",
                "From a message received to its acknowledgement (on Kafka, in the transcript).",
                buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5),
                registry=registry,
            ),
        )
        for kind in AUTHOR_KINDS:
            metrics.messages.labels(kind)
        for side in ("customer", "agent"):
            metrics.streams.labels(side)
        return metrics
