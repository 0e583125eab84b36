"""client-tenant republishes its state to an emptied configuration topic (issue 17, fault 9).

The embedded broker keeps topics in memory only: a platform restarted on its kept data directory
starts on an empty broker. client-tenant reads the whole configuration topic at start and republishes,
signed, the entities its store has and the topic lacks, so routing and SLA know the tenants, keys and
queues again; on a topic that lost nothing it republishes nothing."""

from __future__ import annotations

import secrets
from pathlib import Path

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from tests.fixtures.platform import eventually, sample, scrape
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import SERVICES, Platform, wait_serving

pytestmark = pytest.mark.integration

CLIENT_TENANT = next(s for s in SERVICES if s.name == "client-tenant")
REPUBLISHED = "vaxel_client_tenant_config_republished_events_total"


def onboard(platform: Platform) -> tuple[str, str, tuple[tuple[str, str]]]:
    """A tenant, a key of it and a voice queue with a service-level target: (tenant, queue, key)."""
    with grpc.insecure_channel(platform.processes["client-tenant"].grpc_target) as channel:
        admin = tenant_pb2_grpc.AdminServiceStub(channel)
        tenant = admin.CreateTenant(
            tenant_pb2.CreateTenantRequest(
                name="Republished AB", country="SE", time_zone="Europe/Stockholm", languages=["sv-SE"]
            ),
            metadata=platform.admin_metadata,
            timeout=10,
        ).tenant
        key = admin.IssueApiKey(
            tenant_pb2.IssueApiKeyRequest(
                tenant_id=tenant.tenant_id, scopes=["config:read", "config:write", "reports:read"]
            ),
            metadata=platform.admin_metadata,
            timeout=10,
        ).api_key
        md = (("authorization", f"Bearer {key}"),)
        queue = (
            tenant_pb2_grpc.TenantServiceStub(channel)
            .CreateQueue(
                tenant_pb2.CreateQueueRequest(
                    name="Support",
                    channels=[types_pb2.CHANNEL_VOICE],
                    language="sv-SE",
                    configuration=tenant_pb2.Queue(
                        time_zone="Europe/Stockholm",
                        service_level_targets=[
                            tenant_pb2.ServiceLevelTarget(
                                channel=types_pb2.CHANNEL_VOICE,
                                target_percent=80,
                                threshold=Duration(seconds=20),
                            )
                        ],
                    ),
                ),
                metadata=md,
                timeout=10,
            )
            .queue
        )
    return tenant.tenant_id, queue.queue_id, md


def republished(platform: Platform) -> float:
    return sample(scrape(platform.processes["client-tenant"].metrics_url), REPUBLISHED)


def test_an_emptied_broker_gets_client_tenants_state_back(tmp_path: Path) -> None:
    data = tmp_path / "platform"
    env = {"VAXEL_CLIENT_TENANT_ADMIN_API_KEY": secrets.token_urlsafe(32)}
    first = Platform(data, services=(CLIENT_TENANT,), extra_env=env).start(timeout=90)
    try:
        tenant_id, queue_id, md = onboard(first)
        assert republished(first) == 0  # a new store on a new topic: nothing to bring back
    finally:
        first.stop()  # the broker goes with it, and every topic

    second = Platform(data, extra_env=env).start(timeout=120)  # the same stores, a new empty broker
    try:
        routing = routing_pb2_grpc.RoutingServiceStub(
            grpc.insecure_channel(second.processes["routing"].grpc_target)
        )
        sla = sla_pb2_grpc.SlaServiceStub(grpc.insecure_channel(second.processes["sla"].grpc_target))

        def routing_knows() -> routing_pb2.GetRoutedQueueResponse:
            reply: routing_pb2.GetRoutedQueueResponse = routing.GetRoutedQueue(
                routing_pb2.GetRoutedQueueRequest(queue_id=queue_id), metadata=md, timeout=10
            )
            return reply

        assert eventually(routing_knows, timeout=60).queue_version >= 1

        def sla_knows() -> sla_pb2.GetQueueStatisticsResponse:
            reply: sla_pb2.GetQueueStatisticsResponse = sla.GetQueueStatistics(
                sla_pb2.GetQueueStatisticsRequest(queue_id=queue_id), metadata=md, timeout=10
            )
            return reply

        assert eventually(sla_knows, timeout=60).statistics.tenant_id == tenant_id
        # The tenant, its key, its queue (and the queue's skills, if any): at least three entities.
        assert republished(second) >= 3

        # Restarted on a topic that lost nothing, it republishes nothing.
        second.stop_service("client-tenant")
        proc = second.start_service(CLIENT_TENANT)
        wait_serving(proc.grpc_target, 60, proc.process)  # SERVING once the topic is checked
        assert republished(second) == 0
        assert routing_knows().queue_version >= 1
    finally:
        second.stop()
