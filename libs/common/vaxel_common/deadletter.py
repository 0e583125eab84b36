"""Dead-lettering: a record a consumer cannot process is wrapped with the reason and sent on.

A dead letter is bounded, whatever the size of the record it stands for: the value is kept
up to ``VALUE_EXCERPT_BYTES`` and the key up to ``KEY_EXCERPT_BYTES`` (their first bytes),
with their original sizes and the record's coordinates (topic, partition, offset), so the
original can be found in the topic while it is retained. A record near the broker's message
size can therefore always be dead-lettered: wrapping it whole would exceed the producer's
request size, and the consumer could go neither past it nor on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from vaxel.events.v1 import events_pb2
from vaxel_common.metrics import PlatformMetrics
from vaxel_common.progress import DeadLetterFailed
from vaxel_common.topics import DEAD_LETTER

__all__ = [
    "KEY_EXCERPT_BYTES",
    "MAX_DEAD_LETTER_BYTES",
    "REASON_CHARS",
    "VALUE_EXCERPT_BYTES",
    "DeadLetterPublisher",
    "dead_letter_of",
]

VALUE_EXCERPT_BYTES = 4096
KEY_EXCERPT_BYTES = 256
REASON_CHARS = 512
# What a dead letter can weigh at most: the excerpts, the reason (up to 4 bytes a character), the
# topic and consumer names (bounded by the same cut as the reason) and the fixed fields.
MAX_DEAD_LETTER_BYTES = VALUE_EXCERPT_BYTES + KEY_EXCERPT_BYTES + 3 * 4 * REASON_CHARS + 128


def _cut(text: str) -> str:
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def dead_letter_of(record: ConsumerRecord[bytes, bytes], reason: str, consumer: str) -> events_pb2.DeadLetter:
    """The dead letter for ``record``: at most ``MAX_DEAD_LETTER_BYTES`` serialised; key and value
    kept byte for byte when they fit their excerpt bounds, else their first bytes."""
    key, value = record.key or b"", record.value or b""
    letter = events_pb2.DeadLetter(
        source_topic=_cut(record.topic),
        source_partition=record.partition,
        source_offset=record.offset,
        key=key[:KEY_EXCERPT_BYTES],
        value=value[:VALUE_EXCERPT_BYTES],
        reason=_cut(reason),
        consumer=_cut(consumer),
        key_size=len(key),
        value_size=len(value),
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
        """Send the dead letter of ``record``; :class:`DeadLetterFailed` when the broker does not take it."""
        letter = dead_letter_of(record, reason, self._consumer)
        try:
            await self._producer.send_and_wait(
                DEAD_LETTER.name, letter.SerializeToString(), key=record.topic.encode()
            )
        except KafkaError as exc:
            raise DeadLetterFailed(f"dead letter of {record.topic}: {type(exc).__name__}") from exc
        self._metrics.dead_letters.labels(self._service, record.topic).inc()
