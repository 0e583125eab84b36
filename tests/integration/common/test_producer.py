"""The producers' linger counts for the broker, not per partition: records that arrive for several
partitions within one linger go out in one produce request (as Kafka's Java producer sends them)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka.protocol.produce import ProduceRequest

from vaxel_common.broker import EmbeddedBroker
from vaxel_common.kafka import LINGER_MS, aio_consumer, aio_producer, create_topics
from vaxel_common.topics import TopicSpec

pytestmark = pytest.mark.integration

PARTITIONS = 4


async def _produce_staggered(bootstrap: str, topic: str) -> tuple[int, dict[int, bytes]]:
    """One record per partition, a record every quarter of the linger; returns the produce requests
    the producer made and what it wrote where."""
    producer = aio_producer(bootstrap, "test-linger")
    await producer.start()
    requests = 0
    send = producer.client.send

    async def counting(node_id: int, request: Any, **kw: Any) -> Any:
        nonlocal requests
        if isinstance(request, ProduceRequest):
            requests += 1
        return await send(node_id, request, **kw)

    producer.client.send = counting
    try:
        futures = []
        for partition in range(PARTITIONS):
            value = f"record {partition}".encode()
            futures.append(await producer.send(topic, value, partition=partition))
            await asyncio.sleep(LINGER_MS / 1000 / PARTITIONS)
        written = {(await f).partition: f"record {(await f).partition}".encode() for f in futures}
    finally:
        await producer.stop()
    return requests, written


async def _read(bootstrap: str, topic: str) -> dict[int, bytes]:
    consumer = aio_consumer(bootstrap, None, topic, fetch_max_wait_ms=50)
    await consumer.start()
    found: dict[int, bytes] = {}
    try:
        async with asyncio.timeout(20):
            while len(found) < PARTITIONS:
                for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                    for record in records:
                        assert record.value is not None
                        found[tp.partition] = record.value
    finally:
        await consumer.stop()
    return found


def test_records_for_several_partitions_within_one_linger_share_a_request(broker: EmbeddedBroker) -> None:
    topic = f"test.linger.{uuid.uuid4().hex[:8]}"
    create_topics(broker.bootstrap, [TopicSpec(topic, PARTITIONS, "none", "linger test")])
    requests, written = asyncio.run(_produce_staggered(broker.bootstrap, topic))
    # aiokafka alone sends each partition's batch when its own linger ends: one request each here.
    # Together they go once the first is due, and a late scheduler may leave one for a second request.
    assert 1 <= requests <= 2, requests
    assert written == {p: f"record {p}".encode() for p in range(PARTITIONS)}
    assert asyncio.run(_read(broker.bootstrap, topic)) == written
