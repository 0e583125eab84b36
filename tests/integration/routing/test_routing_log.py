"""The routing log's order holds when another replica's front door appends to a pool this one runs.

Routing applies the requests it appended itself as soon as the broker acknowledges them; a record
appended elsewhere reaches it only through the fetch. Whatever arrives first, the engine applies the
log in offset order: the other replica's request, earlier in the log, is decided first.
"""

from __future__ import annotations

import uuid

import grpc
import pytest

from tests.fixtures.routing import Desk, RoutedTenant, routed_tenant, upsert_agent
from vaxel.routing.v1 import inputs_pb2, routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.kafka import sync_producer
from vaxel_common.supervisor import Platform
from vaxel_common.topics import ROUTING_INPUTS

pytestmark = pytest.mark.integration


def foreign_submit(platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant) -> str:
    """Append a submission to the default pool's log as another routing replica's front door would."""
    queue = (
        tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
        .GetQueue(tenant_pb2.GetQueueRequest(queue_id=tenant.queue_id), metadata=tenant.key, timeout=10)
        .queue
    )
    interaction_id = str(uuid.uuid4())
    record = inputs_pb2.RoutingInput(
        input_id=str(uuid.uuid4()),
        pool="default",
        schema_version=1,
        submit=inputs_pb2.SubmitInput(
            interaction_id=interaction_id,
            queue=queue,
            channel=types_pb2.CHANNEL_VOICE,
            language="sv-SE",
            kind="inbound",
        ),
    )
    record.occurred_at.GetCurrentTime()
    producer = sync_producer(platform.kafka_bootstrap, "other-routing-replica")
    try:
        producer.send(ROUTING_INPUTS.name, record.SerializeToString(), key=b"default").get(timeout=10)
    finally:
        producer.close()
    return interaction_id


def test_a_request_appended_elsewhere_is_applied_before_a_later_one_appended_here(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels)
    agent_id = upsert_agent(channels, platform, tenant, "olof")
    desk = Desk(channels["routing"], agent_id, platform.admin_metadata)
    try:
        desk.ready()
        earlier = foreign_submit(platform, channels, tenant)
        later = routing_pb2_grpc.RoutingServiceStub(channels["routing"]).SubmitInteraction(
            routing_pb2.SubmitInteractionRequest(
                queue_id=tenant.queue_id, channel=types_pb2.CHANNEL_VOICE, language="sv-SE"
            ),
            metadata=tenant.key,
            timeout=10,
        )
        # Decided after the earlier one: the agent's one voice line is taken, so it waits.
        assert later.disposition == routing_pb2.DISPOSITION_QUEUED
        assert later.position == 1
        # The agent is offered the call that is first in the log.
        assert desk.offer().interaction_id == earlier
    finally:
        desk.close()
