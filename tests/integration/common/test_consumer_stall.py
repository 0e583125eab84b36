"""A consumer that cannot make progress turns its service NOT_SERVING and says so in a metric;
once it gets through, health is SERVING again (real broker, real gRPC health over loopback)."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Awaitable, Callable

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from vaxel.events.v1 import events_pb2
from vaxel_common.broker import free_port
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import aio_producer, create_topics
from vaxel_common.service import ServiceRuntime
from vaxel_common.settings import ServiceSettings
from vaxel_common.supervisor import Platform
from vaxel_common.topics import TopicSpec

pytestmark = pytest.mark.integration

Status = health_pb2.HealthCheckResponse


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


async def health_is(health: health_pb2_grpc.HealthStub, expected: int) -> bool:
    """Whether the service's gRPC health answers ``expected`` (False while it does not answer)."""
    try:
        reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.aio.AioRpcError:
        return False
    return bool(reply.status == expected)


async def test_a_stalled_consumer_reports_not_serving_then_serving_again(platform: Platform) -> None:
    topic = TopicSpec(f"test.stall.{uuid.uuid4()}", 1, "test", "a fresh topic for this test")
    await asyncio.to_thread(create_topics, platform.kafka_bootstrap, [topic])
    port = free_port()
    service = f"stall-{uuid.uuid4().hex[:8]}"
    runtime = ServiceRuntime(
        service, ServiceSettings(kafka_bootstrap=platform.kafka_bootstrap, grpc_port=port)
    )
    broken = True
    handled: list[str] = []

    async def handler(event: events_pb2.Event) -> None:
        if broken:
            raise RuntimeError("the store is down")  # what a failing dependency looks like
        handled.append(event.event_id)

    runtime.consume([topic.name], handler)
    running = asyncio.create_task(runtime.run())
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    health = health_pb2_grpc.HealthStub(channel)

    def status_is(expected: int) -> Awaitable[bool]:
        return health_is(health, expected)

    def stalled() -> float | None:
        labels = {"service": service, "consumer": topic.name}
        return runtime.registry.get_sample_value("vaxel_consumer_stalled", labels)

    try:
        await eventually(lambda: status_is(Status.SERVING), "SERVING at start")
        assert stalled() == 0.0
        producer = aio_producer(platform.kafka_bootstrap, client_id="test")
        await producer.start()
        event = new_event(events_pb2.InteractionCreated(queue_id="q"), tenant_id="t", producer="test")
        await producer.send_and_wait(topic.name, encode_event(event), key=b"k")
        await producer.stop()

        await eventually(lambda: status_is(Status.NOT_SERVING), "NOT_SERVING while stalled")
        assert stalled() == 1.0
        errors = runtime.registry.get_sample_value(
            "vaxel_consumer_errors_total", {"service": service, "consumer": topic.name, "reason": "handler"}
        )
        assert errors is not None
        assert errors >= 3
        assert handled == []

        broken = False
        await eventually(lambda: status_is(Status.SERVING), "SERVING once it gets through")
        assert stalled() == 0.0
        assert handled == [event.event_id]
    finally:
        runtime.request_stop()
        await asyncio.wait_for(running, timeout=30)
        await channel.close(None)
        for sig in (signal.SIGTERM, signal.SIGINT):  # run() installed them on the test session's loop
            asyncio.get_running_loop().remove_signal_handler(sig)
