"""A dead letter is bounded whatever the size of the record it stands for."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord

from vaxel.events.v1 import events_pb2
from vaxel_common.deadletter import (
    KEY_EXCERPT_BYTES,
    MAX_DEAD_LETTER_BYTES,
    REASON_CHARS,
    VALUE_EXCERPT_BYTES,
    dead_letter_of,
)
from vaxel_common.topics import INTERACTION_EVENTS

PRODUCER_MAX_REQUEST_BYTES = 1024 * 1024  # aiokafka's and Kafka's default max.request.size


def record(key: bytes, value: bytes, topic: str = INTERACTION_EVENTS.name) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 4, 1234, 0, 0, key, value, None, len(key), len(value), ())


class TestDeadLetterOf:
    def test_a_small_record_is_kept_byte_for_byte_with_its_coordinates(self) -> None:
        letter = dead_letter_of(record(b"k-1", b"\xff\x00garbage"), "undecodable: x", "sla")
        assert (letter.key, letter.value) == (b"k-1", b"\xff\x00garbage")
        assert (letter.key_size, letter.value_size) == (3, 9)
        assert (letter.source_topic, letter.source_partition, letter.source_offset) == (
            INTERACTION_EVENTS.name,
            4,
            1234,
        )
        assert (letter.reason, letter.consumer) == ("undecodable: x", "sla")
        assert letter.HasField("failed_at")

    def test_a_record_near_the_broker_limit_keeps_an_excerpt_and_its_sizes(self) -> None:
        value = bytes(range(256)) * (PRODUCER_MAX_REQUEST_BYTES // 256)
        key = b"K" * 100_000
        letter = dead_letter_of(record(key, value), "undecodable: " + "é" * 100_000, "interaction-log")
        assert letter.value == value[:VALUE_EXCERPT_BYTES]
        assert letter.key == key[:KEY_EXCERPT_BYTES]
        assert (letter.key_size, letter.value_size) == (len(key), len(value))
        assert len(letter.reason) == REASON_CHARS
        assert letter.source_offset == 1234

    def test_its_serialised_size_never_exceeds_the_bound(self) -> None:
        huge = b"\x80" * (4 * PRODUCER_MAX_REQUEST_BYTES)
        letter = dead_letter_of(record(huge, huge, topic="t" * 10_000), "r" * 10**6, "c" * 10**6)
        size = len(letter.SerializeToString())
        assert size <= MAX_DEAD_LETTER_BYTES < PRODUCER_MAX_REQUEST_BYTES // 64
        parsed = events_pb2.DeadLetter.FromString(letter.SerializeToString())
        assert parsed.value_size == len(huge)

    def test_an_empty_record_has_zero_sizes(self) -> None:
        empty: ConsumerRecord[bytes, bytes] = ConsumerRecord(
            INTERACTION_EVENTS.name, 0, 0, 0, 0, None, None, None, 0, 0, ()
        )
        letter = dead_letter_of(empty, "undecodable: empty", "sla")
        assert (letter.key, letter.value, letter.key_size, letter.value_size) == (b"", b"", 0, 0)
