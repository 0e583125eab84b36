"""Dead-lettering: a record a consumer cannot process is wrapped with the reason and sent on."""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from vaxel.events.v1 import events_pb2
from vaxel_common.metrics import PlatformMetrics
from vaxel_common.topics import DEAD_LETTER

__all__ = ["DeadLetterPublisher", "dead_letter_of"]


def dead_letter_of(record: ConsumerRecord[bytes, bytes], reason: str, consumer: str) -> events_pb2.DeadLetter:
    """The dead letter for ``record``; the original key and value are kept byte for byte."""
    letter = events_pb2.DeadLetter(
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        key=record.key or b"",
        value=record.value or b"",
        reason=reason,
        consumer=consumer,
    )
    letter.failed_at.FromDatetime(datetime.now(UTC))
    return letter


class DeadLetterPublisher:
    """Sends dead letters to the registry's dead-letter topic, waits for the broker's ack and counts
    them in ``vaxel_dead_letters_total`` (labelled by ``service`` and the source topic)."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        consumer: str,
        metrics: PlatformMetrics,
        service: str,
        topics: list[str],
    ) -> None:
        self._producer = producer
        self._consumer = consumer
        self._metrics = metrics
        self._service = service
        metrics.consuming(service, topics)

    async def publish(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        letter = dead_letter_of(record, reason, self._consumer)
        await self._producer.send_and_wait(
            DEAD_LETTER.name, letter.SerializeToString(), key=record.topic.encode()
        )
        self._metrics.dead_letters.labels(self._service, record.topic).inc()
