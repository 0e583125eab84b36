"""A consumer is caught up only once it has handled every record that was on its partitions when it
started: also when the embedded broker reports the end offset of a partition as its last batch's base
offset + 1 and a fetch hands that batch over in parts (real broker)."""

from __future__ import annotations

import asyncio
import signal
import uuid

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

RECORDS = 1500  # more than one fetch hands over (max_records 1000), in one producer batch


async def test_caught_up_waits_for_every_record_of_a_batch_fetched_in_parts(platform: Platform) -> None:
    topic = TopicSpec(f"test.caught-up.{uuid.uuid4()}", 1, "test", "a fresh topic for this test")
    await asyncio.to_thread(create_topics, platform.kafka_bootstrap, [topic])
    producer = aio_producer(
        platform.kafka_bootstrap, client_id="test", linger_ms=1000, max_batch_size=4 * 1024 * 1024
    )
    await producer.start()
    sent = [
        await producer.send(
            topic.name,
            encode_event(new_event(events_pb2.InteractionCreated(), tenant_id="t", producer="test")),
            key=b"k",
        )
        for _ in range(RECORDS)
    ]
    await asyncio.gather(*sent)
    await producer.stop()

    runtime = ServiceRuntime(
        f"caught-up-{uuid.uuid4().hex[:8]}",
        ServiceSettings(kafka_bootstrap=platform.kafka_bootstrap, grpc_port=free_port()),
    )
    handled_after_caught_up = 0
    handled = 0

    async def handler(event: events_pb2.Event) -> None:
        nonlocal handled, handled_after_caught_up
        handled += 1
        handled_after_caught_up += consumer.caught_up.is_set()

    consumer = runtime.consume([topic.name], handler, commit=False)
    running = asyncio.create_task(runtime.run())
    try:
        await asyncio.wait_for(consumer.caught_up.wait(), timeout=60)
        assert handled == RECORDS
        assert handled_after_caught_up == 0
    finally:
        runtime.request_stop()
        await asyncio.wait_for(running, timeout=30)
        for sig in (signal.SIGTERM, signal.SIGINT):  # run() installed them on the test session's loop
            asyncio.get_running_loop().remove_signal_handler(sig)
