"""Publishing events: the key comes from the topic's contract, the send waits for the broker's ack; the
records of a signed topic carry the service's signature (:mod:`vaxel_common.signing`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from vaxel.events.v1 import events_pb2
from vaxel_common.events import encode_event
from vaxel_common.metrics import PlatformMetrics
from vaxel_common.progress import ProgressMonitor
from vaxel_common.signing import RecordSigner
from vaxel_common.topics import (
    AGENT_EVENTS,
    CONVERSATION_MESSAGES,
    INTERACTION_EVENTS,
    SLA_ALERTS,
    TENANT_CONFIG,
    TopicSpec,
)

__all__ = ["PUBLISHER", "WRITE_STALL_SECONDS", "EventPublisher", "key_of"]

PUBLISHER = "publisher"  # the writer's name in the progress monitor (the ``consumer`` label)
WRITE_STALL_SECONDS = 15.0  # a publish unfinished this long (broker paused) turns health NOT_SERVING


def key_of(topic: TopicSpec, event: events_pb2.Event) -> bytes:
    """The record key the topic's contract asks for."""
    if topic is INTERACTION_EVENTS or topic is CONVERSATION_MESSAGES:
        key = event.interaction_id
    elif topic is AGENT_EVENTS:
        key = event.agent_id
    elif topic is TENANT_CONFIG:
        # Compaction keeps one record per key: a queue, its business hours and its call guidelines
        # share the queue's id, so the entity type is part of the key.
        change = event.tenant_config_changed
        key = f"{change.entity_type}/{change.entity_id}" if change.entity_id else ""
    elif topic is SLA_ALERTS:
        queue = event.service_level_alert.queue_id
        key = f"{event.tenant_id}/{queue}" if event.tenant_id and queue else ""
    else:
        key = event.tenant_id
    if not key:
        raise ValueError(f"event {event.event_type} lacks the {topic.key} that keys {topic.name}")
    return key.encode()


class EventPublisher:
    """Sends envelopes to registered topics for one service."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        service: str,
        metrics: PlatformMetrics,
        progress: ProgressMonitor | None = None,
        stall_after_seconds: float = WRITE_STALL_SECONDS,
        signer: RecordSigner | None = None,
    ) -> None:
        self._producer = producer
        self._service = service
        self._metrics = metrics
        self._progress = progress
        self._stall_after = stall_after_seconds
        self._signer = signer
        if progress is not None:
            progress.register(PUBLISHER)

    async def publish(self, topic: TopicSpec, *events: events_pb2.Event) -> None:
        """Send ``events`` in order and wait until the broker has them all."""
        await self.publish_batches((topic, events))

    async def publish_batches(self, *batches: tuple[TopicSpec, Sequence[events_pb2.Event]]) -> None:
        """Send every batch's events to its topic, in order, then wait until the broker has them all:
        records sent together share produce requests instead of one round trip per topic. With a
        progress monitor, a publish that blocks past the stall bound turns health NOT_SERVING."""
        if self._progress is None:
            await self._send(batches)
            return
        async with self._progress.writing(PUBLISHER, self._stall_after):
            await self._send(batches)

    async def _send(self, batches: Sequence[tuple[TopicSpec, Sequence[events_pb2.Event]]]) -> None:
        sent = []
        for topic, events in batches:
            if topic.signed and self._signer is None:
                raise ValueError(
                    f"{topic.name} takes only signed records and {self._service} has no signing key"
                )
            for event in events:
                value, key = encode_event(event), key_of(topic, event)
                headers = (
                    self._signer.headers(topic.name, key, value) if topic.signed and self._signer else None
                )
                future = await self._producer.send(topic.name, value, key=key, headers=headers)
                sent.append((topic.name, event.event_type, future))
        counts: Counter[tuple[str, str]] = Counter()
        for topic_name, event_type, future in sent:
            await future
            counts[topic_name, event_type] += 1
        for (topic_name, event_type), n in counts.items():
            self._metrics.events_produced.labels(self._service, topic_name, event_type).inc(n)
