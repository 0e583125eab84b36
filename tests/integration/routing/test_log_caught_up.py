"""Routing's input log counts as caught up only once every record on its partitions at assignment was
yielded: also when the embedded broker reports a partition's end offset as its last batch's base
offset + 1 and the fetch hands that batch over in parts (its own broker: this test joins routing's group)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import pytest
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.structs import TopicPartition
from prometheus_client import CollectorRegistry

from vaxel_common.broker import EmbeddedBroker
from vaxel_common.kafka import aio_producer
from vaxel_common.metrics import PlatformMetrics
from vaxel_common.progress import ProgressMonitor
from vaxel_common.topics import ROUTING_INPUTS
from vaxel_routing.adapters.runner.consumer import InputLog

pytestmark = pytest.mark.integration

RECORDS = 1500  # more than one fetch hands over (1000), in one producer batch


class _Reset(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, log: InputLog) -> None:
        self.log = log
        self.assigned = asyncio.Event()

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.assigned.clear()

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        await self.log.reset(list(assigned))
        self.assigned.set()


async def _read_until_caught_up(bootstrap: str) -> tuple[int, int]:
    producer = aio_producer(bootstrap, client_id="test", linger_ms=1000, max_batch_size=4 * 1024 * 1024)
    await producer.start()
    sent = [await producer.send(ROUTING_INPUTS.name, b"x", key=b"pool", partition=0) for _ in range(RECORDS)]
    await asyncio.gather(*sent)
    monitor = ProgressMonitor("test", PlatformMetrics.create(CollectorRegistry()))
    log = InputLog(
        bootstrap=bootstrap,
        producer=producer,
        progress=monitor,
        session_timeout_ms=6000,
        fetch_wait_ms=100,
        kafka_options={},
    )
    listener = _Reset(log)
    await log.start(listener)
    yielded = 0
    try:
        deadline = time.monotonic() + 60
        await asyncio.wait_for(listener.assigned.wait(), timeout=60)
        while not log.caught_up():
            assert time.monotonic() < deadline, f"not caught up after {yielded} records"
            batches = await log.read()
            yielded += sum(1 for _ in log.unapplied(batches or {}))
        seen_at_caught_up = yielded
        while time.monotonic() < deadline and yielded < RECORDS:  # what was left, had it been early
            yielded += sum(1 for _ in log.unapplied(await log.read() or {}))
        return seen_at_caught_up, yielded
    finally:
        log.stop_reading()
        await log.stop()
        await producer.stop()


def test_the_log_is_caught_up_only_after_every_record_of_a_batch_fetched_in_parts() -> None:
    with EmbeddedBroker(topics=(ROUTING_INPUTS,)) as broker:
        seen_at_caught_up, total = asyncio.run(_read_until_caught_up(broker.bootstrap))
    assert total == RECORDS
    assert seen_at_caught_up == RECORDS
