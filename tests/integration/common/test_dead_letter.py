"""An undecodable event goes to the dead-letter topic with its reason, and processing goes on."""

from __future__ import annotations

import time
import uuid

import grpc
import pytest

from tests.fixtures.platform import sample, scrape
from vaxel.events.v1 import events_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_consumer, sync_producer
from vaxel_common.supervisor import Platform
from vaxel_common.topics import DEAD_LETTER, INTERACTION_EVENTS, ROUTING_INPUTS

pytestmark = pytest.mark.integration


def test_undecodable_event_is_dead_lettered_and_the_next_one_counted(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant, queue, interaction = f"t-{uuid.uuid4()}", "q-dlq", str(uuid.uuid4())
    garbage = b"\xff\x00 not a protobuf event " + uuid.uuid4().bytes
    good = new_event(
        events_pb2.InteractionCreated(queue_id=queue),
        tenant_id=tenant,
        producer="routing",
        interaction_id=interaction,
    )
    producer = sync_producer(platform.kafka_bootstrap, "test")
    key = interaction.encode()
    producer.send(INTERACTION_EVENTS.name, garbage, key=key)
    producer.send(INTERACTION_EVENTS.name, encode_event(good), key=key)
    producer.send(INTERACTION_EVENTS.name, encode_event(good), key=key)  # a redelivery: counted once
    producer.flush()
    producer.close()

    deadline = time.monotonic() + 30
    offered = 0.0
    while time.monotonic() < deadline:
        offered = sample(
            scrape(platform.processes["sla"].metrics_url), "vaxel_sla_offered_total", tenant=tenant
        )
        if offered:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # the redelivery, had it counted, would show by now
    offered = sample(scrape(platform.processes["sla"].metrics_url), "vaxel_sla_offered_total", tenant=tenant)
    assert offered == 1.0

    consumer = sync_consumer(platform.kafka_bootstrap, None, DEAD_LETTER.name, consumer_timeout_ms=3000)
    letters = []
    for record in consumer:
        letter = events_pb2.DeadLetter()
        letter.ParseFromString(record.value)
        if letter.value == garbage:
            letters.append(letter)
    consumer.close()
    consumers = {letter.consumer for letter in letters}
    assert {"sla", "interaction-log"} <= consumers, consumers
    assert all(letter.reason.startswith("undecodable") for letter in letters)
    assert all(letter.source_topic == INTERACTION_EVENTS.name for letter in letters)
    metrics = scrape(platform.processes["sla"].metrics_url)
    assert sample(metrics, "vaxel_dead_letters_total", service="sla", topic=INTERACTION_EVENTS.name) >= 1
    lag = [line for line in metrics.splitlines() if line.startswith("vaxel_consumer_lag_records{")]
    assert any(f'topic="{INTERACTION_EVENTS.name}"' in line and 'service="sla"' in line for line in lag), lag


def test_routing_counts_the_routing_inputs_it_dead_letters(platform: Platform) -> None:
    url = platform.processes["routing"].metrics_url
    labels = {"service": "routing", "topic": ROUTING_INPUTS.name}
    before = sample(scrape(url), "vaxel_dead_letters_total", **labels)  # created at 0 at start
    producer = sync_producer(platform.kafka_bootstrap, "test")
    producer.send(ROUTING_INPUTS.name, b"\xff\x00 not a routing input " + uuid.uuid4().bytes, key=b"x")
    producer.flush()
    producer.close()
    deadline = time.monotonic() + 30
    while sample(scrape(url), "vaxel_dead_letters_total", **labels) < before + 1:
        assert time.monotonic() < deadline, "routing's dead letter was not counted"
        time.sleep(0.2)
