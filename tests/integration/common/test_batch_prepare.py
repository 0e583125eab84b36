"""A consumer hands each fetched batch's decoded events to ``prepare`` before the handler sees any of
them (one round trip per batch for what the batch needs), skipping what it dead-letters (real broker)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Sequence

import pytest

from vaxel.events.v1 import events_pb2
from vaxel_common.broker import free_port
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import aio_producer, create_topics
from vaxel_common.service import ServiceRuntime
from vaxel_common.settings import ServiceSettings
from vaxel_common.supervisor import Platform
from vaxel_common.topics import TopicSpec

pytestmark = pytest.mark.integration


async def test_prepare_sees_every_decoded_event_of_a_batch_before_the_handler(platform: Platform) -> None:
    topic = TopicSpec(f"test.prepare.{uuid.uuid4()}", 1, "test", "a fresh topic for this test")
    await asyncio.to_thread(create_topics, platform.kafka_bootstrap, [topic])
    events = [
        new_event(events_pb2.InteractionCreated(queue_id="q"), tenant_id="t", producer="test")
        for _ in range(20)
    ]
    producer = aio_producer(platform.kafka_bootstrap, client_id="test")
    await producer.start()
    for n, event in enumerate(events):
        await producer.send(topic.name, encode_event(event), key=b"k")
        if n == 10:
            await producer.send(topic.name, b"\xff\x00 not an event", key=b"k")
    await producer.flush()
    await producer.stop()

    runtime = ServiceRuntime(
        f"prepare-{uuid.uuid4().hex[:8]}",
        ServiceSettings(kafka_bootstrap=platform.kafka_bootstrap, grpc_port=free_port()),
    )
    prepared: list[list[str]] = []
    seen: list[tuple[str, int]] = []  # (event id, batches prepared when the handler saw it)

    async def prepare(batch: Sequence[events_pb2.Event]) -> None:
        prepared.append([event.event_id for event in batch])

    async def handler(event: events_pb2.Event) -> None:
        seen.append((event.event_id, len(prepared)))

    runtime.consume([topic.name], handler, prepare=prepare)
    running = asyncio.create_task(runtime.run())
    try:
        deadline = time.monotonic() + 60
        while len(seen) < len(events):
            assert time.monotonic() < deadline, f"handled {len(seen)} of {len(events)}"
            await asyncio.sleep(0.1)
    finally:
        runtime.request_stop()
        await asyncio.wait_for(running, timeout=30)
        for sig in (signal.SIGTERM, signal.SIGINT):  # run() installed them on the test session's loop
            asyncio.get_running_loop().remove_signal_handler(sig)

    ids = [event.event_id for event in events]
    assert [event_id for batch in prepared for event_id in batch] == ids  # the undecodable one left out
    assert [event_id for event_id, _ in seen] == ids
    for event_id, batches_before in seen:  # each event's batch was prepared before it was handled
        batch_of = next(n for n, batch in enumerate(prepared) if event_id in batch)
        assert batches_before == batch_of + 1
