"""Within one routing process the input log's order is the order requests were received (issue 17,
fault 7): a hang-up received before an accept is logged, and so decided, before it.

Concurrent appends used to go straight to the producer; when a partition's batch was full they waited
for it to drain, and a call made after them could take the next batch first, so the log held them out
of order. Here many callers append records of a submission's size (which fill a batch in a few
records) while earlier ones still wait, against a real broker of the test's own (the routing-inputs
topic of the session's platform is routing's own)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer
from prometheus_client import CollectorRegistry

from vaxel.routing.v1 import inputs_pb2
from vaxel_common.broker import EmbeddedBroker
from vaxel_common.kafka import aio_producer
from vaxel_common.metrics import PlatformMetrics
from vaxel_common.progress import ProgressMonitor
from vaxel_common.topics import ROUTING_INPUTS
from vaxel_routing.adapters.runner.consumer import InputLog

pytestmark = pytest.mark.integration

CALLERS = 400


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    try:
        yield broker
    finally:
        broker.stop()


def record(n: int) -> inputs_pb2.RoutingInput:
    """An abandon or an accept-sized desk action, padded to a submission's size (~2 KB with its queue)."""
    message = inputs_pb2.RoutingInput(input_id=f"in-{n:04d}", schema_version=1)
    if n % 2:
        message.abandon.interaction_id = f"i-{n}-" + "x" * 2000
    else:
        message.agent.agent_id = f"a-{n}-" + "y" * 2000
    message.occurred_at.GetCurrentTime()
    return message


async def append_in_order(bootstrap: str, pool: str) -> None:
    producer = aio_producer(bootstrap, "input-order-test")
    await producer.start()
    try:
        log = InputLog(
            bootstrap=bootstrap,
            producer=producer,
            progress=ProgressMonitor("routing", PlatformMetrics.create(CollectorRegistry())),
            session_timeout_ms=6000,
            fetch_wait_ms=100,
            kafka_options={},
        )
        calls = []
        for n in range(CALLERS):
            # Requests arrive one by one while earlier ones wait for a batch to drain.
            calls.append(asyncio.create_task(log.append(pool, record(n))))
            if n % 3 == 0:
                await asyncio.sleep(0)
        await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
    finally:
        await producer.stop()


def logged(bootstrap: str, pool: str) -> list[inputs_pb2.RoutingInput]:
    consumer = KafkaConsumer(
        ROUTING_INPUTS.name,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=2000,
    )
    found: list[inputs_pb2.RoutingInput] = []
    try:
        for _ in range(30):
            for item in consumer:
                if item.key == pool.encode():
                    found.append(inputs_pb2.RoutingInput.FromString(item.value))
            if len(found) >= CALLERS:
                break
    finally:
        consumer.close()
    return found


def test_the_log_holds_one_processs_requests_in_the_order_they_were_received(
    own_broker: EmbeddedBroker,
) -> None:
    pool = f"order-{uuid.uuid4().hex[:8]}"
    asyncio.run(append_in_order(own_broker.bootstrap, pool))
    found = logged(own_broker.bootstrap, pool)
    assert len(found) == CALLERS
    assert [r.input_id for r in found] == [f"in-{n:04d}" for n in range(CALLERS)]
    stamps = [r.occurred_at.ToNanoseconds() for r in found]
    assert stamps == sorted(stamps)  # so the engine's clock never has to skip back over an earlier request
