"""The walking skeleton: a tenant and queue set up, an interaction submitted through the routing
API, and the events seen in every service over Kafka."""

from __future__ import annotations

from typing import TypeVar

import grpc
import pytest

from tests.fixtures.platform import eventually, sample, scrape
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.e2e
T = TypeVar("T")


def test_interaction_reaches_every_service(platform: Platform, channels: dict[str, grpc.Channel]) -> None:
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    ops = platform.admin_metadata
    tenant = admin.CreateTenant(
        tenant_pb2.CreateTenantRequest(
            name="Telia Kundtjänst", country="SE", time_zone="Europe/Stockholm", languages=["sv-SE"]
        ),
        metadata=ops,
    ).tenant
    queue = tenants.CreateQueue(
        tenant_pb2.CreateQueueRequest(
            tenant_id=tenant.tenant_id, name="Support", channels=[types_pb2.CHANNEL_CHAT], language="sv-SE"
        ),
        metadata=ops,
    ).queue
    assert queue.time_zone == "Europe/Stockholm"

    # client-tenant -> Kafka -> routing: routing learns the queue from the compacted topic.
    routing = routing_pb2_grpc.RoutingServiceStub(channels["routing"])
    request = routing_pb2.SubmitInteractionRequest(
        tenant_id=tenant.tenant_id,
        queue_id=queue.queue_id,
        channel=types_pb2.CHANNEL_CHAT,
        language="sv-SE",
        customer_ref="cust-1",
        contact=types_pb2.Contact(chat_session_id="chat-1"),
        idempotency_key="skeleton-1",
    )
    submitted = eventually(lambda: routing.SubmitInteraction(request, metadata=ops, timeout=5))
    assert submitted.interaction_id
    assert submitted.position == 1
    again = routing.SubmitInteraction(request, metadata=ops, timeout=5)
    assert again.interaction_id == submitted.interaction_id, "the idempotency key gives the same interaction"

    # routing -> Kafka -> interaction-log: the timeline holds created and queued, once each.
    log = interactions_pb2_grpc.InteractionLogServiceStub(channels["interaction-log"])

    def timeline() -> list[str]:
        reply = log.GetInteraction(
            interactions_pb2.GetInteractionRequest(
                tenant_id=tenant.tenant_id, interaction_id=submitted.interaction_id
            ),
            metadata=ops,
            timeout=5,
        )
        types = [e.event_type for e in reply.interaction.timeline]
        assert types == ["interaction.created", "interaction.queued"], types
        assert reply.interaction.queue_id == queue.queue_id
        return types

    eventually(timeline)

    # routing -> Kafka -> SLA: the queue's offered count, over gRPC and as a metric.
    sla = sla_pb2_grpc.SlaServiceStub(channels["sla"])

    def offered() -> None:
        stats = sla.GetQueueStatistics(
            sla_pb2.GetQueueStatisticsRequest(tenant_id=tenant.tenant_id, queue_id=queue.queue_id),
            metadata=ops,
            timeout=5,
        ).statistics
        assert sum(f.offered for f in stats.rolling_hour) == 1

    eventually(offered)
    metrics = scrape(platform.processes["sla"].metrics_url)
    assert sample(metrics, "vaxel_sla_offered_total", tenant=tenant.tenant_id) == 1.0


def test_another_tenants_interaction_is_not_found(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    log = interactions_pb2_grpc.InteractionLogServiceStub(channels["interaction-log"])
    with pytest.raises(grpc.RpcError) as err:
        log.GetInteraction(
            interactions_pb2.GetInteractionRequest(tenant_id="no-such-tenant", interaction_id="x"),
            metadata=platform.admin_metadata,
            timeout=5,
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_bad_input_names_the_field(platform: Platform, channels: dict[str, grpc.Channel]) -> None:
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    with pytest.raises(grpc.RpcError) as err:
        admin.CreateTenant(
            tenant_pb2.CreateTenantRequest(
                name="X", country="SE", time_zone="Mars/Olympus", languages=["sv"]
            ),
            timeout=5,
            metadata=platform.admin_metadata,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "time_zone" in (err.value.details() or "")
    routing = routing_pb2_grpc.RoutingServiceStub(channels["routing"])
    with pytest.raises(grpc.RpcError) as err:
        routing.SubmitInteraction(
            routing_pb2.SubmitInteractionRequest(tenant_id="t"), metadata=platform.admin_metadata, timeout=5
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "queue_id" in (err.value.details() or "")
