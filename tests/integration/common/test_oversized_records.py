"""A record near the broker's message size on every consumed topic stops nothing (issue 17, fault 1).

Each topic a service consumes gets an undecodable record just under the producer's and broker's
1 MiB limit, then a small marker record on the same partition and, on the interaction events,
a normal event. Every consumer goes on past it (the normal event is processed, the marker is
dead-lettered after it), health stays SERVING, nothing is reported stalled, and the dead-letter
topic holds the oversized record's excerpt and coordinates from every consumer of the topic.
"""

from __future__ import annotations

import time
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kafka.record.default_records import DefaultRecordBatchBuilder

from tests.fixtures.platform import sample, scrape
from vaxel.events.v1 import events_pb2
from vaxel_common import deadletter
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_consumer, sync_producer
from vaxel_common.supervisor import Platform
from vaxel_common.topics import (
    AGENT_EVENTS,
    DEAD_LETTER,
    INTERACTION_EVENTS,
    INTERACTION_INBOUND,
    ROUTING_INPUTS,
    SLA_ALERTS,
    TENANT_CONFIG,
)

pytestmark = pytest.mark.integration

MAX_REQUEST_BYTES = 1024 * 1024  # the producers' max request size and the broker's message size
# Who dead-letters what comes on each consumed topic (the ``consumer`` of the dead letter).
CONSUMERS = {
    INTERACTION_INBOUND.name: {"routing"},
    ROUTING_INPUTS.name: {"routing-engine"},
    INTERACTION_EVENTS.name: {"sla", "interaction-log", "integrations"},
    AGENT_EVENTS.name: {"sla", "interaction-log"},
    TENANT_CONFIG.name: {"routing", "sla", "interaction-log", "integrations"},
    SLA_ALERTS.name: {"sla", "integrations"},
}


def oversized_value(key: bytes) -> bytes:
    """Undecodable bytes as long as one record under ``key`` can be while still fitting the limit."""
    size = MAX_REQUEST_BYTES
    while DefaultRecordBatchBuilder.estimate_size_in_bytes(key, b"x" * size, []) > MAX_REQUEST_BYTES - 16:
        size -= 16
    head = b"\xff\x00 oversized " + uuid.uuid4().bytes
    return head + b"\xff" * (size - len(head))


def consumed(platform: Platform, service: str) -> float:
    metrics = scrape(platform.processes[service].metrics_url)
    return sample(
        metrics,
        "vaxel_events_consumed_total",
        service=service,
        topic=INTERACTION_EVENTS.name,
        event_type="interaction.created",
    )


def test_an_oversized_record_on_every_consumed_topic_stops_nothing(platform: Platform) -> None:
    consumed_before = {s: consumed(platform, s) for s in ("sla", "interaction-log")}
    producer = sync_producer(platform.kafka_bootstrap, "test", max_request_size=MAX_REQUEST_BYTES)
    sent: dict[str, tuple[bytes, bytes, int, int, bytes]] = {}  # topic: key, value, partition, offset, marker
    for topic in CONSUMERS:
        key = f"oversized-{uuid.uuid4()}".encode()
        value = oversized_value(key)
        meta = producer.send(topic, value, key=key).get(timeout=30)
        marker = b"\xff\x00 marker after the oversized record " + uuid.uuid4().bytes
        producer.send(topic, marker, key=key).get(timeout=30)
        sent[topic] = (key, value, meta.partition, meta.offset, marker)
    tenant, interaction = f"t-{uuid.uuid4()}", str(uuid.uuid4())
    good = new_event(
        events_pb2.InteractionCreated(queue_id="q-oversized"),
        tenant_id=tenant,
        producer="routing",
        interaction_id=interaction,
    )
    producer.send(INTERACTION_EVENTS.name, encode_event(good), key=sent[INTERACTION_EVENTS.name][0])
    producer.flush()
    producer.close()

    # The normal event after the oversized record is processed by both of its consumers.
    deadline = time.monotonic() + 60
    while any(consumed(platform, s) <= before for s, before in consumed_before.items()):
        assert time.monotonic() < deadline, "the event after the oversized record was not processed"
        time.sleep(0.3)

    # Every consumer dead-lettered the oversized record (bounded, with its coordinates) and the marker.
    wanted = {(topic, consumer) for topic, consumers in CONSUMERS.items() for consumer in consumers}
    letters: dict[tuple[str, str], events_pb2.DeadLetter] = {}
    markers: set[tuple[str, str]] = set()
    deadline = time.monotonic() + 60
    while (set(letters) < wanted or markers < wanted) and time.monotonic() < deadline:
        reader = sync_consumer(platform.kafka_bootstrap, None, DEAD_LETTER.name, consumer_timeout_ms=2000)
        for record in reader:
            letter = events_pb2.DeadLetter.FromString(record.value)
            if letter.source_topic not in sent:
                continue
            key, value, partition, offset, marker = sent[letter.source_topic]
            where = (letter.source_topic, letter.consumer)
            if letter.value == marker:
                markers.add(where)
            elif letter.key == key and letter.source_offset == offset:
                assert letter.source_partition == partition
                assert letter.value_size == len(value)
                assert letter.key_size == len(key)
                assert letter.value == value[: deadletter.VALUE_EXCERPT_BYTES]
                assert letter.reason
                assert len(record.value) <= deadletter.MAX_DEAD_LETTER_BYTES
                letters[where] = letter
        reader.close()
    assert wanted - set(letters) == set(), "no dead letter of the oversized record"
    assert wanted - markers == set(), "the record after the oversized one was not reached"

    # Nobody stopped, nobody stalled, every service SERVING.
    for name, proc in platform.processes.items():
        assert proc.process is not None
        assert proc.process.poll() is None, f"{name} exited"
        with grpc.insecure_channel(proc.grpc_target) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, name
        stalled = [
            line
            for line in scrape(proc.metrics_url).splitlines()
            if line.startswith("vaxel_consumer_stalled{") and not line.endswith(" 0.0")
        ]
        assert stalled == [], stalled
