"""A service whose writes all block on a paused broker (SIGSTOP) turns NOT_SERVING, and SERVING again once a
write succeeds after the broker resumes (real broker, real gRPC health over loopback)."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Awaitable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.integration.common.test_consumer_stall import eventually, health_is
from vaxel.events.v1 import events_pb2
from vaxel_common.broker import EmbeddedBroker, free_port
from vaxel_common.events import new_event
from vaxel_common.kafka import create_topics
from vaxel_common.publisher import PUBLISHER
from vaxel_common.service import ServiceRuntime
from vaxel_common.settings import ServiceSettings
from vaxel_common.topics import INTERACTION_EVENTS

pytestmark = pytest.mark.integration

Status = health_pb2.HealthCheckResponse


async def test_writes_blocked_on_a_paused_broker_turn_health_not_serving(tmp_path: Path) -> None:
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()  # its own: this test pauses it
    pid = broker.pid
    assert pid is not None
    await asyncio.to_thread(create_topics, broker.bootstrap, [INTERACTION_EVENTS])
    port = free_port()
    service = f"paused-{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(kafka_bootstrap=broker.bootstrap, grpc_port=port, write_stall_seconds=1.0)
    runtime = ServiceRuntime(service, settings)
    running = asyncio.create_task(runtime.run())
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    health = health_pb2_grpc.HealthStub(channel)

    def status_is(expected: int) -> Awaitable[bool]:
        return health_is(health, expected)

    def event() -> events_pb2.Event:
        created = events_pb2.InteractionCreated(queue_id="q")
        return new_event(created, tenant_id="t", producer=service, interaction_id=str(uuid.uuid4()))

    labels = {"service": service, "consumer": PUBLISHER}
    try:
        await eventually(lambda: status_is(Status.SERVING), "SERVING at start")
        await runtime.publisher.publish(INTERACTION_EVENTS, event())
        os.kill(pid, signal.SIGSTOP)
        try:
            blocked = asyncio.create_task(runtime.publisher.publish(INTERACTION_EVENTS, event()))
            await eventually(lambda: status_is(Status.NOT_SERVING), "NOT_SERVING while writes block")
            assert runtime.registry.get_sample_value("vaxel_consumer_stalled", labels) == 1.0
            assert not blocked.done()
        finally:
            os.kill(pid, signal.SIGCONT)
        await asyncio.wait_for(blocked, timeout=60)
        await eventually(lambda: status_is(Status.SERVING), "SERVING once a write succeeds")
        assert runtime.registry.get_sample_value("vaxel_consumer_stalled", labels) == 0.0
    finally:
        runtime.request_stop()
        await asyncio.wait_for(running, timeout=30)
        await channel.close(None)
        for sig in (signal.SIGTERM, signal.SIGINT):  # run() installed them on the test session's loop
            asyncio.get_running_loop().remove_signal_handler(sig)
        broker.stop()
