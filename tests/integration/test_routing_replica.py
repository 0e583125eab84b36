"""Routing keeps a replica of the queue configuration; a restarted routing rebuilds it before SERVING."""

from __future__ import annotations

import time

import grpc
import pytest

from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import SERVICES, Platform, wait_serving

pytestmark = pytest.mark.integration


def test_restarted_routing_knows_every_queue_as_soon_as_it_serves(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    ops = platform.admin_metadata
    tenant = admin.CreateTenant(
        tenant_pb2.CreateTenantRequest(
            name="Replica", country="SE", time_zone="Europe/Stockholm", languages=["sv"]
        ),
        metadata=ops,
    ).tenant
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    queues = [
        tenants.CreateQueue(
            tenant_pb2.CreateQueueRequest(
                tenant_id=tenant.tenant_id, name=f"Q{i}", channels=[types_pb2.CHANNEL_CHAT], language="sv"
            ),
            metadata=ops,
        ).queue
        for i in range(3)
    ]
    deleted = queues.pop()
    tenants.DeleteQueue(
        tenant_pb2.DeleteQueueRequest(tenant_id=tenant.tenant_id, queue_id=deleted.queue_id), metadata=ops
    )
    time.sleep(1.0)  # let the tombstone reach the topic before routing restarts

    spec = next(s for s in SERVICES if s.name == "routing")
    assert platform.stop_service(spec.name) == 0
    proc = platform.start_service(spec)
    wait_serving(proc.grpc_target, 60, proc.process)
    with grpc.insecure_channel(proc.grpc_target) as channel:
        routing = routing_pb2_grpc.RoutingServiceStub(channel)
        for queue in queues:  # no retry: SERVING means the replica is loaded
            reply = routing.SubmitInteraction(
                routing_pb2.SubmitInteractionRequest(
                    tenant_id=tenant.tenant_id,
                    queue_id=queue.queue_id,
                    channel=types_pb2.CHANNEL_CHAT,
                    language="sv",
                ),
                metadata=ops,
                timeout=5,
            )
            assert reply.interaction_id
        with pytest.raises(grpc.RpcError) as err:
            routing.SubmitInteraction(
                routing_pb2.SubmitInteractionRequest(
                    tenant_id=tenant.tenant_id,
                    queue_id=deleted.queue_id,
                    channel=types_pb2.CHANNEL_CHAT,
                    language="sv",
                ),
                metadata=ops,
                timeout=5,
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
