"""kill -9 of the integrations service: nothing stored or sent meanwhile is lost; delivery ids stay."""

from __future__ import annotations

import signal

import grpc

from tests.fixtures.platform import eventually
from tests.fixtures.webhooks import Receiver, publish, register
from tests.integration.integrations.test_webhooks import (
    created,
    deliveries,
    path,
    present,
    tenant,
    wait_known,
)
from vaxel.integrations.v1 import integrations_pb2 as pb
from vaxel_common.supervisor import Platform, wait_serving

Channels = dict[str, grpc.Channel]


def test_kill_9_loses_no_delivery(platform: Platform, channels: Channels, receiver: Receiver) -> None:
    tenant_id, key = tenant(platform, channels)
    wait_known(channels, key)
    where = path()
    # 0.5 s per answer, 8 at a time: the 30 deliveries take about 2 s, and the kill comes in between
    # (the test platform gives up retrying after 8 s, so the endpoint must not refuse them).
    receiver.behave(where, delay=0.5)
    register(channels, receiver, key, where)
    before = created(tenant_id, 30)
    publish(platform, before)
    eventually(lambda: present(len(deliveries(channels, key)) == 30), 60)  # stored
    eventually(lambda: present(receiver.at(where, ok_only=True)), 30)  # some delivered

    proc = platform.processes["integrations"]
    assert proc.process is not None
    proc.process.send_signal(signal.SIGKILL)
    proc.process.wait(timeout=30)
    during = created(tenant_id, 20)  # published while the service is down
    publish(platform, during)
    platform.start_service(proc.spec)
    wait_serving(proc.grpc_target, 90, proc.process)

    def all_delivered() -> None:
        got = {r.body["event_id"] for r in receiver.at(where, ok_only=True)}
        assert got == {e.event_id for e in before + during}

    eventually(all_delivered, 90)
    listed = deliveries(channels, key)
    assert len(listed) == 50
    assert (
        len(receiver.at(where, ok_only=True)) >= 50
    )  # at least once (a delivery in flight at the kill: twice)
    assert {d.state for d in listed} == {pb.DELIVERY_STATE_DELIVERED}, [
        (d.attempts, d.last_status, d.last_error) for d in listed if d.state != pb.DELIVERY_STATE_DELIVERED
    ]
    assert {r.delivery_id for r in receiver.at(where, ok_only=True)} == {d.delivery_id for d in listed}
